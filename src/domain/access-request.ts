// The lifecycle of an access request (DESIGN.md, "Lifecycle of a request"), as pure functions.
// Each transition takes the current request and `now`, and returns either the next request together
// with the audit event and the jobs the change needs, or a refusal saying why nothing changed.

import { minutesToMs } from './duration.js';
import type { NewsKind } from './news.js';
import type { GrantKind, GrantSpec, Target } from './policy.js';

export const REQUEST_STATES = ['pending', 'approved', 'active', 'ended', 'denied', 'cancelled', 'timed_out', 'failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const END_REASONS = ['expired', 'released', 'revoked'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** `system` stands for the bot itself: the sweeper, the job worker, the timeout. */
export type Actor = string;
export const SYSTEM: Actor = 'system';

export interface Approval {
  approverId: string;
  at: number;
}

export interface AccessRequest {
  id: string;
  requesterId: string;
  /** The requester's Entra object id, resolved from their Slack email when they asked. */
  principalId?: string;
  targetId: string;
  reason: string;
  durationMinutes: number;
  requiredApprovals: number;
  state: RequestState;
  /** Bumped by every stored change; the store's compare-and-set key. */
  version: number;
  createdAt: number;
  pendingUntil: number;
  approvals: readonly Approval[];
  denial?: { by: Actor; at: number; comment?: string };
  cancelledAt?: number;
  decidedAt?: number;
  /** What was granted, set when the grant is confirmed. */
  grant?: GrantRecord;
  grantedAt?: number;
  endsAt?: number;
  /** Set when an end has been asked for and the revoke job is under way. */
  ending?: { reason: EndReason; by: Actor; at: number };
  endedAt?: number;
  endReason?: EndReason;
  failure?: string;
  /** When the requester was warned that the grant ends soon. */
  expiryWarnedAt?: number;
}

export interface GrantRecord {
  kind: GrantKind;
  groupId: string;
  /** The Entra object id of the requester. */
  principalId: string;
  /** The provider's own handle on the grant, e.g. the PIM schedule request id. */
  reference?: string;
}

export type JobKind = 'grant' | 'revoke' | 'notify';
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
  | { ok: false; code: 'not_the_requester' | 'not_allowed' | 'already_ending' | 'not_yet_due' }
  | { ok: false; code: 'wrong_state'; state: RequestState; decidedBy?: Actor; decidedAt?: number };

export interface Transition {
  ok: true;
  request: AccessRequest;
  audit: AuditEntry;
  jobs: JobOrder[];
}

export type TransitionResult = Transition | Refusal;

function wrongState(request: AccessRequest): Refusal {
  const lastApproval = request.approvals[request.approvals.length - 1];
  const decider = request.denial ?? (lastApproval ? { by: lastApproval.approverId, at: lastApproval.at } : undefined);
  return decider && request.state !== 'pending'
    ? { ok: false, code: 'wrong_state', state: request.state, decidedBy: decider.by, decidedAt: decider.at }
    : { ok: false, code: 'wrong_state', state: request.state };
}

function move(
  request: AccessRequest,
  changes: Partial<AccessRequest>,
  audit: Omit<AuditEntry, 'from' | 'to'>,
  jobs: JobOrder[],
): Transition {
  const next = { ...request, ...changes, version: request.version + 1 };
  return { ok: true, request: next, audit: { ...audit, from: request.state, to: next.state }, jobs };
}

const notify = (event: NewsKind): JobOrder => ({ kind: 'notify', event });

export interface NewRequestInput {
  id: string;
  requesterId: string;
  principalId?: string;
  target: Target;
  reason: string;
  durationMinutes: number;
  pendingTimeoutMinutes: number;
  now: number;
}

export function openRequest(input: NewRequestInput): Transition {
  const request: AccessRequest = {
    id: input.id,
    requesterId: input.requesterId,
    ...(input.principalId !== undefined && { principalId: input.principalId }),
    targetId: input.target.id,
    reason: input.reason,
    durationMinutes: input.durationMinutes,
    requiredApprovals: input.target.approvers.required,
    state: 'pending',
    version: 1,
    createdAt: input.now,
    pendingUntil: input.now + minutesToMs(input.pendingTimeoutMinutes),
    approvals: [],
  };
  return {
    ok: true,
    request,
    audit: {
      action: 'requested',
      actor: input.requesterId,
      from: null,
      to: 'pending',
      detail: { targetId: request.targetId, durationMinutes: request.durationMinutes, reason: request.reason },
    },
    jobs: [notify('requested')],
  };
}

/** Checks shared by approve and deny: who may decide, and whether there is still something to decide. */
function refuseDecision(request: AccessRequest, target: Target, actor: Actor, now: number): Refusal | undefined {
  if (actor === request.requesterId) return { ok: false, code: 'self_approval' };
  if (!target.approvers.users.includes(actor)) return { ok: false, code: 'not_an_approver' };
  if (request.state !== 'pending') return wrongState(request);
  if (now >= request.pendingUntil) return { ok: false, code: 'pending_timeout_passed' };
  return undefined;
}

export function approve(request: AccessRequest, target: Target, actor: Actor, now: number): TransitionResult {
  const refusal = refuseDecision(request, target, actor, now);
  if (refusal) return refusal;
  if (request.approvals.some((approval) => approval.approverId === actor)) return { ok: false, code: 'already_approved' };

  const approvals = [...request.approvals, { approverId: actor, at: now }];
  const detail = { approvals: approvals.length, required: request.requiredApprovals };
  if (approvals.length < request.requiredApprovals) {
    return move(request, { approvals }, { action: 'approval_recorded', actor, detail }, [notify('approval_recorded')]);
  }
  return move(request, { approvals, state: 'approved', decidedAt: now }, { action: 'approved', actor, detail }, [
    { kind: 'grant' },
    notify('approved'),
  ]);
}

export function deny(request: AccessRequest, target: Target, actor: Actor, now: number, comment?: string): TransitionResult {
  const refusal = refuseDecision(request, target, actor, now);
  if (refusal) return refusal;
  const denial = comment ? { by: actor, at: now, comment } : { by: actor, at: now };
  return move(request, { state: 'denied', denial, decidedAt: now }, { action: 'denied', actor, detail: { comment: comment ?? null } }, [
    notify('denied'),
  ]);
}

export function cancel(request: AccessRequest, actor: Actor, now: number): TransitionResult {
  if (actor !== request.requesterId) return { ok: false, code: 'not_the_requester' };
  if (request.state !== 'pending') return wrongState(request);
  return move(request, { state: 'cancelled', cancelledAt: now }, { action: 'cancelled', actor, detail: {} }, [notify('cancelled')]);
}

export function timeOut(request: AccessRequest, now: number): TransitionResult {
  if (request.state !== 'pending') return wrongState(request);
  if (now < request.pendingUntil) return { ok: false, code: 'not_yet_due' };
  return move(request, { state: 'timed_out', decidedAt: now }, { action: 'timed_out', actor: SYSTEM, detail: {} }, [notify('timed_out')]);
}

/** The clock starts when the grant is confirmed, not when it was asked for. */
export function confirmGrant(request: AccessRequest, grant: GrantRecord, now: number): TransitionResult {
  if (request.state !== 'approved') return wrongState(request);
  const endsAt = now + minutesToMs(request.durationMinutes);
  return move(
    request,
    { state: 'active', grant, grantedAt: now, endsAt },
    { action: 'granted', actor: SYSTEM, detail: { ...grant, endsAt } },
    [notify('granted')],
  );
}

export function failGrant(request: AccessRequest, cause: string): TransitionResult {
  if (request.state !== 'approved') return wrongState(request);
  return move(request, { state: 'failed', failure: cause }, { action: 'grant_failed', actor: SYSTEM, detail: { cause } }, [
    notify('failed'),
  ]);
}

export interface EndAuthority {
  /** Admins may revoke any grant. */
  isAdmin: boolean;
}

/**
 * Asks for the end of an active grant: `released` by its requester, `revoked` by an admin, `expired` by the
 * bot once `endsAt` has passed. The grant stays active until the revoke job confirms the end.
 */
export function requestEnd(
  request: AccessRequest,
  reason: EndReason,
  actor: Actor,
  now: number,
  authority: EndAuthority = { isAdmin: false },
): TransitionResult {
  if (reason === 'released' && actor !== request.requesterId) return { ok: false, code: 'not_the_requester' };
  if (reason === 'revoked' && !authority.isAdmin) return { ok: false, code: 'not_allowed' };
  if (reason === 'expired' && actor !== SYSTEM) return { ok: false, code: 'not_allowed' };
  if (request.state !== 'active') return wrongState(request);
  if (request.ending) return { ok: false, code: 'already_ending' };
  if (reason === 'expired' && (request.endsAt === undefined || now < request.endsAt)) return { ok: false, code: 'not_yet_due' };
  // A person who ends or revokes access sees the card say so at once; an expiry is reported when it is done.
  const jobs: JobOrder[] = reason === 'expired' ? [{ kind: 'revoke' }] : [{ kind: 'revoke' }, notify('end_requested')];
  return move(request, { ending: { reason, by: actor, at: now } }, { action: 'end_requested', actor, detail: { reason } }, jobs);
}

export function confirmEnd(request: AccessRequest, now: number, detail: Record<string, unknown> = {}): TransitionResult {
  if (request.state !== 'active' || !request.ending) return wrongState(request);
  const reason = request.ending.reason;
  return move(
    request,
    { state: 'ended', endedAt: now, endReason: reason },
    { action: 'ended', actor: SYSTEM, detail: { ...detail, reason } },
    [notify('ended')],
  );
}

/** The requester is told once, `warningMinutes` before the end, that the grant is about to end. */
export function warnOfExpiry(request: AccessRequest, warningMinutes: number, now: number): TransitionResult {
  if (request.state !== 'active' || request.endsAt === undefined) return wrongState(request);
  if (request.ending || request.expiryWarnedAt !== undefined) return { ok: false, code: 'already_ending' };
  if (now < request.endsAt - minutesToMs(warningMinutes)) return { ok: false, code: 'not_yet_due' };
  return move(request, { expiryWarnedAt: now }, { action: 'expiry_warned', actor: SYSTEM, detail: { endsAt: request.endsAt } }, [
    notify('expiring_soon'),
  ]);
}

/**
 * Reconciliation found the membership gone before the grant's end (removed by hand in Entra): the grant is
 * ended through the usual revoke job, which finds it already gone, and everyone is told.
 */
export function endRemovedOutside(request: AccessRequest, now: number): TransitionResult {
  if (request.state !== 'active') return wrongState(request);
  if (request.ending) return { ok: false, code: 'already_ending' };
  return move(
    request,
    { ending: { reason: 'revoked', by: SYSTEM, at: now } },
    { action: 'drift_removed_outside', actor: SYSTEM, detail: { endsAt: request.endsAt } },
    [{ kind: 'revoke' }, notify('drift_removed_outside')],
  );
}

/** Reconciliation found membership still there after the grant ended, and removed it (or could not). */
export function recordLingeringAccess(request: AccessRequest, removed: boolean, problem?: string): TransitionResult {
  if (request.state !== 'ended') return wrongState(request);
  return move(request, {}, { action: 'drift_still_present', actor: SYSTEM, detail: { removed, ...(problem && { problem }) } }, [
    notify(removed ? 'drift_still_present' : 'revoke_failing'),
  ]);
}

/** A revocation that keeps failing is raised with the approvers once; the revoke job keeps trying. */
export function reportRevokeTrouble(request: AccessRequest, problem: string, attempts: number): TransitionResult {
  if (request.state !== 'active' || !request.ending) return wrongState(request);
  return move(request, {}, { action: 'revoke_failing', actor: SYSTEM, detail: { problem, attempts } }, [notify('revoke_failing')]);
}

/** The grant as the provider needs it to end it: what was granted, whatever the policy says today. */
export function grantedSpec(grant: GrantRecord): GrantSpec {
  return grant.kind === 'pim_group'
    ? { kind: 'pim_group', groupId: grant.groupId, requireEligibility: false }
    : { kind: 'group_membership', groupId: grant.groupId };
}

export function isOpen(state: RequestState): boolean {
  return state === 'pending' || state === 'approved' || state === 'active';
}

/**
 * One open request per person and target: a second grant of the same group would end with the first one's
 * revocation, so the person is asked to use (or end) what they have instead.
 */
export function openRequestFor(requests: readonly AccessRequest[], targetId: string): AccessRequest | undefined {
  return requests.find((request) => request.targetId === targetId && isOpen(request.state));
}

// The reason is shown to approvers and kept in the audit trail; it must say something.
export const REASON_MIN_LENGTH = 10;
// Escaping for mrkdwn can grow a character to five (`&` → `&amp;`); 500 keeps the card's text under Slack's 3000.
export const REASON_MAX_LENGTH = 500;

export type ReasonCheck = { ok: true; reason: string } | { ok: false; code: 'reason_missing' | 'reason_too_short' | 'reason_too_long' };

export function checkReason(text: string | undefined): ReasonCheck {
  const reason = (text ?? '').trim();
  if (reason === '') return { ok: false, code: 'reason_missing' };
  if (reason.length < REASON_MIN_LENGTH) return { ok: false, code: 'reason_too_short' };
  if (reason.length > REASON_MAX_LENGTH) return { ok: false, code: 'reason_too_long' };
  return { ok: true, reason };
}
