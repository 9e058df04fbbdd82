// The policy as the rest of the bot sees it: already validated, durations in minutes.

export type GrantSpec = { kind: 'pim_group'; groupId: string; requireEligibility: boolean } | { kind: 'group_membership'; groupId: string };

export type GrantKind = GrantSpec['kind'];

export interface Target {
  id: string;
  name: string;
  description?: string;
  boundary?: { managedGroup: string; targetIds: readonly string[] };
  grant: GrantSpec;
  duration: { defaultMinutes: number; maxMinutes: number; choices: readonly number[] };
  approvers: ApproverRule;
  /** Absent: anyone in the workspace may request. */
  requesters?: { users: readonly string[] };
  /** Slack guests, Slack Connect users and Entra guest accounts may request only where this is true. */
  allowGuests: boolean;
  /**
   * A ServiceNow standard change (from this template) for each grant; `required`: the grant waits until the change
   * exists. Absent: no change records.
   */
  changeRecord?: { templateId: string; required: boolean };
  /** Absent: grants of this target cannot be extended. */
  extension?: ExtensionRule;
  /** Absent: no break-glass. Present: a requester may take the access at once, for at most `maxMinutes`, reviewed afterwards. */
  breakGlass?: { maxMinutes: number; alertChannel: string };
  /** Absent: every request waits for its approvers. */
  autoApprove?: AutoApproval;
  /** Absent: the request form asks for no PagerDuty incident. */
  incident?: IncidentField;
}

/**
 * Who decides on a target's requests, where, and how many of them it takes. While a request waits, the approvers
 * are reminded after `remindAfterMinutes` (then at doubling intervals), and after `escalate.afterMinutes` the
 * people of `escalate.users` become approvers of it too; each absent: no reminders, no escalation.
 */
/**
 * `users`: people by Slack user id; `groups`: Slack user groups (`S…`), whose members may decide too, as Slack
 * lists them when they do (absent: none). Together they name at least one approver.
 */
export interface ApproverRule {
  channel: string;
  users: readonly string[];
  groups?: readonly string[];
  required: number;
  remindAfterMinutes?: number;
  escalate?: Escalation;
}

/** Approvers added to a request still waiting `afterMinutes` after it was made. */
export interface Escalation {
  afterMinutes: number;
  users: readonly string[];
}

/** Who counts as on call in PagerDuty: for one of these schedules or escalation policies, at most at `maxLevel`. */
export interface OnCallRule {
  scheduleIds: readonly string[];
  escalationPolicyIds: readonly string[];
  maxLevel: number;
}

/** A request of at most `maxMinutes` from someone on call now is approved at once, without the approvers. */
export interface AutoApproval {
  onCall: OnCallRule;
  maxMinutes: number;
}

/** Whether the request form asks for a PagerDuty incident, and whether it may be left empty. */
export type IncidentField = 'optional' | 'required';

/** The parts of a target that need PagerDuty (PAGERDUTY_TOKEN), by their names in the policy file. */
export function pagerDutyBlocks(target: Target): ('auto_approve' | 'incident')[] {
  return [...(target.autoApprove ? ['auto_approve' as const] : []), ...(target.incident ? ['incident' as const] : [])];
}

/**
 * How a grant may be extended: the whole time granted (the first duration and every extension) stays within
 * `maxTotalMinutes`; `approvers` decide each extension as they decide requests, `auto` grants it at once.
 */
export interface ExtensionRule {
  maxTotalMinutes: number;
  approval: 'approvers' | 'auto';
}

export interface Policy {
  version: 1;
  admins: readonly string[];
  settings: { pendingTimeoutMinutes: number; expiryWarningMinutes: number };
  targets: readonly Target[];
}

/** Entra refuses PIM assignments shorter than five minutes (ActiveDurationTooShort). */
export const PIM_MIN_MINUTES = 5;

export const DEFAULT_SETTINGS: Policy['settings'] = { pendingTimeoutMinutes: 4 * 60, expiryWarningMinutes: 10 };

/** Targets that grant the same Entra group: their grants overlap, so one ending leaves the other's membership. */
export function targetsSharingGroups(policy: Policy): { groupId: string; targetIds: string[] }[] {
  const byGroup = new Map<string, string[]>();
  for (const target of policy.targets) {
    const key = target.grant.groupId.toLowerCase();
    byGroup.set(key, [...(byGroup.get(key) ?? []), target.id]);
  }
  return [...byGroup].filter(([, ids]) => ids.length > 1).map(([groupId, targetIds]) => ({ groupId, targetIds }));
}

export function findTarget(policy: Policy, targetId: string): Target | undefined {
  return policy.targets.find((target) => target.id === targetId);
}

export function mayRequest(target: Target, userId: string): boolean {
  return target.requesters === undefined || target.requesters.users.includes(userId);
}

export function requestableTargets(policy: Policy, userId: string): Target[] {
  return policy.targets.filter((target) => mayRequest(target, userId));
}

/** Listed by name among the target's approvers (members of its user groups are known only by asking Slack: approvers.ts). */
export function isApprover(target: Target, userId: string): boolean {
  return target.approvers.users.includes(userId);
}

export function isAdmin(policy: Policy, userId: string): boolean {
  return policy.admins.includes(userId);
}

/** The durations a requester may pick: the listed choices, or the default and the maximum. */
export function durationChoices(target: Target): number[] {
  const listed =
    target.duration.choices.length > 0 ? [...target.duration.choices] : [target.duration.defaultMinutes, target.duration.maxMinutes];
  return [...new Set(listed)].sort((a, b) => a - b);
}

export function minimumMinutes(grant: GrantSpec): number {
  return grant.kind === 'pim_group' ? PIM_MIN_MINUTES : 1;
}

export type DurationCheck = { ok: true } | { ok: false; code: 'duration_too_long' | 'duration_too_short' | 'duration_not_offered' };

export function checkRequestedDuration(target: Target, minutes: number): DurationCheck {
  if (minutes > target.duration.maxMinutes) return { ok: false, code: 'duration_too_long' };
  if (minutes < minimumMinutes(target.grant)) return { ok: false, code: 'duration_too_short' };
  if (target.duration.choices.length > 0 && !target.duration.choices.includes(minutes)) {
    return { ok: false, code: 'duration_not_offered' };
  }
  return { ok: true };
}
