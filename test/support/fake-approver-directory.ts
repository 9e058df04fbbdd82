// A hand-written Slack directory of approvers for use-case tests: user groups and their members, people who left,
// answered as the Slack adapter answers them (test/adapters/slack/approver-directory-contract.test.ts holds the two
// together). Unlike the adapter it keeps nothing: a test that changes a group sees the change at once.

import type {
  AccountLookup,
  ApproverDirectory,
  ApproverProblem,
  ApproverProblems,
  GroupMembersLookup,
  OutsideFailure,
} from '../../src/application/ports.js';
import type { GroupProblem } from '../../src/domain/approvers.js';

export class FakeApproverDirectory implements ApproverDirectory {
  readonly groups = new Map<string, string[]>();
  /** Accounts deactivated or deleted; everyone else is in Slack. */
  readonly departed = new Set<string>();
  /** A problem every group lookup meets (a free plan, a token without usergroups:read); unset: none. */
  problem: Exclude<GroupProblem, 'no_such_subteam'> | undefined;
  /** Every call, in order, for tests that check what was asked. */
  readonly calls: { operation: 'membersOf' | 'isActive'; argument: string }[] = [];
  private readonly failures: OutsideFailure[] = [];

  /** The next call fails so, whichever it is. */
  failNext(failure: OutsideFailure): void {
    this.failures.push(failure);
  }

  async membersOf(groupId: string): Promise<GroupMembersLookup> {
    this.calls.push({ operation: 'membersOf', argument: groupId });
    const failure = this.failures.shift();
    if (failure) return failure;
    if (this.problem) return { ok: false, kind: 'unreadable', code: this.problem, message: `Slack refused: ${this.problem}` };
    const members = this.groups.get(groupId);
    if (!members) return { ok: false, kind: 'unreadable', code: 'no_such_subteam', message: 'Slack has no user group with this id' };
    return { ok: true, members: [...members] };
  }

  async isActive(userId: string): Promise<AccountLookup> {
    this.calls.push({ operation: 'isActive', argument: userId });
    const failure = this.failures.shift();
    if (failure) return failure;
    return { ok: true, active: !this.departed.has(userId) };
  }
}

/** The problems reported, in order, for tests that check what the admins would be told. */
export class FakeApproverProblems implements ApproverProblems {
  readonly reported: ApproverProblem[] = [];

  report(problem: ApproverProblem): void {
    this.reported.push(problem);
  }
}
