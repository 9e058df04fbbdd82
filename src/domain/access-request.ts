// The lifecycle of an access request (the README's "Lifecycle of a request"), as pure functions.
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
  /** That Entra account's UPN, shown to approvers: the account that will receive the access. */
  principalName?: string;
  /** The requester's Slack profile email, which their Boundary account may carry. */
  email?: string;
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
  /**
   * The grant call, journaled before it is first sent. An "already exists" answer to a retry of a journaled call
   * is the bot's own earlier call; to a first call it is access the person held before (never removed). The end
   * counts from here, so a crash between the call and its confirmation never lengthens a grant.
   */
  grantCall?: { sentAt: number; kind: GrantKind; groupId: string };
  /** For a request that failed after its grant call: whether what the call may have created was removed. */
  cleanup?: { at: number; result: CleanupResult };
  /** An end that left the membership in place, because this other request of the bot still covers it. */
  keptBy?: string;
  /**
   * An end or cleanup that left the membership in place, because an assignment the bot did not make holds it
   * (this PIM schedule: an admin's, made in place of the bot's or after it ended).
   */
  heldBy?: string;
  /**
   * What the end did to the membership: removed it, found it already gone, kept it for another grant of the bot
   * (`keptBy`), or left it to an assignment the bot did not make (`heldBy`). Reconciliation removes a membership
   * again only where the bot's own removal was never confirmed (see `removalConfirmed`).
   */
  removal?: RemovalOutcome;
  /** After the end: the person's Boundary sign-ins and live sessions ended, and checked gone. */
  signOut?: SignOutRecord;
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

/**
 * removed / absent: the bot took away what its call may have created (or found nothing); covered: another active
 * grant of the bot holds the same membership; standing: the person held it before, so nothing was the bot's.
 */
export interface SignOutRecord {
  at: number;
  tokensRevoked: number;
  sessionsEnded: number;
  /** Accounts of the same Boundary users outside the OIDC auth method: their sign-ins keep the stored groups. */
  otherAccounts: number;
}

export type CleanupResult = 'removed' | 'absent' | 'covered' | 'standing';

/** What an end found and did: `kept` for another grant of the bot, `held` by an assignment the bot did not make. */
export const REMOVAL_OUTCOMES = ['removed', 'absent', 'kept', 'held'] as const;
export type RemovalOutcome = (typeof REMOVAL_OUTCOMES)[number];

/** A request whose grant Entra confirmed (active, or ended since): what was granted, from when, until when. */
export type GrantedRequest = AccessRequest & { grant: GrantRecord; grantedAt: number; endsAt: number };

export function isGranted(request: AccessRequest): request is GrantedRequest {
  return request.grant !== undefined && request.grantedAt !== undefined && request.endsAt !== undefined;
}

export interface GrantRecord {
  kind: GrantKind;
  groupId: string;
  /** The Entra object id of the requester. */
  principalId: string;
  /** The provider's own handle on the grant, e.g. the PIM schedule request id. */
  reference?: string;
}

/**
 * One meaning each: `revoke` ends an active grant's membership; `cleanup` removes what a failed grant's call may
 * have left; `grant` makes the grant; `sign_out` is the Boundary step after any removal, a kind of its own so
 * that it never takes the slots Entra's need; `notify` tells people. Listed in the order due jobs are handed
 * out: access on time matters more than any message about it, and a slow Boundary must never queue an Entra
 * removal behind it.
 */
export const JOB_KINDS = ['revoke', 'cleanup', 'grant', 'sign_out', 'notify'] as const;
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
  | { ok: false; code: 'journal_mismatch' }
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
  const decider = request.denial ?? (lastApproval ? { by: lastApproval.approverId, at: lastApproval.at } : undefined);
  return decider && request.state !== 'pending'
    ? { ok: false, code: 'wrong_state', state: request.state, decidedBy: decider.by, decidedAt: decider.at }
    : { ok: false, code: 'wrong_state', state: request.state };
}

/** The next request, its audit event and its jobs: every transition is one of these. */
export function move(
  request: AccessRequest,
  changes: Partial<AccessRequest>,
  audit: Omit<AuditEntry, 'from' | 'to'>,
  jobs: JobOrder[],
): Transition {
  const next = { ...request, ...changes, version: request.version + 1 };
  return { ok: true, request: next, audit: { ...audit, from: request.state, to: next.state }, jobs };
}

export const notify = (event: NewsKind): JobOrder => ({ kind: 'notify', event });

export interface NewRequestInput {
  id: string;
  requesterId: string;
  principalId?: string;
  principalName?: string;
  email?: string;
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
    ...(input.principalName !== undefined && { principalName: input.principalName }),
    ...(input.email !== undefined && { email: input.email }),
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
  // The policy as it is now decides: approvals of people no longer approvers stop counting, and the quorum is
  // the current one.
  const counted = approvals.filter((approval) => target.approvers.users.includes(approval.approverId)).length;
  const requiredApprovals = target.approvers.required;
  const detail = { approvals: counted, required: requiredApprovals };
  if (counted < requiredApprovals) {
    return move(request, { approvals, requiredApprovals }, { action: 'approval_recorded', actor, detail }, [notify('approval_recorded')]);
  }
  return move(request, { approvals, requiredApprovals, state: 'approved', decidedAt: now }, { action: 'approved', actor, detail }, [
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

/** A policy that lowered the target's maximum since the approval cuts the grant to the new maximum. */
export function grantedMinutes(request: AccessRequest, maxMinutes?: number): number {
  return maxMinutes === undefined ? request.durationMinutes : Math.min(request.durationMinutes, maxMinutes);
}

export type GrantCall = NonNullable<AccessRequest['grantCall']>;

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
    { grantCall },
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
  return move(
    request,
    { state: 'active', grant, grantedAt, endsAt, durationMinutes },
    { action: 'granted', actor: SYSTEM, detail: { ...grant, endsAt, ...cut } },
    [notify('granted')],
  );
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
  const changes: Partial<AccessRequest> = outcome.standing
    ? { state: 'failed', failure: cause, cleanup: { at: now, result: 'standing' } }
    : { state: 'failed', failure: cause };
  const jobs: JobOrder[] = cleanupNeeded ? [{ kind: 'cleanup' }, notify('failed')] : [notify('failed')];
  return move(request, changes, { action: 'grant_failed', actor: SYSTEM, detail: { cause, cleanup: cleanupNeeded } }, jobs);
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
    { cleanup: { at: now, result }, ...named },
    { action: 'cleaned_up', actor: SYSTEM, detail: { result, ...named } },
    jobs,
  );
}
