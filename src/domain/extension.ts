// Extending an active grant: the requester asks for more time, the target's approvers decide (or the policy
// grants it at once), and the end moves. Pure functions, like the rest of the lifecycle in access-request.ts.
//
// What a reviewer checks: the clock never restarts (the end moves by exactly the minutes granted, and
// `endsAt = grantedAt + durationMinutes + extendedMinutes` holds after every step); the whole time granted never
// exceeds the target's `extension.max_total` as the policy says now; the requester never decides on their own
// extension, and the quorum is the current one; nothing is extended once its end has come or was asked for.

import {
  type AccessRequest,
  type ActiveRequest,
  type Actor,
  type ExtensionAsk,
  type JobOrder,
  move,
  notify,
  type Refusal,
  SYSTEM,
  type Transition,
  type TransitionResult,
  wrongState,
} from './access-request.js';
import { type Approvers, listedApprovers } from './approvers.js';
import { minutesToMs } from './duration.js';
import type { Target } from './policy.js';

/** The extension waiting for the approvers, if any. */
export function pendingExtension(request: AccessRequest): ExtensionAsk | undefined {
  if (request.state !== 'active') return undefined;
  return request.extension && !request.extension.decision ? request.extension : undefined;
}

/** The minutes granted so far: the first duration and every extension. */
export function totalGrantedMinutes(request: ActiveRequest): number {
  return request.durationMinutes + (request.extendedMinutes ?? 0);
}

/** How many more minutes the target's policy allows this grant (0 without an `extension` block). */
export function extensionRoom(request: ActiveRequest, target: Target): number {
  return target.extension ? Math.max(0, target.extension.maxTotalMinutes - totalGrantedMinutes(request)) : 0;
}

/** Whether Extend is offered on this grant now: the target allows it, there is room, and nothing is pending. */
export function mayOfferExtension(request: AccessRequest, target: Target | undefined): boolean {
  return (
    request.state === 'active' &&
    !request.ending &&
    target?.extension !== undefined &&
    extensionRoom(request, target) > 0 &&
    pendingExtension(request) === undefined
  );
}

/**
 * The grant is over for extending: ended, its end asked for (an expiry on its way, an early end, a revoke), or
 * its end already passed and the sweeper not there yet. The person is pointed to a new request instead.
 */
function grantOver(request: AccessRequest, now: number): boolean {
  if (request.state === 'ended') return true;
  return request.state === 'active' && (request.ending !== undefined || now >= request.endsAt);
}

/** Checks every extension step shares: a target that allows it, a grant still running, and room left. */
function refuseExtension(request: AccessRequest, target: Target, minutes: number, now: number): Refusal | ActiveRequest {
  if (!target.extension) return { ok: false, code: 'extension_not_offered' };
  if (grantOver(request, now)) return { ok: false, code: 'grant_over' };
  if (request.state !== 'active') return wrongState(request);
  const room = extensionRoom(request, target);
  if (minutes > room) return { ok: false, code: 'over_max_total', remainingMinutes: room };
  return request;
}

export interface ExtensionInput {
  minutes: number;
  reason: string;
}

/**
 * The requester asks for `minutes` more. With `approval: auto` the extension is granted at once; with
 * `approvers` it waits, on the request, for the target's approvers.
 */
export function askExtension(request: AccessRequest, target: Target, actor: Actor, input: ExtensionInput, now: number): TransitionResult {
  if (!target.extension) return { ok: false, code: 'extension_not_offered' };
  if (actor !== request.requesterId) return { ok: false, code: 'not_the_requester' };
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.reason.trim() === '') return { ok: false, code: 'invalid_extension' };
  const checked = refuseExtension(request, target, input.minutes, now);
  if ('ok' in checked) return checked;
  if (pendingExtension(checked)) return { ok: false, code: 'extension_pending' };

  const ask: ExtensionAsk = { minutes: input.minutes, reason: input.reason, askedAt: now, approvals: [] };
  if (target.extension.approval === 'auto') return grantExtension(checked, ask, SYSTEM, now, 'auto');
  const detail = { minutes: ask.minutes, reason: ask.reason, endsAt: checked.endsAt };
  return move(checked, { ...checked, extension: ask }, { action: 'extension_requested', actor, detail }, [notify('extension_requested')]);
}

/**
 * Who may decide on an extension: the target's approvers as the policy lists them now (and its user groups' members
 * as Slack lists them, when `approvers` was read), never the requester.
 */
function refuseDecider(request: AccessRequest, approvers: Approvers, actor: Actor): Refusal | undefined {
  if (actor === request.requesterId) return { ok: false, code: 'self_approval' };
  if (!approvers.has(actor)) return { ok: false, code: 'not_an_approver' };
  return undefined;
}

