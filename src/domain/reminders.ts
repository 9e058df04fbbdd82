// A request that waits for its approvers is chased: they are reminded in the card's thread after the target's
// `remind_after`, then at doubling intervals (15m, then 30m later, then 1h later…), and after `escalate.after`
// the target's `escalate.users` become approvers of it too. Both are deadlines stored on the request and changed
// by the sweep, each change with its audit event and its notify job, so that a restart or a second replica
// neither loses nor doubles one. Pure functions, like the rest of the lifecycle in access-request.ts.

import {
  type AccessRequest,
  move,
  notify,
  type PendingRequest,
  type Refusal,
  SYSTEM,
  type TransitionResult,
  wrongState,
} from './access-request.js';
import { awaitedDeciders, escalatedApprovers } from './deciders.js';
import { minutesToMs } from './duration.js';
import type { Target } from './policy.js';

/** The checks both deadlines share: a request still waiting, its deadline come, and its timeout not yet. */
function refuseFollowUp(request: AccessRequest, dueAt: number | undefined, now: number): Refusal | PendingRequest {
  if (request.state !== 'pending') return wrongState(request);
  if (dueAt === undefined || now < dueAt) return { ok: false, code: 'not_yet_due' };
  // The sweep times it out first: nobody is chased about a request that is over.
  if (now >= request.pendingUntil) return { ok: false, code: 'pending_timeout_passed' };
  return request;
}

/** The wait before the reminder after the `sent`-th: `remind_after` doubled each time. */
export function reminderIntervalMinutes(remindAfterMinutes: number, sent: number): number {
  return remindAfterMinutes * 2 ** sent;
}

/**
 * The reminder that fell due goes out, and the next is set a doubled interval later (from now, so a bot that
 * was down sends one reminder on its return, not every one it missed). A target that no longer has
 * `remind_after` (or is gone from the policy) stops the reminders instead, with nothing said.
 */
export function remindApprovers(request: AccessRequest, target: Target | undefined, now: number): TransitionResult {
  const waiting = refuseFollowUp(request, request.remindAt, now);
  if ('ok' in waiting) return waiting;
  const { remindAt: _due, ...rest } = waiting;
  const every = target?.approvers.remindAfterMinutes;
  if (!target || every === undefined) {
    const because = target ? 'remind_after_removed' : 'target_removed';
    return move(waiting, rest, { action: 'reminders_stopped', actor: SYSTEM, detail: { because } }, []);
  }
  const sent = (waiting.remindersSent ?? 0) + 1;
  const remindAt = now + minutesToMs(reminderIntervalMinutes(every, sent));
  const approvers = awaitedDeciders(waiting, target);
  return move(
    waiting,
    { ...rest, remindersSent: sent, remindAt },
    { action: 'reminded', actor: SYSTEM, detail: { reminder: sent, approvers, nextAt: remindAt } },
    [notify('reminder')],
  );
}

/**
 * Still undecided at `escalate.after`: the target's escalate.users become approvers of the request (see
 * deciders.ts), from now on and not before, and are told so. The quorum stays the target's. A target that no
 * longer has `escalate`, or whose escalate.users are only the requester, escalates to nobody.
 */
export function escalateRequest(request: AccessRequest, target: Target | undefined, now: number): TransitionResult {
  const waiting = refuseFollowUp(request, request.escalateAt, now);
  if ('ok' in waiting) return waiting;
  const { escalateAt: _due, ...rest } = waiting;
  const escalated = { ...rest, escalatedAt: now };
  const users = target ? escalatedApprovers(escalated, target) : [];
  if (!target?.approvers.escalate || users.length === 0) {
    const because = !target ? 'target_removed' : !target.approvers.escalate ? 'escalate_removed' : 'only_the_requester';
    return move(waiting, rest, { action: 'escalation_dropped', actor: SYSTEM, detail: { because } }, []);
  }
  const detail = { users, afterMinutes: target.approvers.escalate.afterMinutes, approvals: waiting.approvals.length };
  return move(waiting, escalated, { action: 'escalated', actor: SYSTEM, detail }, [notify('escalated')]);
}
