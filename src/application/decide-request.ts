import { type AccessRequest, approve, deny, timeOut } from '../domain/access-request.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { applyTransition, type ChangeOutcome } from './apply-transition.js';
import type { Clock, EntraDirectory, RequestRepository, SlackProfiles } from './ports.js';

export interface DecideDeps {
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

export type DecideOutcome =
  | ChangeOutcome
  | { ok: false; code: 'target_removed' | 'identity_unconfirmed' }
  /** The approver's Slack email is an address of `account`, the Entra account that would receive the access. */
  | { ok: false; code: 'same_entra_account'; account: string };

/**
 * Whether the approver is the requester under another Slack account: their Slack email is an address of the
 * Entra account that would receive the access, its UPN or mail or any alias (an Exchange proxy address, an
 * alternate email). A second Slack account carrying an alias is enough to approve one's own access otherwise.
 * An approver without a usable email cannot be shown to be that account.
 */
async function isRequesterInEntra(deps: DecideDeps, approverId: string, requesterPrincipal: string): Promise<boolean | 'unknown'> {
  const email = await deps.profiles.emailOf(approverId);
  if (!email.ok) return email.kind === 'no_email' ? false : 'unknown';
  const accounts = await deps.directory.accountsWithAddress(email.email);
  if (!accounts.ok) return accounts.kind === 'invalid_email' ? false : 'unknown';
  return accounts.principalIds.some((id) => id.toLowerCase() === requesterPrincipal.toLowerCase());
}

/**
 * An approver's Approve or Deny. The approver list is the policy's as it is now, so removing someone from the
 * policy takes away their say over requests already waiting.
 */
export async function decideRequest(deps: DecideDeps, input: DecideInput): Promise<DecideOutcome> {
  const stored = await deps.requests.find(input.requestId);
  if (!stored) return { ok: false, code: 'unknown_request' };
  const target = findTarget(deps.policy, stored.targetId);
  if (!target) return { ok: false, code: 'target_removed' };
  if (input.decision === 'approve' && stored.principalId !== undefined) {
    const preview = approve(stored, target, input.actorId, deps.clock.now());
    if (preview.ok) {
      const same = await isRequesterInEntra(deps, input.actorId, stored.principalId);
      if (same === 'unknown') return { ok: false, code: 'identity_unconfirmed' };
      if (same) return { ok: false, code: 'same_entra_account', account: stored.principalName ?? stored.principalId };
    }
  }

  const outcome = await applyTransition(
    deps,
    input.requestId,
    (request, now) =>
      input.decision === 'approve'
        ? approve(request, target, input.actorId, now)
        : deny(request, target, input.actorId, now, input.comment),
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
  const now = deps.clock.now();
  const result = input.decision === 'approve' ? approve(request, target, input.actorId, now) : deny(request, target, input.actorId, now);
  return result.ok ? { ok: true, request } : result;
}
