// Tells the people involved about a change; a message is retried a few times, then given up (buried).

import type { AccessRequest } from '../../domain/access-request.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, retry } from './job-outcome.js';

export const NOTIFY_MAX_ATTEMPTS = 8;

export async function runNotify(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const result = await deps.notifier.notify(request, job.event ?? 'changed');
  if (result.ok) return finish(deps, job, `told about ${job.event}`);
  if (result.kind === 'permanent' || job.attempts >= NOTIFY_MAX_ATTEMPTS) {
    await deps.jobs.bury(job, result.message, deps.clock.now());
    return { result: 'buried', detail: result.message };
  }
  return retry(deps, job, result);
}
