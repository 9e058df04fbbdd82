import type { AccessRequest, IncidentRef } from '../domain/access-request.js';
import { openRequest } from '../domain/access-request.js';
import { breakGlass } from '../domain/break-glass.js';
import { openRequestFor } from '../domain/membership.js';
import { checkRequestedDuration, findTarget, mayRequest, type Policy } from '../domain/policy.js';
import { checkReason } from '../domain/reason.js';
import type { Clock, IdSource, RequestRepository } from './ports.js';

export interface RecordInput {
  requesterId: string;
  /** The requester's Entra object id, resolved before the request is stored (request-access.ts). */
  principalId: string;
  /** Its UPN, and the Slack email it was found by. */
  principalName?: string;
  email?: string;
  targetId: string;
  reason: string | undefined;
  durationMinutes: number;
  /** The PagerDuty incident named in the form, found open (request-access.ts looks it up). */
  incident?: IncidentRef;
  /** Break-glass: granted at once, capped at the target's `break_glass.max`, reviewed afterwards. */
  breakGlass?: boolean;
}

export type RecordOutcome =
  | { ok: true; request: AccessRequest }
  | {
      ok: false;
      code:
        | 'unknown_target'
        | 'already_open'
        | 'not_a_requester'
        | 'reason_missing'
        | 'reason_too_short'
        | 'reason_too_long'
        | 'duration_too_long'
        | 'duration_too_short'
        | 'duration_not_offered'
        | 'break_glass_not_offered';
    };

// Open requests are recent ones: a pending request times out within hours, a grant ends within days.
const OPEN_LOOKBACK = 500;

export interface RecordDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  ids: IdSource;
}

/**
 * Stores a request whose requester is known in Entra (request-access.ts finds them). The form rules run again
 * here, on purpose: the outside lookups in between take time, and a second submission for the same target may
 * have been stored meanwhile; this check and the write are what decide.
 */
export async function recordRequest(deps: RecordDeps, input: RecordInput): Promise<RecordOutcome> {
  const target = findTarget(deps.policy, input.targetId);
  if (!target) return { ok: false, code: 'unknown_target' };
  if (!mayRequest(target, input.requesterId)) return { ok: false, code: 'not_a_requester' };
  if (openRequestFor(await deps.requests.listByRequester(input.requesterId, OPEN_LOOKBACK), target.id))
    return { ok: false, code: 'already_open' };
  const reason = checkReason(input.reason);
  if (!reason.ok) return reason;
  const duration = checkRequestedDuration(target, input.durationMinutes);
  if (!duration.ok) return duration;

  // A submission that claims break-glass for a target without it is refused, whatever the modal showed.
  if (input.breakGlass && !target.breakGlass) return { ok: false, code: 'break_glass_not_offered' };

  const now = deps.clock.now();
  const opened = (input.breakGlass ? breakGlass : openRequest)({
    id: deps.ids.requestId(),
    requesterId: input.requesterId,
    principalId: input.principalId,
    ...(input.principalName !== undefined && { principalName: input.principalName }),
    ...(input.email !== undefined && { email: input.email }),
    target,
    reason: reason.reason,
    ...(input.incident !== undefined && { incident: input.incident }),
    durationMinutes: input.durationMinutes,
    pendingTimeoutMinutes: deps.policy.settings.pendingTimeoutMinutes,
    now,
  });
  if (!opened.ok) return { ok: false, code: 'break_glass_not_offered' };
  await deps.requests.create(opened, now);
  return { ok: true, request: opened.request };
}
