// How an active grant ends, and what is recorded after: the end asked for (by its requester, an admin, the
// clock or reconciliation), confirmed once Entra no longer holds it, the Boundary sign-out after it, and the
// drift reconciliation finds. Pure functions, like the rest of the lifecycle in access-request.ts.

import {
  type AccessRequest,
  type Actor,
  closeChangeJobs,
  type EndedRequest,
  type EndReason,
  fieldsOf,
  type JobOrder,
  move,
  notify,
  type SignOutRecord,
  SYSTEM,
  type TransitionResult,
  wrongState,
} from './access-request.js';
import { minutesToMs } from './duration.js';

export interface EndAuthority {
  /** Admins may revoke any grant. */
  isAdmin: boolean;
  /**
   * The target's approvers may revoke a grant PagerDuty approved without them: they review it afterwards, and
   * the card keeps Revoke for them.
   */
  isApprover?: boolean;
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
  if (reason === 'revoked' && !authority.isAdmin && !(authority.isApprover && fieldsOf(request).autoApprovedBy !== undefined)) {
    return { ok: false, code: 'not_allowed' };
  }
  if (reason === 'expired' && actor !== SYSTEM) return { ok: false, code: 'not_allowed' };
  if (request.state !== 'active') return wrongState(request);
  if (request.ending) return { ok: false, code: 'already_ending' };
  if (reason === 'expired' && (request.endsAt === undefined || now < request.endsAt)) return { ok: false, code: 'not_yet_due' };
  // A person who ends or revokes access sees the card say so at once; an expiry is reported when it is done.
  const jobs: JobOrder[] = reason === 'expired' ? [{ kind: 'revoke' }] : [{ kind: 'revoke' }, notify('end_requested')];
  return move(
    request,
    { ...request, ending: { reason, by: actor, at: now } },
    { action: 'end_requested', actor, detail: { reason } },
    jobs,
  );
}

/** What the end's removal found: removed, already gone, or kept because this other grant of the bot covers it. */
export type EndRemoval = { outcome: 'removed' | 'absent' } | { outcome: 'kept'; keptBy: string };

/**
 * Records the end once Entra no longer holds the bot's membership (or another grant of the bot keeps it).
 * `signOut`: the person's Boundary sign-ins are to end too (a durable step of its own, so the Entra end never
 * waits on it).
 */
export function confirmEnd(request: AccessRequest, now: number, removal: EndRemoval, signOut = false): TransitionResult {
  if (request.state !== 'active' || !request.ending) return wrongState(request);
  const { ending } = request;
  const reason = ending.reason;
  const keptBy = removal.outcome === 'kept' ? removal.keptBy : undefined;
  const jobs: JobOrder[] = [
    ...(signOut && keptBy === undefined ? [{ kind: 'sign_out' } as const] : []),
    ...closeChangeJobs(request),
    notify('ended'),
  ];
  const ended: EndedRequest = {
    ...request,
    state: 'ended',
    ending,
    endedAt: now,
    endReason: reason,
    removal: removal.outcome,
    ...(keptBy !== undefined && { keptBy }),
  };
  return move(
    request,
    ended,
    { action: 'ended', actor: SYSTEM, detail: { reason, removal: removal.outcome, ...(keptBy !== undefined && { keptBy }) } },
    jobs,
  );
}

/**
 * The active PIM assignment is not the bot's (an admin's, made in place of the bot's or after it ended): the
 * grant ends without touching it, and people are told which assignment holds the access. No Boundary sign-out:
 * the person still holds the group.
 */
export function endHeldElsewhere(request: AccessRequest, now: number, heldBy: string): TransitionResult {
  if (request.state !== 'active' || !request.ending) return wrongState(request);
  const { ending } = request;
  const reason = ending.reason;
  const ended: EndedRequest = { ...request, state: 'ended', ending, endedAt: now, endReason: reason, removal: 'held', heldBy };
  const jobs = [...closeChangeJobs(request), notify('ended')];
  return move(request, ended, { action: 'ended', actor: SYSTEM, detail: { reason, removal: 'held', heldBy } }, jobs);
}

