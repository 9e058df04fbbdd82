import { cancel } from '../domain/access-request.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import type { Clock, RequestRepository } from './ports.js';

/** The requester withdraws a request nobody has decided on yet. */
export function cancelRequest(
  deps: { requests: RequestRepository; clock: Clock },
  input: { requestId: string; actorId: string },
): Promise<ChangeOutcome> {
  return applyTransition(deps, input.requestId, (request, now) => cancel(request, input.actorId, now));
}
