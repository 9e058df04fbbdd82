// *Request again*: the button carries only the request id; the request itself says what to pre-fill, and the
// policy in force whether the person may still ask for it.

import type { Policy } from '../domain/policy.js';
import { type AskAgainOutcome, askAgain } from '../domain/request-again.js';
import type { RequestRepository } from './ports.js';

export type RequestAgainOutcome = AskAgainOutcome | { ok: false; code: 'unknown_request' };

export async function requestAgain(
  deps: { requests: RequestRepository; policy: Policy },
  input: { requestId: string; actorId: string },
): Promise<RequestAgainOutcome> {
  const request = await deps.requests.find(input.requestId);
  if (!request) return { ok: false, code: 'unknown_request' };
  return askAgain(deps.policy, request, input.actorId);
}
