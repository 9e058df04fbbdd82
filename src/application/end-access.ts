import { requestEnd } from '../domain/ending.js';
import { findTarget, isAdmin, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import { type ApproverDeps, approversNow, type GroupsUnavailable } from './approvers-now.js';
import type { Clock, RequestRepository } from './ports.js';

/**
 * "End access now" from the requester (released), or Revoke (revoked) from an admin or, for a grant PagerDuty
 * approved, one of the target's approvers (a member of its user groups too): all go through the revoke job.
 */
export async function endAccess(
  deps: ApproverDeps & { requests: RequestRepository; policy: Policy; clock: Clock },
  input: { requestId: string; actorId: string; reason: 'released' | 'revoked' },
): Promise<ChangeOutcome | GroupsUnavailable> {
  const admin = isAdmin(deps.policy, input.actorId);
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  // Only a revoke by someone other than an admin turns on who the target's approvers are.
  const target = input.reason === 'revoked' && !admin ? findTarget(deps.policy, stored.targetId) : undefined;
  const approvers = target && (await approversNow(deps, target));
  if (approvers && !approvers.ok) return approvers;
  const authority = { isAdmin: admin, isApprover: approvers?.ok === true && approvers.approvers.has(input.actorId) };
  return applyTransition(deps, input.requestId, (request, now) => requestEnd(request, input.reason, input.actorId, now, authority), {
    read: stored,
  });
}
