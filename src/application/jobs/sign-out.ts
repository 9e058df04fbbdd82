// The Boundary step after every removal the bot makes: the person's sign-ins and live sessions ended, verified.

import type { AccessRequest } from '../../domain/access-request.js';
import { recordSignOut, reportRevokeTrouble } from '../../domain/ending.js';
import { grantOf } from '../../domain/membership.js';
import { applyTransition } from '../apply-transition.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, REVOKE_ALERT_AFTER, record, retryEnding } from './job-outcome.js';

/**
 * Once Entra confirmed the membership gone: the person's Boundary sign-ins and live sessions end too, since
 * Boundary re-reads managed groups only at the next sign-in. Retried without end, like the Entra step.
 */
export async function runSignOut(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const principalId = grantOf(request)?.principalId ?? request.principalId;
  // Queued after each removal the bot made (an end, a cleanup, a lingering membership): each runs once, as a job.
  const leftInPlace = request.state === 'ended' && (request.removal === 'kept' || request.removal === 'held');
  if (!deps.boundary || leftInPlace || !principalId) return finish(deps, job, 'nothing to sign out');
  const result = await deps.boundary.endSignIns({ principalId, email: request.email ?? request.principalName ?? '' });
  if (result.ok) {
    const counts = { tokensRevoked: result.tokensRevoked, sessionsEnded: result.sessionsEnded, otherAccounts: result.otherAccounts };
    return record(deps, job, (current, now) => recordSignOut(current, { at: now, ...counts }), 'Boundary sign-ins ended');
  }
  if (job.attempts === REVOKE_ALERT_AFTER) {
    await applyTransition(deps, request.id, (current) => reportRevokeTrouble(current, `Boundary: ${result.message}`, job.attempts));
  }
  return retryEnding(deps, job, result);
}