/** An approver's Approve on the pending extension: granted once the target's current quorum is reached. */
export function approveExtension(
  request: AccessRequest,
  target: Target,
  actor: Actor,
  now: number,
  approvers: Approvers = listedApprovers(target),
): TransitionResult {
  const refusal = refuseDecider(request, approvers, actor);
  if (refusal) return refusal;
  const ask = pendingExtension(request);
  if (!ask) return grantOver(request, now) ? { ok: false, code: 'grant_over' } : { ok: false, code: 'no_extension_pending' };
  const checked = refuseExtension(request, target, ask.minutes, now);
  if ('ok' in checked) return checked;
  if (ask.approvals.some((approval) => approval.approverId === actor)) return { ok: false, code: 'already_approved' };

  const approvals = [...ask.approvals, { approverId: actor, at: now }];
  // As for requests, the policy as it is now decides: approvals of people no longer approvers stop counting.
  const counted = approvals.filter((approval) => approvers.has(approval.approverId)).length;
  const required = target.approvers.required;
  if (counted < required) {
    const detail = { minutes: ask.minutes, approvals: counted, required };
    return move(checked, { ...checked, extension: { ...ask, approvals } }, { action: 'extension_approval_recorded', actor, detail }, [
      notify('extension_approval_recorded'),
    ]);
  }
  return grantExtension(checked, { ...ask, approvals }, actor, now, 'approvers');
}

/** An approver's Deny on the pending extension: the end stays where it was. */
export function denyExtension(
  request: AccessRequest,
  target: Target,
  actor: Actor,
  now: number,
  comment?: string,
  approvers: Approvers = listedApprovers(target),
): TransitionResult {
  const refusal = refuseDecider(request, approvers, actor);
  if (refusal) return refusal;
  const ask = pendingExtension(request);
  if (!ask || request.state !== 'active') return { ok: false, code: 'no_extension_pending' };
  const decision = { result: 'denied' as const, by: actor, at: now, ...(comment && { comment }) };
  return move(
    request,
    { ...request, extension: { ...ask, decision } },
    { action: 'extension_denied', actor, detail: { minutes: ask.minutes, comment: comment ?? null } },
    [notify('extension_denied')],
  );
}

/**
 * The end moves by the minutes granted, from the end as it stands (never from now), and the expiry warning may
 * come again before the new end. A PIM grant's end in Entra is moved by a job of its own; a direct membership
 * has no end in Entra, the bot's is the only one.
 */
function grantExtension(request: ActiveRequest, ask: ExtensionAsk, by: Actor, now: number, approval: 'auto' | 'approvers'): Transition {
  const { expiryWarnedAt: _warnedBefore, ...rest } = request;
  const extendedMinutes = (request.extendedMinutes ?? 0) + ask.minutes;
  const endsAt = request.endsAt + minutesToMs(ask.minutes);
  const extended: ActiveRequest = { ...rest, extendedMinutes, endsAt, extension: { ...ask, decision: { result: 'granted', by, at: now } } };
  const jobs: JobOrder[] = request.grant.kind === 'pim_group' ? [{ kind: 'extend' }, notify('extended')] : [notify('extended')];
  const detail = {
    minutes: ask.minutes,
    reason: ask.reason,
    approval,
    approvals: ask.approvals.map((given) => given.approverId),
    endsAtBefore: request.endsAt,
    endsAt,
    totalMinutes: request.durationMinutes + extendedMinutes,
  };
  // The requester's ask, when the policy grants it at once, is the actor of the one event that records both.
  return move(request, extended, { action: 'extended', actor: approval === 'auto' ? request.requesterId : by, detail }, jobs);
}

/** What moving the end in Entra came to: moved, no assignment left to move, or refused by Entra. */
export type EntraExtension = { result: 'moved'; entraEndsAt: number } | { result: 'absent' } | { result: 'refused'; problem: string };

/**
 * Records the extend job's outcome on the grant. A refusal is told to people: Entra keeps its earlier end, so
 * the access may end before the end the bot shows.
 */
export function recordEntraExtension(request: AccessRequest, outcome: EntraExtension): TransitionResult {
  if (request.state !== 'active') return wrongState(request);
  const jobs: JobOrder[] = outcome.result === 'refused' ? [notify('extension_failed')] : [];
  const { result, ...detail } = outcome;
  return move(
    request,
    request,
    { action: 'extension_in_entra', actor: SYSTEM, detail: { result, endsAt: request.endsAt, ...detail } },
    jobs,
  );
}
