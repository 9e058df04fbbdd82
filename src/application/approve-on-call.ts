// Approval by PagerDuty on-call, once the request is stored and its card is in the approvers' channel: the card
// is there whatever PagerDuty says, so PagerDuty can only make a request quicker, never hold one up. Anything but
// a clear "on call now, for a listed schedule or policy, at a low enough level" leaves the request with its
// approvers, and the audit trail says why.

import { type AccessRequest, autoApprove, declineAutoApproval } from '../domain/access-request.js';
import { decideOnCall, type OnCallFallback, onCallRuleFor } from '../domain/on-call.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import type { Clock, OnCallDirectory, RequestRepository } from './ports.js';

export interface OnCallApprovalDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  onCall: OnCallDirectory;
}

/**
 * `approved`: written as approved by `by`. Otherwise why not: nothing is written when the target does not offer
 * it, or when the request was no longer waiting (`moved_on`: decided, cancelled or timed out meanwhile).
 */
export type OnCallOutcome =
  | { approved: true; request: AccessRequest; by: string }
  | { approved: false; because: OnCallFallback | 'moved_on' };

/** Read (the person's on-calls now) → decide (on-call.ts) → write (approved, or why not). */
export async function approveIfOnCall(deps: OnCallApprovalDeps, request: AccessRequest): Promise<OnCallOutcome> {
  const target = findTarget(deps.policy, request.targetId);
  if (request.state !== 'pending') return { approved: false, because: 'moved_on' };
  if (!target) return { approved: false, because: 'not_offered' };
  const offered = onCallRuleFor(target, request.durationMinutes);
  if (!offered.ok)
    return offered.because === 'not_offered' ? { approved: false, because: 'not_offered' } : decline(deps, request, offered.because);

  if (!request.email) return decline(deps, request, 'not_in_pagerduty', 'the request carries no Slack email');
  const user = await deps.onCall.findUserByEmail(request.email);
  if (!user.ok) {
    const because = user.kind === 'transient' || user.kind === 'permanent' ? 'pagerduty_failed' : 'not_in_pagerduty';
    return decline(deps, request, because, user.message);
  }
  const { scheduleIds, escalationPolicyIds } = offered.rule;
  const onCalls = await deps.onCall.onCallNow(user.userId, { scheduleIds, escalationPolicyIds });
  if (!onCalls.ok) return decline(deps, request, 'pagerduty_failed', onCalls.message);

  const decision = decideOnCall(offered.rule, onCalls.entries);
  if (!decision.ok) return decline(deps, request, decision.because);
  const written = await applyTransition(deps, request.id, (current, now) => autoApprove(current, target, decision.approval, now), {
    read: request,
  });
  // Refused: an approver decided, the requester cancelled, or the timeout passed meanwhile; that decision stands.
  return written.ok ? { approved: true, request: written.request, by: decision.approval.by } : { approved: false, because: 'moved_on' };
}

async function decline(
  deps: OnCallApprovalDeps,
  request: AccessRequest,
  because: OnCallFallback,
  message?: string,
): Promise<OnCallOutcome> {
  await applyTransition(deps, request.id, (current, now) => declineAutoApproval(current, because, now, message), { read: request });
  return { approved: false, because };
}
