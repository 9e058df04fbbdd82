// What every job runner shares: its dependencies, its outcome, and the three ways a run settles its job —
// finished, its effect recorded with the job completed in the same transaction, or retried later.

import type { AccessRequest } from '../../domain/access-request.js';
import type { Policy } from '../../domain/policy.js';
import { applyTransition } from '../apply-transition.js';
import type { OnCallOutcome } from '../approve-on-call.js';
import type { ApproverDeps } from '../approvers-now.js';
import type {
  AccessProvider,
  BoundarySignOuts,
  ChangeRecords,
  Clock,
  JobQueue,
  Notifier,
  OnCallDirectory,
  OutsideFailure,
  RequestRepository,
  StoredJob,
} from '../ports.js';

/** `approverDirectory` and `problems`: who a request's approvers are in Slack, for the messages that name them. */
export interface JobDeps extends ApproverDeps {
  requests: RequestRepository;
  jobs: JobQueue;
  policy: Policy;
  clock: Clock;
  access: AccessProvider;
  notifier: Notifier;
  /** Absent without BOUNDARY_ADDR: the thread then says existing Boundary sign-ins may last until they expire. */
  boundary?: BoundarySignOuts;
  /** Absent without SERVICENOW_INSTANCE_URL, when no target may keep change records. */
  changes?: ChangeRecords;
  /** Absent without PAGERDUTY_TOKEN: no request is approved by on-call. */
  onCall?: OnCallDirectory;
}

export type JobOutcome = (
  | { result: 'done'; detail: string }
  | { result: 'retry'; detail: string; runAt: number }
  | { result: 'buried'; detail: string }
) & {
  /** The request as the job read it, and as the job left it (the same when it changed nothing), for the metrics. */
  before?: AccessRequest;
  after?: AccessRequest;
  /** A notify job that told about a new request, for a target that offers approval by on-call: what PagerDuty decided. */
  onCall?: OnCallOutcome;
};

/** One kind of job: what it does to the request it was queued for. */
export type JobRunner = (deps: JobDeps, job: StoredJob, request: AccessRequest) => Promise<JobOutcome>;

// The approvers hear about a revocation still failing after this many attempts; it keeps being retried.
export const REVOKE_ALERT_AFTER = 5;
const MAX_BACKOFF_MS = 5 * 60_000;
// A permanent refusal to revoke (a 403 after a permission change) is retried slowly until someone fixes it.
const PERMANENT_REVOKE_BACKOFF_MS = 60_000;

/** Exponential from one second, capped at five minutes; the service's Retry-After wins when it gave one. */
export function backoffMs(attempts: number, retryAfterMs?: number): number {
  return retryAfterMs ?? Math.min(1000 * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export async function finish(deps: JobDeps, job: StoredJob, detail: string): Promise<JobOutcome> {
  await deps.jobs.complete(job, deps.clock.now());
  return { result: 'done', detail };
}

/**
 * Records the effect's outcome and completes the job in one transaction (or just completes it, if the request
 * moved on). `read`: the request as this job last read or wrote it, decided on without reading it again.
 */
export async function record(
  deps: JobDeps,
  job: StoredJob,
  decide: Parameters<typeof applyTransition>[2],
  detail: string,
  read?: AccessRequest,
): Promise<JobOutcome> {
  const changed = await applyTransition(deps, job.requestId, decide, { completeJob: job, ...(read && { read }) });
  return changed.ok
    ? { result: 'done', detail, after: changed.request }
    : finish(deps, job, `${detail}; the request had moved on (${changed.code})`);
}

export async function retry(deps: JobDeps, job: StoredJob, failure: OutsideFailure, minimumMs = 0): Promise<JobOutcome> {
  const now = deps.clock.now();
  const wait = Math.max(minimumMs, backoffMs(job.attempts, failure.kind === 'transient' ? failure.retryAfterMs : undefined));
  await deps.jobs.retry(job, now + wait, failure.message, now);
  return { result: 'retry', detail: failure.message, runAt: now + wait };
}

/** Never give up on ending access (in Entra, in Boundary, or after a failed grant): a permanent refusal is retried too, more slowly. */
export function retryEnding(deps: JobDeps, job: StoredJob, failure: OutsideFailure): Promise<JobOutcome> {
  return retry(deps, job, failure, failure.kind === 'permanent' ? PERMANENT_REVOKE_BACKOFF_MS : 0);
}
