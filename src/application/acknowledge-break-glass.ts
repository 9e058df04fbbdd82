// Another approver of the target or an admin acknowledges a break-glass: the review afterwards that the grant
// made at once owes. Never the person who broke the glass, under any Slack account: as for an approval, the
// reviewer's Slack email must lead to Entra accounts none of which is the one that received the access.

import { acknowledgeBreakGlass, mayReview, type ReviewAuthority } from '../domain/break-glass.js';
import { findTarget, isAdmin, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import { type ApproverDeps, approversNow, type GroupsUnavailable } from './approvers-now.js';
import { type ApproverRefusal, refuseAsRequester } from './decide-request.js';
import type { Clock, EntraDirectory, RequestRepository, SlackProfiles } from './ports.js';

export interface AcknowledgeDeps extends ApproverDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  profiles: SlackProfiles;
  directory: EntraDirectory;
}

export type AcknowledgeOutcome = ChangeOutcome | ApproverRefusal | GroupsUnavailable;

export async function acknowledgeBreakGlassAccess(
  deps: AcknowledgeDeps,
  input: { requestId: string; actorId: string },
): Promise<AcknowledgeOutcome> {
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  // The policy as it is now: a target gone from the policy has no approvers left, only admins. An admin needs no
  // word from Slack on the target's user groups.
  const target = findTarget(deps.policy, stored.targetId);
  const admin = isAdmin(deps.policy, input.actorId);
  const approvers = target && (await approversNow(deps, target));
  if (approvers && !approvers.ok && !admin) return approvers;
  const authority: ReviewAuthority = { approver: approvers?.ok === true && approvers.approvers.has(input.actorId), admin };
  const refused = mayReview(stored, input.actorId, authority);
  if (refused) return refused;
  const asRequester = await refuseAsRequester(deps, input.actorId, stored);
  if (asRequester) return asRequester;
  return applyTransition(deps, input.requestId, (request, now) => acknowledgeBreakGlass(request, input.actorId, now, authority), {
    read: stored,
  });
}