/** The requester is told once, `warningMinutes` before the end, that the grant is about to end. */
export function warnOfExpiry(request: AccessRequest, warningMinutes: number, now: number): TransitionResult {
  if (request.state !== 'active') return wrongState(request);
  if (request.ending || request.expiryWarnedAt !== undefined) return { ok: false, code: 'already_ending' };
  if (now < request.endsAt - minutesToMs(warningMinutes)) return { ok: false, code: 'not_yet_due' };
  return move(
    request,
    { ...request, expiryWarnedAt: now },
    { action: 'expiry_warned', actor: SYSTEM, detail: { endsAt: request.endsAt } },
    [notify('expiring_soon')],
  );
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
    { ...request, ending: { reason: 'revoked', by: SYSTEM, at: now } },
    { action: 'drift_removed_outside', actor: SYSTEM, detail: { endsAt: request.endsAt } },
    [{ kind: 'revoke' }, notify('drift_removed_outside')],
  );
}

/**
 * Reconciliation found the membership still there after the grant ended, where the bot's own removal was never
 * confirmed, and removed it (or could not). A removal it made is confirmed from then on, and, like any end, ends
 * the person's Boundary sign-ins.
 */
export function recordLingeringAccess(request: AccessRequest, removed: boolean, problem?: string, signOut = false): TransitionResult {
  if (request.state !== 'ended') return wrongState(request);
  const jobs: JobOrder[] = !removed
    ? [notify('revoke_failing')]
    : signOut
      ? [{ kind: 'sign_out' }, notify('drift_still_present')]
      : [notify('drift_still_present')];
  return move(
    request,
    removed ? { ...request, removal: 'removed' } : request,
    { action: 'drift_still_present', actor: SYSTEM, detail: { removed, ...(problem && { problem }) } },
    jobs,
  );
}

/**
 * A grant recorded on another group than its journaled call went to (a retry that followed a policy edit, before
 * grants were frozen in their journal): the grant is ended, and its end removes the journaled group's membership,
 * the one the bot's call made. The recorded group is left to people to check.
 */
export function endJournalMismatch(request: AccessRequest, now: number): TransitionResult {
  if (request.state !== 'active') return wrongState(request);
  if (request.ending) return { ok: false, code: 'already_ending' };
  const detail = { groupId: request.grant.groupId, journaledGroupId: request.grantCall?.groupId ?? null };
  return move(
    request,
    { ...request, ending: { reason: 'revoked', by: SYSTEM, at: now } },
    { action: 'drift_journal_mismatch', actor: SYSTEM, detail },
    [{ kind: 'revoke' }, notify('drift_journal_mismatch')],
  );
}

/** The person's Boundary sign-ins and sessions ended after the grant did, and were checked gone. */
export function recordSignOut(request: AccessRequest, signOut: SignOutRecord): TransitionResult {
  // Every removal the bot makes is followed by this step: an end, a failed grant's cleanup, a lingering
  // membership removed by reconciliation (a second sign-out then replaces the first record).
  const removedByBot = request.state === 'ended' || (request.state === 'failed' && request.cleanup?.result === 'removed');
  if (!removedByBot) return wrongState(request);
  const { at: _at, ...counts } = signOut;
  return move(request, { ...request, signOut }, { action: 'boundary_signed_out', actor: SYSTEM, detail: counts }, [notify('signed_out')]);
}

/** A revocation (or its Boundary step) that keeps failing is raised with the approvers once; the job keeps trying. */
export function reportRevokeTrouble(request: AccessRequest, problem: string, attempts: number): TransitionResult {
  const endingEntra = request.state === 'active' && request.ending !== undefined;
  const endingBoundary = request.state === 'ended' || (request.state === 'failed' && request.cleanup?.result === 'removed');
  if (!endingEntra && !endingBoundary) return wrongState(request);
  return move(request, request, { action: 'revoke_failing', actor: SYSTEM, detail: { problem, attempts } }, [notify('revoke_failing')]);
}
