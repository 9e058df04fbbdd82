// The lifecycle of an access request (the README's "Lifecycle of a request"), as pure functions.
// Each transition takes the current request and `now`, and returns either the next request together
// with the audit event and the jobs the change needs, or a refusal saying why nothing changed.

import { type Approvers, listedApprovers } from './approvers.js';
import { mayDecide } from './deciders.js';
import { minutesToMs } from './duration.js';
import type { NewsKind } from './news.js';
import type { OnCallApproval, OnCallFallback } from './on-call.js';
import type { GrantKind, GrantSpec, Target } from './policy.js';
import type {
  AccessRequest,
  ActiveRequest,
  Actor,
  ApprovedRequest,
  CancelledRequest,
  CleanupResult,
  DeniedRequest,
  FailedRequest,
  GrantCall,
  GrantRecord,
  IncidentRef,
  PendingRequest,
  RequestState,
  TimedOutRequest,
} from './request-states.js';
import { SYSTEM } from './request-states.js';

export * from './request-states.js';

/**
 * One meaning each: `revoke` ends an active grant's membership; `cleanup` removes what a failed grant's call may
 * have left; `grant` makes the grant; `extend` moves the end Entra keeps for an extended PIM grant;
 * `change_record` keeps the ServiceNow change in step with the request (opened, implemented, closed); `sign_out`
 * is the Boundary step after any removal, a kind of its own so that it never takes the slots Entra's need;
 * `notify` tells people. Listed in the order due jobs are handed out: access on time matters more than any
 * message about it, and a slow Boundary or ServiceNow must never queue an Entra removal behind it.
 */
