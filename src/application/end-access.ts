import { requestEnd } from '../domain/ending.js';
import { findTarget, isAdmin, isApprover, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import type { Clock, RequestRepository } from './ports.js';

/**
 * "End access now" from the requester (released), or Revoke (revoked) from an admin or, for a grant PagerDuty
 * approved, one of the target's approvers: all go through the revoke job.
 */
export function endAccess(
  deps: { requests: RequestRepository; policy: Policy; clock: Clock },
  input: { requestId: string; actorId: string; reason: 'released' | 'revoked' },
): Promise<ChangeOutcome> {
  const admin = isAdmin(deps.policy, input.actorId);
  return applyTransition(deps, input.requestId, (request, now) => {
    const target = findTarget(deps.policy, request.targetId);
    const authority = { isAdmin: admin, isApprover: target !== undefined && isApprover(target, input.actorId) };
    return requestEnd(request, input.reason, input.actorId, now, authority);
  });
}
