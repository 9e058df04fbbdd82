// The end of a grant: the membership removed in Entra (the journaled group's), unless another grant of the bot
// still covers it or an assignment the bot did not make holds it; then the Boundary step follows.

import type { AccessRequest } from '../../domain/access-request.js';
import { confirmEnd, endHeldElsewhere, reportRevokeTrouble } from '../../domain/ending.js';
import { grantedSpec, journaledMembership, latestEnding } from '../../domain/membership.js';
import { applyTransition } from '../apply-transition.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, REVOKE_ALERT_AFTER, record, retryEnding } from './job-outcome.js';

/** The latest-ending other grant of the bot that holds the same membership, if any. */
async function coveringGrant(deps: JobDeps, groupId: string, principalId: string, requestId: string): Promise<AccessRequest | undefined> {
  return latestEnding(await deps.requests.listCovering(groupId, principalId, requestId));
}

export async function runRevoke(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (request.state !== 'active' || !request.ending) return finish(deps, job, `nothing to revoke: the request is ${request.state}`);
  // What the bot's call made: the journaled group, even where the recorded grant says otherwise.
  const membership = journaledMembership(request);
  const grant = request.grant;
  // A grant is recorded with the transition to active; an active request without one cannot exist.
  if (!grant || !membership) throw new Error(`request ${request.id} is active without a recorded grant`);

  // Another active grant of the bot holds the same membership: it stays until the last of them ends. This end
  // is marked as under way before this look, so a grant journaled after it waits for the end to settle.
  const keeper = await coveringGrant(deps, membership.groupId, membership.principalId, request.id);
  if (keeper) {
    const removal = { outcome: 'kept', keptBy: keeper.id } as const;
    return record(deps, job, (current, now) => confirmEnd(current, now, removal), `kept for ${keeper.id}`);
  }
  const sameAsRecorded = grant.groupId.toLowerCase() === membership.groupId.toLowerCase();
  const ownership = { requestId: request.id, ...(sameAsRecorded && grant.reference !== undefined && { reference: grant.reference }) };
  const result = await deps.access.revoke(grantedSpec(membership), membership.principalId, ownership);
  if (result.ok && result.heldBy !== undefined) {
    // Not the bot's assignment: the grant ends, and the access stays with whoever made the one that holds it.
    const heldBy = result.heldBy;
    return record(deps, job, (current, now) => endHeldElsewhere(current, now, heldBy), `held by ${heldBy}`, request);
  }
  if (result.ok) {
    const removal = { outcome: result.alreadyAbsent ? 'absent' : 'removed' } as const;
    const signOut = deps.boundary !== undefined;
    return record(deps, job, (current, now) => confirmEnd(current, now, removal, signOut), removal.outcome, request);
  }
  if (job.attempts === REVOKE_ALERT_AFTER) {
    await applyTransition(deps, request.id, (current) => reportRevokeTrouble(current, result.message, job.attempts));
  }
  return retryEnding(deps, job, result);
}
