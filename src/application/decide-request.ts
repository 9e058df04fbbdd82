import { type AccessRequest, approve, cancel, deny, timeOut } from '../domain/access-request.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import type { Clock, RequestRepository } from './ports.js';

export interface DecideDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
}

export interface DecideInput {
  requestId: string;
  actorId: string;
  decision: 'approve' | 'deny';
  comment?: string;
}

export type DecideOutcome = ChangeOutcome | { ok: false; code: 'target_removed' };

/**
 * An approver's Approve or Deny. The approver list is the policy's as it is now, so removing someone from the
 * policy takes away their say over requests already waiting.
 */
export function decideRequest(deps: DecideDeps, input: DecideInput): DecideOutcome {
  const stored = deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, stored.targetId);
  if (!target) return { ok: false, code: 'target_removed' };

  const outcome = applyTransition(deps, input.requestId, (request, now) =>
    input.decision === 'approve' ? approve(request, target, input.actorId, now) : deny(request, target, input.actorId, now, input.comment),
  );
  if (!outcome.ok && outcome.code === 'pending_timeout_passed') {
    // The sweeper has not got to it yet: time it out now, and answer as for any closed request.
    const timedOut = applyTransition(deps, input.requestId, (request, now) => timeOut(request, now));
    return timedOut.ok ? { ok: false, code: 'wrong_state', state: 'timed_out' } : timedOut;
  }
  return outcome;
}

/** Whether the decision would be accepted now, without making it (Deny asks for a reason first). */
export function previewDecision(
  deps: DecideDeps,
  input: DecideInput,
): { ok: true; request: AccessRequest } | Extract<DecideOutcome, { ok: false }> {
  const request = deps.requests.find(input.requestId);
  if (!request) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, request.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const now = deps.clock.now();
  const result = input.decision === 'approve' ? approve(request, target, input.actorId, now) : deny(request, target, input.actorId, now);
  return result.ok ? { ok: true, request } : result;
}

export function cancelRequest(
  deps: { requests: RequestRepository; clock: Clock },
  input: { requestId: string; actorId: string },
): ChangeOutcome {
  return applyTransition(deps, input.requestId, (request, now) => cancel(request, input.actorId, now));
}
