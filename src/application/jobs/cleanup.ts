// After a failed grant whose call may have landed: what it (or a membership another end kept for it) left.

import type { AccessRequest } from '../../domain/access-request.js';
import { recordCleanup } from '../../domain/access-request.js';
import { cleanUpFailedGrant } from '../clean-up.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, record, retryEnding } from './job-outcome.js';

/** A failed grant whose call may have landed: remove what it may have created, unless another grant covers it. */
export async function runCleanup(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const found = await cleanUpFailedGrant(deps, request);
  if (!found) return finish(deps, job, 'nothing to clean up');
  if ('ok' in found) return retryEnding(deps, job, found);
  const { result, ...holders } = found;
  const signOut = deps.boundary !== undefined;
  return record(deps, job, (current, now) => recordCleanup(current, result, now, holders, signOut), `cleanup: ${result}`);
}
