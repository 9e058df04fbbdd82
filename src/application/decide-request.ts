import { type AccessRequest, approve, deny, timeOut } from '../domain/access-request.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import { type ApproverDeps, approversNow, type GroupsUnavailable } from './approvers-now.js';
import type { Clock, EntraDirectory, RequestRepository, SlackProfiles } from './ports.js';

export interface DecideDeps extends ApproverDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  profiles: SlackProfiles;
  directory: EntraDirectory;
}

export interface DecideInput {
  requestId: string;
  actorId: string;
  decision: 'approve' | 'deny';
  comment?: string;
}

/** Why the bot cannot tell an approver apart from the requester in Entra. */
export type UnidentifiedApprover = 'no_slack_email' | 'email_not_usable' | 'no_entra_account';

export type DecideOutcome =
  | ChangeOutcome
  | { ok: false; code: 'target_removed' | 'identity_unconfirmed' }
  | GroupsUnavailable
  /** The approver's Slack email is an address of `account`, the Entra account that would receive the access. */
  | { ok: false; code: 'same_entra_account'; account: string }
  /** The approver's Slack email leads to no Entra account, so nothing shows they are not the requester. */
  | { ok: false; code: 'approver_not_in_entra'; because: UnidentifiedApprover };

export type ApproverRefusal =
  | { ok: false; code: 'identity_unconfirmed' }
  | Extract<DecideOutcome, { code: 'same_entra_account' | 'approver_not_in_entra' }>;

/**
 * Why the approver may not approve as who they are in Entra, or nothing when they may. Their Slack email must be
 * an address of some Entra account, and of none that would receive the access (its UPN or mail or any alias: an
 * Exchange proxy address, an alternate email); a second Slack account carrying an alias is enough to approve
 * one's own access otherwise. An email that leads to no account proves nothing either way: the requester's own
 * second Slack account with an address Entra does not know looks just like it, so it is refused too. A lookup
 * that fails is refused until it can be made (Slack or Graph down): the approver is asked to try again.
 */
export async function refuseAsRequester(
  deps: Pick<DecideDeps, 'profiles' | 'directory'>,
  approverId: string,
  request: AccessRequest,
): Promise<ApproverRefusal | undefined> {
  const unidentified = (because: UnidentifiedApprover): ApproverRefusal => ({ ok: false, code: 'approver_not_in_entra', because });
  const email = await deps.profiles.emailOf(approverId);
  if (!email.ok) return email.kind === 'no_email' ? unidentified('no_slack_email') : { ok: false, code: 'identity_unconfirmed' };
  const accounts = await deps.directory.accountsWithAddress(email.email);
  if (!accounts.ok)
    return accounts.kind === 'invalid_email' ? unidentified('email_not_usable') : { ok: false, code: 'identity_unconfirmed' };
  if (accounts.principalIds.length === 0) return unidentified('no_entra_account');
  const requester = request.principalId?.toLowerCase();
  if (accounts.principalIds.some((id) => id.toLowerCase() === requester))
    return { ok: false, code: 'same_entra_account', account: request.principalName ?? request.principalId ?? '' };
  return undefined;
}

/**
 * An approver's Approve or Deny. The approver list is the policy's as it is now, and its user groups' members as
 * Slack lists them now, so removing someone from the policy or a group takes away their say over requests already
 * waiting. Only Approve needs the approver told apart from the requester in Entra: a Deny can only take a chance
 * of access away (the requester may cancel their own request anyway), and an approver the bot cannot place in
 * Entra must still be able to stop a request.
 */
export async function decideRequest(deps: DecideDeps, input: DecideInput): Promise<DecideOutcome> {
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, stored.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const now = await approversNow(deps, target);
  if (!now.ok) return now;
  const { approvers } = now;
  if (input.decision === 'approve' && stored.principalId !== undefined) {
    const preview = approve(stored, target, input.actorId, deps.clock.now(), approvers);
    if (preview.ok) {
      const refused = await refuseAsRequester(deps, input.actorId, stored);
      if (refused) return refused;
    }
  }

  const outcome = await applyTransition(
    deps,
    input.requestId,
    (request, now) =>
      input.decision === 'approve'
        ? approve(request, target, input.actorId, now, approvers)
        : deny(request, target, input.actorId, now, input.comment, approvers),
    { read: stored },
  );
  if (!outcome.ok && outcome.code === 'pending_timeout_passed') {
    // The sweeper has not got to it yet: time it out now, and answer as for any closed request.
    const timedOut = await applyTransition(deps, input.requestId, (request, now) => timeOut(request, now));
    return timedOut.ok ? { ok: false, code: 'wrong_state', state: 'timed_out' } : timedOut;
  }
  return outcome;
}

/** Whether the decision would be accepted now, without making it (Deny asks for a reason first). */
export async function previewDecision(
  deps: DecideDeps,
  input: DecideInput,
): Promise<{ ok: true; request: AccessRequest } | Extract<DecideOutcome, { ok: false }>> {
  const request = await deps.requests.find(input.requestId);
  if (!request) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, request.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  const approvers = await approversNow(deps, target);
  if (!approvers.ok) return approvers;
  const now = deps.clock.now();
  const result =
    input.decision === 'approve'
      ? approve(request, target, input.actorId, now, approvers.approvers)
      : deny(request, target, input.actorId, now, undefined, approvers.approvers);
  return result.ok ? { ok: true, request } : result;
}
