// Runs one durable job: grant, revoke or notify. Effects are idempotent (the provider treats "already there"
// and "already gone" as success), and the state change that records an effect completes its job in the same
// transaction, so a crash at any point means the job runs again and nothing is done twice or lost.

import { type AccessRequest, confirmEnd, confirmGrant, failGrant, grantedSpec, reportRevokeTrouble } from '../domain/access-request.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { changeRequest } from './change-request.js';
import type { AccessProvider, Clock, JobQueue, Notifier, OutsideFailure, RequestRepository, StoredJob } from './ports.js';

export interface JobDeps {
  requests: RequestRepository;
  jobs: JobQueue;
  policy: Policy;
  clock: Clock;
  access: AccessProvider;
  notifier: Notifier;
}

export type JobOutcome =
  | { result: 'done'; detail: string }
  | { result: 'retry'; detail: string; runAt: number }
  | { result: 'buried'; detail: string };

// The approvers hear about a revocation still failing after this many attempts; it keeps being retried.
export const REVOKE_ALERT_AFTER = 5;
export const NOTIFY_MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 5 * 60_000;
// A permanent refusal to revoke (a 403 after a permission change) is retried slowly until someone fixes it.
const PERMANENT_REVOKE_BACKOFF_MS = 60_000;

/** Exponential from one second, capped at five minutes; the service's Retry-After wins when it gave one. */
export function backoffMs(attempts: number, retryAfterMs?: number): number {
  return retryAfterMs ?? Math.min(1000 * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export async function runJob(deps: JobDeps, job: StoredJob): Promise<JobOutcome> {
  const request = deps.requests.find(job.requestId);
  if (!request) {
    deps.jobs.bury(job.id, 'request not found', deps.clock.now());
    return { result: 'buried', detail: 'request not found' };
  }
  if (job.kind === 'grant') return runGrant(deps, job, request);
  if (job.kind === 'revoke') return runRevoke(deps, job, request);
  return runNotify(deps, job, request);
}

function finish(deps: JobDeps, job: StoredJob, detail: string): JobOutcome {
  deps.jobs.complete(job.id, deps.clock.now());
  return { result: 'done', detail };
}

/** Records the effect's outcome and completes the job in one transaction (or just completes it, if the request moved on). */
function record(deps: JobDeps, job: StoredJob, decide: Parameters<typeof changeRequest>[2], detail: string): JobOutcome {
  const changed = changeRequest(deps, job.requestId, decide, { completeJob: job.id });
  return changed.ok ? { result: 'done', detail } : finish(deps, job, `${detail}; the request had moved on (${changed.code})`);
}

function retry(deps: JobDeps, job: StoredJob, failure: OutsideFailure, minimumMs = 0): JobOutcome {
  const now = deps.clock.now();
  const wait = Math.max(minimumMs, backoffMs(job.attempts, failure.kind === 'transient' ? failure.retryAfterMs : undefined));
  deps.jobs.retry(job.id, now + wait, failure.message, now);
  return { result: 'retry', detail: failure.message, runAt: now + wait };
}

async function runGrant(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (request.state !== 'approved') return finish(deps, job, `nothing to grant: the request is ${request.state}`);
  const target = findTarget(deps.policy, request.targetId);
  const refuse = (cause: string): JobOutcome => record(deps, job, (current) => failGrant(current, cause), `grant failed: ${cause}`);
  if (!target) return refuse('the target was removed from the policy before the grant');
  if (!request.principalId) return refuse('the requester has no Entra account on record');

  const result = await deps.access.grant({
    grant: target.grant,
    principalId: request.principalId,
    durationMinutes: request.durationMinutes,
    justification: `${request.reason} (jit-access-bot ${request.id})`,
    requestId: request.id,
    startsAt: deps.clock.now(),
  });
  if (!result.ok) return result.kind === 'transient' ? retry(deps, job, result) : refuse(result.message);

  const granted = {
    kind: target.grant.kind,
    groupId: target.grant.groupId,
    principalId: request.principalId,
    ...(result.reference !== undefined && { reference: result.reference }),
  };
  return record(deps, job, (current, now) => confirmGrant(current, granted, now), result.alreadyPresent ? 'already granted' : 'granted');
}

async function runRevoke(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (request.state !== 'active' || !request.ending) return finish(deps, job, `nothing to revoke: the request is ${request.state}`);
  const { grant } = request;
  // A grant is recorded with the transition to active; an active request without one cannot exist.
  if (!grant) throw new Error(`request ${request.id} is active without a recorded grant`);

  const result = await deps.access.revoke(grantedSpec(grant), grant.principalId);
  if (result.ok) {
    const detail = result.alreadyAbsent ? 'already gone' : 'revoked';
    return record(deps, job, (current, now) => confirmEnd(current, now, { alreadyAbsent: result.alreadyAbsent }), detail);
  }
  if (job.attempts === REVOKE_ALERT_AFTER) {
    changeRequest(deps, request.id, (current) => reportRevokeTrouble(current, result.message, job.attempts));
  }
  // Never give up on ending access: a permanent refusal is retried too, more slowly.
  return retry(deps, job, result, result.kind === 'permanent' ? PERMANENT_REVOKE_BACKOFF_MS : 0);
}

async function runNotify(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const result = await deps.notifier.notify(request, job.event ?? 'changed');
  if (result.ok) return finish(deps, job, `told about ${job.event}`);
  if (result.kind === 'permanent' || job.attempts >= NOTIFY_MAX_ATTEMPTS) {
    deps.jobs.bury(job.id, result.message, deps.clock.now());
    return { result: 'buried', detail: result.message };
  }
  return retry(deps, job, result);
}