export const JOB_KINDS = ['revoke', 'cleanup', 'grant', 'extend', 'change_record', 'sign_out', 'notify'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Lower first: the place of `kind` in JOB_KINDS. */
export const jobPriority = (kind: JobKind): number => JOB_KINDS.indexOf(kind);
export interface JobOrder {
  kind: JobKind;
  /** For notify jobs: which news to tell. */
  event?: NewsKind;
}

export interface AuditEntry {
  action: string;
  actor: Actor;
  from: RequestState | null;
  to: RequestState;
  detail: Record<string, unknown>;
}

export type Refusal =
  | { ok: false; code: 'self_approval' | 'not_an_approver' | 'already_approved' | 'pending_timeout_passed' }
  | { ok: false; code: 'not_the_requester' | 'not_allowed' | 'already_ending' | 'not_yet_due' | 'already_journaled' | 'nothing_to_clean' }
  | { ok: false; code: 'journal_mismatch' | 'already_recorded' }
  | { ok: false; code: 'journal_mismatch' }
  | { ok: false; code: 'extension_not_offered' | 'extension_pending' | 'no_extension_pending' | 'grant_over' | 'invalid_extension' }
  /** The extension would take the grant past the target's `extension.max_total`; this much is still allowed. */
  | { ok: false; code: 'over_max_total'; remainingMinutes: number }
  | { ok: false; code: 'break_glass_not_offered' | 'not_break_glass' | 'self_review' | 'not_a_reviewer' }
  /** The person is among the target's escalate.users, and may decide once the request escalates, at `at`. */
  | { ok: false; code: 'not_yet_escalated'; at: number }
  | { ok: false; code: 'already_reviewed'; reviewedBy: Actor; reviewedAt: number }
  | { ok: false; code: 'wrong_state'; state: RequestState; decidedBy?: Actor; decidedAt?: number };

export interface Transition {
  ok: true;
  request: AccessRequest;
  audit: AuditEntry;
  jobs: JobOrder[];
}

export type TransitionResult = Transition | Refusal;

/** The refusal for a transition the request is past (or not yet at); names who decided, once someone did. */
export function wrongState(request: AccessRequest): Refusal {
  const lastApproval = request.approvals[request.approvals.length - 1];
  const denial = request.state === 'denied' ? request.denial : undefined;
  const decider = denial ?? (lastApproval ? { by: lastApproval.approverId, at: lastApproval.at } : undefined);
  return decider && request.state !== 'pending'
    ? { ok: false, code: 'wrong_state', state: request.state, decidedBy: decider.by, decidedAt: decider.at }
    : { ok: false, code: 'wrong_state', state: request.state };
}

/**
 * The next request, its audit event and its jobs: every transition is one of these. `next` is the whole request
 * in its new state (its version is the one after `previous`'s), so a field the new state needs cannot be left out.
 */
export function move(previous: AccessRequest, next: AccessRequest, audit: Omit<AuditEntry, 'from' | 'to'>, jobs: JobOrder[]): Transition {
  const request = { ...next, version: previous.version + 1 };
  return { ok: true, request, audit: { ...audit, from: previous.state, to: request.state }, jobs };
}

export const notify = (event: NewsKind): JobOrder => ({ kind: 'notify', event });

/**
 * A change_record job for an end, when the change is at rest in Implement. A change not there yet still has the job
 * that opened it at work, which closes it too once it finds the request ended: two jobs never move one change.
 */
export function closeChangeJobs(request: AccessRequest): JobOrder[] {
  const change = request.state === 'approved' || request.state === 'active' ? request.change : undefined;
  return change?.state === 'implement' ? [{ kind: 'change_record' }] : [];
}

export interface NewRequestInput {
  id: string;
  requesterId: string;
  principalId?: string;
  principalName?: string;
  email?: string;
  target: Target;
  reason: string;
  incident?: IncidentRef;
  durationMinutes: number;
  pendingTimeoutMinutes: number;
  now: number;
}

/**
 * A request waits for its approvers with the reminder and the escalation its target has as it is opened; the
 * interval between reminders, and who is escalated to, are the policy's as it is when each falls due.
 */
export function openRequest(input: NewRequestInput): Transition {
  const { remindAfterMinutes, escalate } = input.target.approvers;
  const request: PendingRequest = {
    id: input.id,
    requesterId: input.requesterId,
    ...(input.principalId !== undefined && { principalId: input.principalId }),
    ...(input.principalName !== undefined && { principalName: input.principalName }),
    ...(input.email !== undefined && { email: input.email }),
    targetId: input.target.id,
    reason: input.reason,
    ...(input.incident !== undefined && { incident: input.incident }),
    durationMinutes: input.durationMinutes,
    requiredApprovals: input.target.approvers.required,
    state: 'pending',
    version: 1,
    createdAt: input.now,
    pendingUntil: input.now + minutesToMs(input.pendingTimeoutMinutes),
    approvals: [],
    ...(remindAfterMinutes !== undefined && { remindAt: input.now + minutesToMs(remindAfterMinutes), remindersSent: 0 }),
    ...(escalate && { escalateAt: input.now + minutesToMs(escalate.afterMinutes) }),
  };
  return {
    ok: true,
    request,
    audit: {
      action: 'requested',
      actor: input.requesterId,
      from: null,
      to: 'pending',
      detail: {
        targetId: request.targetId,
        durationMinutes: request.durationMinutes,
        reason: request.reason,
        ...(input.incident !== undefined && { incident: input.incident }),
      },
    },
    jobs: [notify('requested')],
  };
}

/**
 * Checks shared by approve and deny: who may decide (`approvers` now, and the target's escalate.users once the
 * request has escalated; see deciders.ts; never the requester, even as a member of an approver group), and
 * whether there is still something to decide.
 */
function refuseDecision(request: AccessRequest, target: Target, approvers: Approvers, actor: Actor, now: number): Refusal | undefined {
  if (actor === request.requesterId) return { ok: false, code: 'self_approval' };
  if (!mayDecide(request, target, actor, approvers)) {
    // One the request will escalate to is told when they may decide.
    const at = request.state === 'pending' ? request.escalateAt : undefined;
    if (at !== undefined && target.approvers.escalate?.users.includes(actor)) return { ok: false, code: 'not_yet_escalated', at };
    return { ok: false, code: 'not_an_approver' };
  }
  if (request.state !== 'pending') return wrongState(request);
  if (now >= request.pendingUntil) return { ok: false, code: 'pending_timeout_passed' };
  return undefined;
}

/**
 * `approvers`: who may decide now (see approvers.ts); without it, the people the target lists by name, so a
 * target's user groups never count unless someone asked Slack who is in them.
 */
export function approve(
  request: AccessRequest,
  target: Target,
  actor: Actor,
  now: number,
  approvers: Approvers = listedApprovers(target),
): TransitionResult {
  const refusal = refuseDecision(request, target, approvers, actor, now);
  if (refusal) return refusal;
  if (request.state !== 'pending') return wrongState(request);
  if (request.approvals.some((approval) => approval.approverId === actor)) return { ok: false, code: 'already_approved' };

  const approvals = [...request.approvals, { approverId: actor, at: now }];
  // The policy as it is now decides: approvals of people no longer approvers (or no longer in an approver group)
  // stop counting, and the quorum is the current one.
  const counted = approvals.filter((approval) => mayDecide(request, target, approval.approverId, approvers)).length;
  const requiredApprovals = target.approvers.required;
  const detail = { approvals: counted, required: requiredApprovals };
  if (counted < requiredApprovals) {
    const waiting: PendingRequest = { ...request, approvals, requiredApprovals };
    return move(request, waiting, { action: 'approval_recorded', actor, detail }, [notify('approval_recorded')]);
  }
  const approved: ApprovedRequest = { ...request, approvals, requiredApprovals, state: 'approved', decidedAt: now };
  // The change record is opened beside the grant; a required one holds the grant until it exists.
  const change: JobOrder[] = target.changeRecord ? [{ kind: 'change_record' }] : [];
  return move(request, approved, { action: 'approved', actor, detail }, [{ kind: 'grant' }, ...change, notify('approved')]);
}

/**
 * Approval without the approvers, by PagerDuty on-call (see on-call.ts): only while the request waits for them,
 * before its timeout, and only for a target that still offers it for this duration. The audit event names what
 * approved it and the on-call behind it.
 */
export function autoApprove(request: AccessRequest, target: Target, approval: OnCallApproval, now: number): TransitionResult {
  if (request.state !== 'pending') return wrongState(request);
  if (now >= request.pendingUntil) return { ok: false, code: 'pending_timeout_passed' };
  if (!target.autoApprove || request.durationMinutes > target.autoApprove.maxMinutes) return { ok: false, code: 'not_allowed' };
  const approved: ApprovedRequest = { ...request, state: 'approved', decidedAt: now, autoApprovedBy: approval.by };
  const { shift } = approval;
  return move(
    request,
    approved,
    {
      action: 'auto_approved',
      actor: approval.by,
      detail: {
        by: approval.by,
        scheduleId: shift.scheduleId,
        escalationPolicyId: shift.escalationPolicyId,
        escalationLevel: shift.escalationLevel,
      },
    },
    [{ kind: 'grant' }, notify('approved')],
  );
}

/**
 * PagerDuty did not approve the request: nothing changes but the audit trail, which says why it waits for its
 * approvers. `message`: what PagerDuty said, when it failed.
 */
export function declineAutoApproval(request: AccessRequest, because: OnCallFallback, now: number, message?: string): TransitionResult {
  if (request.state !== 'pending') return wrongState(request);
  if (now >= request.pendingUntil) return { ok: false, code: 'pending_timeout_passed' };
  const detail = { because, ...(message !== undefined && { message }) };
  return move(request, { ...request }, { action: 'auto_approval_declined', actor: SYSTEM, detail }, []);
}

export function deny(
  request: AccessRequest,
  target: Target,
  actor: Actor,
  now: number,
  comment?: string,
  approvers: Approvers = listedApprovers(target),
): TransitionResult {
  const refusal = refuseDecision(request, target, approvers, actor, now);
  if (refusal) return refusal;
  if (request.state !== 'pending') return wrongState(request);
  const denial = comment ? { by: actor, at: now, comment } : { by: actor, at: now };
  const denied: DeniedRequest = { ...request, state: 'denied', denial, decidedAt: now };
  return move(request, denied, { action: 'denied', actor, detail: { comment: comment ?? null } }, [notify('denied')]);
}

export function cancel(request: AccessRequest, actor: Actor, now: number): TransitionResult {
  if (actor !== request.requesterId) return { ok: false, code: 'not_the_requester' };
  if (request.state !== 'pending') return wrongState(request);
  const cancelled: CancelledRequest = { ...request, state: 'cancelled', cancelledAt: now };
  return move(request, cancelled, { action: 'cancelled', actor, detail: {} }, [notify('cancelled')]);
}

export function timeOut(request: AccessRequest, now: number): TransitionResult {
  if (request.state !== 'pending') return wrongState(request);
  if (now < request.pendingUntil) return { ok: false, code: 'not_yet_due' };
  const timedOut: TimedOutRequest = { ...request, state: 'timed_out', decidedAt: now };
  return move(request, timedOut, { action: 'timed_out', actor: SYSTEM, detail: {} }, [notify('timed_out')]);
}

/** A policy that lowered the target's maximum since the approval cuts the grant to the new maximum. */
export function grantedMinutes(request: AccessRequest, maxMinutes?: number): number {
  return maxMinutes === undefined ? request.durationMinutes : Math.min(request.durationMinutes, maxMinutes);
}

/** Whether a grant (or the policy's grant) goes to the same kind and group as the journaled call. */
export function sameGrantCall(call: GrantCall, grant: { kind: GrantKind; groupId: string }): boolean {
  return call.kind === grant.kind && call.groupId.toLowerCase() === grant.groupId.toLowerCase();
}

/** Written before the grant call is first sent; a retried call keeps the first entry. */
export function journalGrantCall(request: AccessRequest, grant: GrantSpec, now: number): TransitionResult {
  if (request.state !== 'approved') return wrongState(request);
  if (request.grantCall) return { ok: false, code: 'already_journaled' };
  const grantCall = { sentAt: now, kind: grant.kind, groupId: grant.groupId };
  return move(
    request,
    { ...request, grantCall },
    { action: 'grant_call_sent', actor: SYSTEM, detail: { kind: grant.kind, groupId: grant.groupId } },
    [],
  );
}

/**
 * The clock starts when the grant call was first sent (or, without a journal entry, now): a confirmation that
 * arrives late, after a crash or a lost answer, never lengthens the grant.
 */
export function confirmGrant(request: AccessRequest, grant: GrantRecord, now: number, maxMinutes?: number): TransitionResult {
  if (request.state !== 'approved') return wrongState(request);
  // What is recorded as granted is what the journaled call asked for, whatever the policy says by now.
  if (request.grantCall && !sameGrantCall(request.grantCall, grant)) return { ok: false, code: 'journal_mismatch' };
  const grantedAt = Math.min(request.grantCall?.sentAt ?? now, now);
  const durationMinutes = grantedMinutes(request, maxMinutes);
  const endsAt = grantedAt + minutesToMs(durationMinutes);
  const cut = durationMinutes < request.durationMinutes ? { cutFromMinutes: request.durationMinutes } : {};
  const active: ActiveRequest = { ...request, state: 'active', grant, grantedAt, endsAt, durationMinutes };
  return move(request, active, { action: 'granted', actor: SYSTEM, detail: { ...grant, endsAt, ...cut } }, [notify('granted')]);
}

/**
 * `standing`: the person already held the membership, so nothing is the bot's to remove. `mayHaveGranted`: an
 * earlier call may have landed without the bot hearing so, or another grant's end kept the membership for this
 * one; a cleanup job removes what is the bot's.
 */
export interface GrantFailure {
  standing?: boolean;
  mayHaveGranted?: boolean;
}

export function failGrant(request: AccessRequest, cause: string, now: number, outcome: GrantFailure = {}): TransitionResult {
  if (request.state !== 'approved') return wrongState(request);
  const cleanupNeeded = !outcome.standing && outcome.mayHaveGranted === true && request.grantCall !== undefined;
  const failed: FailedRequest = outcome.standing
    ? { ...request, state: 'failed', failure: cause, cleanup: { at: now, result: 'standing' } }
    : { ...request, state: 'failed', failure: cause };
  const jobs: JobOrder[] = [...(cleanupNeeded ? [{ kind: 'cleanup' } as const] : []), ...closeChangeJobs(request), notify('failed')];
  return move(request, failed, { action: 'grant_failed', actor: SYSTEM, detail: { cause, cleanup: cleanupNeeded } }, jobs);
}

/**
 * What the cleanup after a failed grant found and did. `keptBy`: the bot's other request that covers the
 * membership; `heldBy`: the assignment outside the bot that holds it (the result is then `standing`).
 */
export function recordCleanup(
  request: AccessRequest,
  result: CleanupResult,
  now: number,
  holders: { keptBy?: string; heldBy?: string } = {},
  signOut = false,
): TransitionResult {
  if (request.state !== 'failed' || !request.grantCall || request.cleanup) return { ok: false, code: 'nothing_to_clean' };
  const { keptBy, heldBy } = holders;
  const named = { ...(keptBy !== undefined && { keptBy }), ...(heldBy !== undefined && { heldBy }) };
  // A membership the bot removed may have carried Boundary sign-ins meanwhile: they end as after any end.
  const jobs: JobOrder[] = signOut && result === 'removed' ? [{ kind: 'sign_out' }, notify('cleaned_up')] : [notify('cleaned_up')];
  return move(
    request,
    { ...request, cleanup: { at: now, result }, ...named },
    { action: 'cleaned_up', actor: SYSTEM, detail: { result, ...named } },
    jobs,
  );
}
