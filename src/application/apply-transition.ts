import type { AccessRequest, Refusal, TransitionResult } from '../domain/access-request.js';
import type { Clock, JobLease, RequestRepository } from './ports.js';

export type ChangeOutcome =
  | { ok: true; request: AccessRequest; previous: AccessRequest }
  | Refusal
  | { ok: false; code: 'unknown_request' | 'conflict' };

// Each retry re-reads the request, so a lost race is decided again on what the winner wrote.
const MAX_ATTEMPTS = 5;

/**
 * Read → decide → write with compare-and-set. `decide` is a pure transition; when another writer changed the
 * request between the read and the write, the change is decided again on the fresh request. `read` is the
 * request as the caller already read it in this step: the first attempt decides on it instead of reading again
 * (compare-and-set still catches a change since).
 */
export async function applyTransition(
  deps: { requests: RequestRepository; clock: Clock },
  requestId: string,
  decide: (request: AccessRequest, now: number) => TransitionResult,
  options: { completeJob?: JobLease; read?: AccessRequest } = {},
): Promise<ChangeOutcome> {
  const { read, ...write } = options;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const request = attempt === 0 && read?.id === requestId ? read : await deps.requests.find(requestId);
    if (!request) return { ok: false, code: 'unknown_request' };
    const now = deps.clock.now();
    const result = decide(request, now);
    if (!result.ok) return result;
    if (await deps.requests.apply(request, result, now, write)) return { ok: true, request: result.request, previous: request };
  }
  return { ok: false, code: 'conflict' };
}
