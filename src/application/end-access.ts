import { requestEnd } from '../domain/ending.js';
import { isAdmin, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import type { Clock, RequestRepository } from './ports.js';

/** "End access now" from the requester (released) or an admin's Revoke (revoked): both go through the revoke job. */
export function endAccess(
  deps: { requests: RequestRepository; policy: Policy; clock: Clock },
  input: { requestId: string; actorId: string; reason: 'released' | 'revoked' },
): Promise<ChangeOutcome> {
  const authority = { isAdmin: isAdmin(deps.policy, input.actorId) };
  return applyTransition(deps, input.requestId, (request, now) => requestEnd(request, input.reason, input.actorId, now, authority));
}
