// Approval by PagerDuty on-call (the README's "PagerDuty"): a requester on call right now for a schedule or an
// escalation policy the target lists, at a level no higher than its `max_level`, asking for no more than
// `auto_approve.max`, is approved at once. Pure: the on-calls are looked up by the caller and passed in.

import type { AutoApproval, OnCallRule, Target } from './policy.js';

/** One of the person's on-calls now. `scheduleId` null: a direct target of the escalation rule, not via a schedule. */
export interface OnCallShift {
  escalationPolicyId: string;
  escalationLevel: number;
  scheduleId: string | null;
}

/** Why PagerDuty did not approve a request, which then waits for its approvers as any other. */
export type OnCallFallback =
  /** The target has no `auto_approve`. */
  | 'not_offered'
  /** The request asks for more than `auto_approve.max`. */
  | 'too_long'
  /** No on-call of the person now, for anything the target lists. */
  | 'off_call'
  /** On call for a listed schedule or policy, but only at a level above `max_level`. */
  | 'level_too_high'
  /** On call, but for schedules and policies the target does not list. */
  | 'not_listed'
  /** The request has no email to find the person by, or no PagerDuty user has exactly that email. */
  | 'not_in_pagerduty'
  /** PagerDuty failed, or did not answer in time. */
  | 'pagerduty_failed';

/** What approved the request: the words people and the audit trail see, and the on-call behind them. */
export interface OnCallApproval {
  by: string;
  shift: OnCallShift;
}

export type OnCallDecision = { ok: true; approval: OnCallApproval } | { ok: false; because: OnCallFallback };

/** Whether the on-call check is worth making: the target offers it, and the duration is within its maximum. */
export function onCallRuleFor(
  target: Target,
  durationMinutes: number,
): { ok: true; rule: OnCallRule } | { ok: false; because: 'not_offered' | 'too_long' } {
  const offered: AutoApproval | undefined = target.autoApprove;
  if (!offered) return { ok: false, because: 'not_offered' };
  if (durationMinutes > offered.maxMinutes) return { ok: false, because: 'too_long' };
  return { ok: true, rule: offered.onCall };
}

/**
 * Decides over the person's on-calls now. A shift counts when its schedule or its escalation policy is listed
 * and its level is at most `maxLevel`; of those, the lowest level wins, a listed schedule before a policy.
 */
export function decideOnCall(rule: OnCallRule, shifts: readonly OnCallShift[]): OnCallDecision {
  if (shifts.length === 0) return { ok: false, because: 'off_call' };
  const bySchedule = (shift: OnCallShift) => shift.scheduleId !== null && rule.scheduleIds.includes(shift.scheduleId);
  const listed = shifts.filter((shift) => bySchedule(shift) || rule.escalationPolicyIds.includes(shift.escalationPolicyId));
  if (listed.length === 0) return { ok: false, because: 'not_listed' };
  const low = listed.filter((shift) => shift.escalationLevel <= rule.maxLevel);
  if (low.length === 0) return { ok: false, because: 'level_too_high' };
  const [best] = [...low].sort((a, b) => a.escalationLevel - b.escalationLevel || Number(bySchedule(b)) - Number(bySchedule(a))) as [
    OnCallShift,
  ];
  const by =
    best.scheduleId !== null && bySchedule(best)
      ? `PagerDuty on-call (schedule ${best.scheduleId})`
      : `PagerDuty on-call (escalation policy ${best.escalationPolicyId}, level ${best.escalationLevel})`;
  return { ok: true, approval: { by, shift: best } };
}
