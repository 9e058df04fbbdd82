// Who a target's approvers are at this moment, asked of Slack: for a decision (every member of its user groups, a
// click refused when Slack cannot say), and for the messages that name them (who of the listed people is still
// in Slack, and whether those left can meet the quorum). What an admin must fix is reported on the way.

import type { AccessRequest } from '../domain/access-request.js';
import {
  type AccountState,
  type ApproverRoster,
  type Approvers,
  approversWith,
  type GroupReading,
  groupsOf,
  listedApprovers,
  quorumShortfall,
  rosterOf,
} from '../domain/approvers.js';
import type { Target } from '../domain/policy.js';
import type { ApproverDirectory, ApproverProblems } from './ports.js';

export interface ApproverDeps {
  approverDirectory: ApproverDirectory;
  problems: ApproverProblems;
}

/** Slack could not say who is in a group just now (an outage, a rate limit past the wait): the click is refused. */
export type GroupsUnavailable = { ok: false; code: 'approver_groups_unavailable' };

export type ApproversNow = { ok: true; approvers: Approvers } | GroupsUnavailable;

/**
 * Who may decide on the target's requests now. A target without user groups asks Slack nothing. A group that
 * cannot be read for a reason of the configuration counts as empty (and is reported), so the listed people still
 * decide; one Slack cannot read just now refuses the decision, which is never made on a guess.
 */
export async function approversNow(deps: ApproverDeps, target: Target): Promise<ApproversNow> {
  if (groupsOf(target).length === 0) return { ok: true, approvers: listedApprovers(target) };
  const readings = await readGroups(deps, target);
  return readings ? { ok: true, approvers: approversWith(target, readings) } : { ok: false, code: 'approver_groups_unavailable' };
}

/** Each group as read; undefined when one could not be read just now. Unreadable groups are reported. */
async function readGroups(deps: ApproverDeps, target: Target): Promise<GroupReading[] | undefined> {
  const answers = await Promise.all(
    groupsOf(target).map(async (groupId) => ({ groupId, answer: await deps.approverDirectory.membersOf(groupId) })),
  );
  const readings: GroupReading[] = [];
  for (const { groupId, answer } of answers) {
    if (answer.ok) {
      readings.push({ groupId, members: answer.members });
    } else if (answer.kind === 'unreadable') {
      deps.problems.report({ kind: 'group_unreadable', targetId: target.id, groupId, code: answer.code, message: answer.message });
      readings.push({ groupId, problem: answer.code });
    } else {
      return undefined;
    }
  }
  return readings;
}

/**
 * The approvers as a message names them: the listed people still in Slack (someone Slack could not be asked about
 * is named all the same), the groups, and whether the people left can meet the quorum of `request`. Those who
 * left are reported, and so is a waiting request they leave without enough approvers. Never fails: a message is
 * never held up for want of a roster.
 */
export async function readRoster(deps: ApproverDeps, target: Target, request?: AccessRequest): Promise<ApproverRoster> {
  const [states, readings] = await Promise.all([accountStates(deps, target), readGroups(deps, target)]);
  const roster = rosterOf(target, states, readings, request?.requesterId);
  const shortfall = quorumShortfall(roster);
  if (shortfall && request?.state === 'pending')
    deps.problems.report({ kind: 'quorum_unreachable', targetId: target.id, requestId: request.id, ...shortfall });
  return roster;
}

/** The listed approvers who left Slack (reported), without asking Slack about the user groups. */
export async function departedApprovers(deps: ApproverDeps, target: Target): Promise<Set<string>> {
  const states = await accountStates(deps, target);
  return new Set([...states].filter(([, state]) => state === 'departed').map(([userId]) => userId));
}

/** Whether each listed approver is still in Slack; each who left is reported. */
async function accountStates(deps: ApproverDeps, target: Target): Promise<Map<string, AccountState>> {
  const users = [...new Set(target.approvers.users)];
  const answers = await Promise.all(users.map((userId) => deps.approverDirectory.isActive(userId)));
  const states = new Map(users.map((userId, index) => [userId, stateOf(answers[index])]));
  for (const [userId, state] of states)
    if (state === 'departed') deps.problems.report({ kind: 'approver_departed', targetId: target.id, userId });
  return states;
}

function stateOf(answer: Awaited<ReturnType<ApproverDirectory['isActive']>> | undefined): AccountState {
  if (!answer?.ok) return 'unknown';
  return answer.active ? 'active' : 'departed';
}
