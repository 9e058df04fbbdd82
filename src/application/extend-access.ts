// The requester asks to extend an active grant; the target's approvers decide on it (or the policy grants it at
// once). The rules are the domain's (domain/extension.ts); here the request is read, the current policy found,
// the approver told apart from the requester in Entra, and the change written with compare-and-set.

import type { AccessRequest } from '../domain/access-request.js';
import { approveExtension, askExtension, denyExtension, extensionRoom } from '../domain/extension.js';
import { findTarget, type Target } from '../domain/policy.js';
import { checkReason } from '../domain/reason.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import { approversNow } from './approvers-now.js';
import { type DecideDeps, type DecideOutcome, refuseAsRequester } from './decide-request.js';

export interface ExtensionAskInput {
  requestId: string;
  actorId: string;
  minutes: number;
  /** As typed in the form; checked here, before anything is read. */
  reason: string | undefined;
}

export interface ExtensionDecisionInput {
  requestId: string;
  actorId: string;
  decision: 'approve' | 'deny';
  comment?: string;
}

export type ExtensionAskOutcome =
  | ChangeOutcome
  | { ok: false; code: 'target_removed' }
  | { ok: false; code: 'reason_missing' | 'reason_too_short' | 'reason_too_long' };

/** What the Extend form offers: the grant, its target, and how many more minutes the policy allows. */
export type ExtensionForm =
  | { ok: true; request: AccessRequest; target: Target; roomMinutes: number }
  | Extract<ChangeOutcome, { ok: false }>
  | { ok: false; code: 'target_removed' };

/** An ask refused for its reason (answered in the form), not for the grant or the policy. */
export function isReasonRefusal(
  outcome: Extract<ExtensionAskOutcome, { ok: false }>,
): outcome is { ok: false; code: 'reason_missing' | 'reason_too_short' | 'reason_too_long' } {
  return outcome.code === 'reason_missing' || outcome.code === 'reason_too_short' || outcome.code === 'reason_too_long';
}

/**
 * Whether the person may ask to extend this grant now, and how much room is left, without asking: the same
 * checks as the ask itself, made for the smallest extension.
 */
export async function extensionForm(
  deps: Pick<DecideDeps, 'requests' | 'policy' | 'clock'>,
  input: { requestId: string; actorId: string },
): Promise<ExtensionForm> {
  const request = await deps.requests.find(input.requestId);
  if (!request) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, request.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const check = askExtension(request, target, input.actorId, { minutes: 1, reason: 'checking the form' }, deps.clock.now());
  if (!check.ok) return check;
  // A request the check saw as active: the smallest extension would have been accepted.
  return request.state === 'active'
    ? { ok: true, request, target, roomMinutes: extensionRoom(request, target) }
    : { ok: false, code: 'grant_over' };
}

export async function requestExtension(
  deps: Pick<DecideDeps, 'requests' | 'policy' | 'clock'>,
  input: ExtensionAskInput,
): Promise<ExtensionAskOutcome> {
  const reason = checkReason(input.reason);
  if (!reason.ok) return reason;
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, stored.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const ask = { minutes: input.minutes, reason: reason.reason };
  return applyTransition(deps, input.requestId, (request, now) => askExtension(request, target, input.actorId, ask, now), { read: stored });
}

/**
 * An approver's Approve or Deny on a pending extension, by the rules of the main decision: the target's approvers
 * as the policy lists them now (and its user groups' members as Slack lists them now), the current quorum, and
 * never the requester, not even through a second Slack account whose email belongs to the Entra account that
 * holds the access.
 */
export async function decideExtension(deps: DecideDeps, input: ExtensionDecisionInput): Promise<DecideOutcome> {
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, stored.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const now = await approversNow(deps, target);
  if (!now.ok) return now;
  const { approvers } = now;
  if (input.decision === 'approve' && stored.principalId !== undefined) {
    const preview = approveExtension(stored, target, input.actorId, deps.clock.now(), approvers);
    if (preview.ok) {
      const refused = await refuseAsRequester(deps, input.actorId, stored);
      if (refused) return refused;
    }
  }
  return applyTransition(
    deps,
    input.requestId,
    (request, now) =>
      input.decision === 'approve'
        ? approveExtension(request, target, input.actorId, now, approvers)
        : denyExtension(request, target, input.actorId, now, input.comment, approvers),
    { read: stored },
  );
}
