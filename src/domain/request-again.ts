// Asking again for what an earlier request asked for: the same target, duration and reason, as the policy in
// force allows them now.

import type { AccessRequest, RequestState } from './access-request.js';
import { durationChoices, findTarget, mayRequest, type Policy, requestableTargets, type Target } from './policy.js';
import { REASON_MAX_LENGTH } from './reason.js';

/** The states after which the requester is offered *Request again*: the request is over, and not by their own cancel. */
export const ASK_AGAIN_STATES = ['ended', 'denied', 'timed_out', 'failed'] as const satisfies readonly RequestState[];

export function mayAskAgainAfter(request: AccessRequest): boolean {
  return (ASK_AGAIN_STATES as readonly RequestState[]).includes(request.state);
}

/** What the request form opens with. */
export interface RequestPrefill {
  reason: string;
  durationMinutes: number;
}

export type AskAgainOutcome =
  | { ok: true; targets: Target[]; selected: Target; prefill: RequestPrefill }
  | { ok: false; code: 'not_the_requester' }
  | { ok: false; code: 'not_over'; state: RequestState }
  | { ok: false; code: 'target_removed'; targetId: string }
  | { ok: false; code: 'not_a_requester'; target: Target };

/**
 * The form for asking again, pre-filled from `request`: only its requester may, only once it is over, and only
 * for a target the policy still has and still lets them ask for. A duration the target no longer offers gives
 * way to its default.
 */
export function askAgain(policy: Policy, request: AccessRequest, actorId: string): AskAgainOutcome {
  if (request.requesterId !== actorId) return { ok: false, code: 'not_the_requester' };
  if (!mayAskAgainAfter(request)) return { ok: false, code: 'not_over', state: request.state };
  const target = findTarget(policy, request.targetId);
  if (!target) return { ok: false, code: 'target_removed', targetId: request.targetId };
  if (!mayRequest(target, actorId)) return { ok: false, code: 'not_a_requester', target };
  const durationMinutes = durationChoices(target).includes(request.durationMinutes)
    ? request.durationMinutes
    : target.duration.defaultMinutes;
  return {
    ok: true,
    targets: requestableTargets(policy, actorId),
    selected: target,
    prefill: { reason: request.reason.slice(0, REASON_MAX_LENGTH), durationMinutes },
  };
}
