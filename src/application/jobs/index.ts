// Runs one durable job. Each kind has one meaning and one runner. Effects are idempotent (the provider treats
// "already there" and "already gone" as success), and the state change that records an effect completes its job
// in the same transaction, so a crash at any point means the job runs again and nothing is done twice or lost.

import type { JobKind } from '../../domain/access-request.js';
import type { StoredJob } from '../ports.js';
import { runChangeRecord } from './change-record.js';
import { runCleanup } from './cleanup.js';
import { runExtend } from './extend.js';
import { runGrant } from './grant.js';
import type { JobDeps, JobOutcome, JobRunner } from './job-outcome.js';
import { runNotify } from './notify.js';
import { runRevoke } from './revoke.js';
import { runSignOut } from './sign-out.js';

export { GRANT_DEADLINE_MS } from './grant.js';
export { backoffMs, type JobDeps, type JobOutcome, REVOKE_ALERT_AFTER } from './job-outcome.js';
export { NOTIFY_MAX_ATTEMPTS } from './notify.js';

const RUNNERS: Record<JobKind, JobRunner> = {
  grant: runGrant,
  revoke: runRevoke,
  cleanup: runCleanup,
  change_record: runChangeRecord,
  extend: runExtend,
  sign_out: runSignOut,
  notify: runNotify,
};

export async function runJob(deps: JobDeps, job: StoredJob): Promise<JobOutcome> {
  const request = job.request ?? (await deps.requests.find(job.requestId));
  if (!request) {
    await deps.jobs.bury(job, 'request not found', deps.clock.now());
    return { result: 'buried', detail: 'request not found' };
  }
  const outcome = await RUNNERS[job.kind](deps, job, request);
  return { ...outcome, before: request, after: outcome.after ?? request };
}
