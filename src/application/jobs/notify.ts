// Tells the people involved about a change; a message is retried a few times, then given up (buried). Once a new
// request's card is posted, a target that offers it has PagerDuty asked whether the requester is on call.

import type { AccessRequest } from '../../domain/access-request.js';
import { findTarget } from '../../domain/policy.js';
import { approveIfOnCall } from '../approve-on-call.js';
import { readRoster } from '../approvers-now.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, retry } from './job-outcome.js';

export const NOTIFY_MAX_ATTEMPTS = 8;

export async function runNotify(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  // The card names the approvers: those who left Slack are left out (and reported), and a waiting request those
  // left cannot approve says so.
  const target = findTarget(deps.policy, request.targetId);
  const approvers = target && (await readRoster(deps, target, request));
  const result = await deps.notifier.notify(request, job.event ?? 'changed', approvers);
  if (result.ok) {
    const told = `told about ${job.event}`;
    const { onCall } = deps;
    // After the card, never before it: approvers see every request, and PagerDuty (3 s at worst) delays nobody.
    if (job.event !== 'requested' || !onCall || request.state !== 'pending') return finish(deps, job, told);
    const checked = await approveIfOnCall({ ...deps, onCall }, request);
    const done = await finish(deps, job, checked.approved ? `${told}; approved by ${checked.by}` : `${told}; on-call: ${checked.because}`);
    return { ...done, onCall: checked, ...(checked.approved && { after: checked.request }) };
  }
  if (result.kind === 'permanent' || job.attempts >= NOTIFY_MAX_ATTEMPTS) {
    await deps.jobs.bury(job, result.message, deps.clock.now());
    return { result: 'buried', detail: result.message };
  }
  return retry(deps, job, result);
}
