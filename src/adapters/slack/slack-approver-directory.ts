// Who a target's approvers are in Slack now: the members of its user groups (usergroups.users.list, scope
// usergroups:read) and whether a listed person still has an account (users.info, scope users:read). Answers are
// kept for at most five minutes, and a burst of clicks on one group's requests asks Slack once.
//
// usergroups.users.list is a Tier 2 method (about 20 calls a minute). The WebClient given here should be the
// bot's own token on a client of its own: on a 429 @slack/web-api pauses its whole queue for Retry-After, which on
// the Bolt app's client would hold every message and modal of the bot behind a group lookup
// (https://docs.slack.dev/apis/web-api/rate-limits, https://docs.slack.dev/reference/methods/usergroups.users.list).

import type { WebClient } from '@slack/web-api';
import type { AccountLookup, ApproverDirectory, GroupMembersLookup, OutsideFailure } from '../../application/ports.js';
import type { GroupProblem } from '../../domain/approvers.js';
import { LookupCache } from '../common/lookup-cache.js';
import { classifySlackError } from './slack-errors.js';

/** A group's members, or a person's account, are asked of Slack again after this long. */
export const APPROVER_CACHE_MS = 5 * 60_000;
/**
 * How long a decision waits for a group's members, rate-limit waits and retries included, before the click is
 * refused with "try again"; the lookup goes on, and its answer serves the next click.
 */
export const GROUP_LOOKUP_MS = 10_000;
/** How long a message naming the approvers waits for their accounts; someone not known by then is still named. */
export const ACCOUNT_LOOKUP_MS = 1500;

// Slack's answers that say the group cannot be read for a reason of the configuration, with what to fix.
const GROUP_PROBLEMS: Record<GroupProblem, string> = {
  no_such_subteam: 'Slack has no user group with this id (deleted, or a typo in the policy)',
  plan_upgrade_required: 'the Slack workspace’s plan has no user groups',
  missing_scope: 'the bot’s token lacks the usergroups:read scope: add it to the Slack app and reinstall it',
};
const isGroupProblem = (code: string): code is GroupProblem => code in GROUP_PROBLEMS;
// users.info's answers for an account that is gone (https://docs.slack.dev/reference/methods/users.info).
const GONE = ['user_not_found', 'account_inactive'];

export interface ApproverDirectoryOptions {
  groupLookupMs?: number;
  accountLookupMs?: number;
}

export class SlackApproverDirectory implements ApproverDirectory {
  private readonly groups: LookupCache<GroupMembersLookup>;
  private readonly accounts: LookupCache<AccountLookup>;
  private readonly groupLookupMs: number;
  private readonly accountLookupMs: number;

  constructor(
    private readonly client: WebClient,
    now: () => number,
    options: ApproverDirectoryOptions = {},
  ) {
    // A group that cannot be read stays so until someone fixes it: asking again within minutes would only spend
    // the Tier 2 budget.
    this.groups = new LookupCache(APPROVER_CACHE_MS, now, (found) => found.ok || found.kind === 'unreadable');
    this.accounts = new LookupCache(APPROVER_CACHE_MS, now, (found) => found.ok);
    this.groupLookupMs = options.groupLookupMs ?? GROUP_LOOKUP_MS;
    this.accountLookupMs = options.accountLookupMs ?? ACCOUNT_LOOKUP_MS;
  }

  membersOf(groupId: string): Promise<GroupMembersLookup> {
    return within(
      this.groups.get(groupId, () => this.listMembers(groupId)),
      this.groupLookupMs,
      `the members of ${groupId}`,
    );
  }

  isActive(userId: string): Promise<AccountLookup> {
    return within(
      this.accounts.get(userId, () => this.lookUpAccount(userId)),
      this.accountLookupMs,
      `the account ${userId}`,
    );
  }

  private async listMembers(groupId: string): Promise<GroupMembersLookup> {
    try {
      const answer = await this.client.usergroups.users.list({ usergroup: groupId });
      return { ok: true, members: answer.users ?? [] };
    } catch (error) {
      const failure = classifySlackError(error);
      if (failure.kind === 'permanent' && isGroupProblem(failure.code))
        return { ok: false, kind: 'unreadable', code: failure.code, message: GROUP_PROBLEMS[failure.code] };
      return failure;
    }
  }

  private async lookUpAccount(userId: string): Promise<AccountLookup> {
    try {
      const { user } = await this.client.users.info({ user: userId });
      return { ok: true, active: user !== undefined && user.deleted !== true };
    } catch (error) {
      const failure = classifySlackError(error);
      if (failure.kind === 'permanent' && GONE.includes(failure.code)) return { ok: true, active: false };
      return failure;
    }
  }
}

/** The lookup's answer, or a transient failure once `ms` have passed (the lookup itself goes on). */
function within<T>(lookup: Promise<T>, ms: number, what: string): Promise<T | OutsideFailure> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<OutsideFailure>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, kind: 'transient', message: `Slack did not tell ${what} within ${ms} ms` }), ms);
    timer.unref();
  });
  return Promise.race([lookup, late]).finally(() => clearTimeout(timer));
}
