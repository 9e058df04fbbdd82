// Who may decide on a target's requests: the people the policy lists under `approvers.users`, and the members of
// the Slack user groups under `approvers.groups` as Slack lists them when the decision is made. And, for the card
// and every message that names the approvers, which of the listed people are still in Slack, and whether those
// left can still meet the quorum. Pure: the use cases ask Slack and hand the answers in.

import type { Target } from './policy.js';

/** Why Slack cannot say who is in a user group, for a reason an admin must fix (in the policy, the plan or the app). */
export type GroupProblem = 'no_such_subteam' | 'plan_upgrade_required' | 'missing_scope';

/** What Slack said of one of a target's user groups: its members now, or why it cannot be read. */
export type GroupReading = { groupId: string; members: readonly string[] } | { groupId: string; problem: GroupProblem };

/** The people who may decide at one moment (the transitions still refuse a request's own requester). */
export type Approvers = ReadonlySet<string>;

/** The target's user groups (none when the policy lists none). */
export function groupsOf(target: Target): readonly string[] {
  return target.approvers.groups ?? [];
}

/** The people the policy lists by name: every approver of a target without user groups. */
export function listedApprovers(target: Target): Approvers {
  return new Set(target.approvers.users);
}

/**
 * The listed people and the members of the target's groups as read. A group that cannot be read counts as empty:
 * it is a problem of the policy, reported to the admins, and never a reason to let anyone else decide.
 */
export function approversWith(target: Target, readings: readonly GroupReading[]): Approvers {
  const listed = new Set(groupsOf(target));
  const members = readings.flatMap((reading) => (listed.has(reading.groupId) && 'members' in reading ? reading.members : []));
  return new Set([...target.approvers.users, ...members]);
}

/** Whether a listed person can still act in Slack; `unknown` when Slack could not be asked just now. */
export type AccountState = 'active' | 'departed' | 'unknown';

/** The approvers as the card and the bot's messages name them. */
export interface ApproverRoster {
  /** Listed people to mention: all but those who left Slack (someone Slack could not be asked about is kept). */
  users: string[];
  /** Listed people who left Slack or were deactivated: never mentioned, never waited for. */
  departed: string[];
  /** The user groups, mentioned as groups. */
  groups: readonly string[];
  required: number;
  /**
   * How many different people other than the requester can still approve; undefined while a group could not be
   * read just now. Group members count as Slack lists them.
   */
  available?: number;
}

/**
 * The roster of a target: `states` of its listed people (missing ones count as unknown), `readings` of its groups
 * (undefined when one could not be read just now), and the requester, who never counts among their own approvers.
 */
export function rosterOf(
  target: Target,
  states: ReadonlyMap<string, AccountState>,
  readings: readonly GroupReading[] | undefined,
  requesterId?: string,
): ApproverRoster {
  const departed = [...new Set(target.approvers.users.filter((user) => states.get(user) === 'departed'))];
  const gone = new Set(departed);
  const users = [...new Set(target.approvers.users.filter((user) => !gone.has(user)))];
  const roster: ApproverRoster = { users, departed, groups: groupsOf(target), required: target.approvers.required };
  if (readings === undefined) return roster;
  const able = [...approversWith(target, readings)].filter((user) => !gone.has(user) && user !== requesterId);
  return { ...roster, available: able.length };
}

/** The quorum the approvers still in Slack cannot meet, if so: the card says so and the admins are told; it is never lowered. */
export function quorumShortfall(roster: ApproverRoster): { available: number; required: number } | undefined {
  return roster.available !== undefined && roster.available < roster.required
    ? { available: roster.available, required: roster.required }
    : undefined;
}
