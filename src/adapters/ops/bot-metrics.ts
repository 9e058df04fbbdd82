// What operators watch: requests by state, how long decisions and grants take, how late revocations are (in
// Entra, and in Boundary once sign-ins are ended too), what the Boundary step removed, job retries and
// failures, approvals by PagerDuty on-call and the requests it left to their approvers, and Socket Mode reconnects.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobOutcome } from '../../application/jobs/index.js';
import type { RequestRepository, StoredJob } from '../../application/ports.js';
import {
  type AccessRequest,
  type EndedRequest,
  fieldsOf,
  isGranted,
  REQUEST_STATES,
  type SignOutRecord,
} from '../../domain/access-request.js';
import { processMetrics } from './process-metrics.js';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400];

/**
 * The bot's metrics, in a registry of its own (never prom-client's global one: a process may run several
 * bots, as the tests do), served with the process's. Fed by what the jobs report they did; read by /metrics.
 */
export class BotMetrics {
  private readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly timeToDecision = this.histogram('jit_time_to_decision_seconds', 'From request to approval or denial.');
  private readonly timeToGrant = this.histogram('jit_time_to_grant_seconds', 'From approval to the grant confirmed by Graph.');
  private readonly revocationLag = this.histogram(
    'jit_revocation_lag_seconds',
    'From the scheduled (or asked-for) end to the revocation confirmed by Graph.',
  );
  private readonly boundaryLag = this.histogram(
    'jit_boundary_revocation_lag_seconds',
    'From the scheduled (or asked-for) end to the Boundary sign-ins and sessions ended and verified.',
  );
  private readonly tokensRevoked = this.counter('jit_boundary_tokens_revoked_total', 'Boundary auth tokens deleted as grants ended.');
  private readonly sessionsCancelled = this.counter(
    'jit_boundary_sessions_cancelled_total',
    'Live Boundary sessions cancelled as grants ended (besides those that ended with their token).',
  );
  private readonly signOutFailures = this.counter(
    'jit_boundary_signout_failures_total',
    'Attempts to end Boundary sign-ins that failed and will be retried.',
  );
  private readonly changeRecordFailures = this.counter(
    'jit_change_record_failures_total',
    'Attempts to open, implement or close a ServiceNow change record that failed and will be retried.',
  );
  private readonly retries = this.counter('jit_job_retries_total', 'Job attempts that failed and were scheduled again.', ['kind']);
  private readonly failures = this.counter('jit_job_failures_total', 'Jobs that gave up, and grants that failed for good.', ['kind']);
  private readonly autoApprovals = this.counter(
    'jit_auto_approvals_total',
    'Requests approved at once because the requester was on call in PagerDuty.',
  );
  private readonly autoApprovalFallbacks = this.counter(
    'jit_auto_approval_fallbacks_total',
    'Requests for a target offering approval by on-call that went to their approvers instead, by why.',
    ['because'],
  );
  private readonly reconnects = this.counter('jit_socket_reconnects_total', 'Socket Mode reconnections.');
  private readonly takeovers = this.counter(
    'jit_job_takeovers_total',
    'Jobs claimed after the lease of another process (a replica that stopped) ran out.',
    ['kind'],
  );

  constructor(requests: Pick<RequestRepository, 'countByState'>) {
    new Gauge({
      name: 'jit_requests',
      help: 'Requests by state.',
      labelNames: ['state'],
      registers: [this.registry],
      // Read from the store when Prometheus scrapes.
      async collect() {
        const counts = await Promise.all(REQUEST_STATES.map(async (state) => ({ state, count: await requests.countByState(state) })));
        for (const { state, count } of counts) this.set({ state }, count);
      },
    });
  }

  /** The text /metrics answers, in `contentType`: the bot's metrics, then the process's (`processMetrics`). */
  async scrape(): Promise<string> {
    return `${await this.registry.metrics()}${await processMetrics().metrics()}`;
  }

  socketReconnected(): void {
    this.reconnects.inc();
  }

  /**
   * Called after each job with the request as the job found it and as it left it: what changed in between is
   * what this job did (a revoke job ends access in Entra, a sign-out job afterwards in Boundary).
   */
  observe(job: StoredJob, outcome: JobOutcome): void {
    const { before, after } = outcome;
    const kind = { kind: job.kind };
    if (job.takenOver) this.takeovers.inc(kind);
    if (outcome.result === 'retry') this.retries.inc(kind);
    const boundaryStep = job.kind === 'sign_out';
    if (outcome.result === 'retry' && boundaryStep) this.signOutFailures.inc();
    if (outcome.result === 'retry' && job.kind === 'change_record') this.changeRecordFailures.inc();
    if (outcome.result === 'buried') this.failures.inc(kind);
    const { onCall } = outcome;
    if (onCall?.approved) this.autoApprovals.inc();
    else if (onCall && onCall.because !== 'not_offered' && onCall.because !== 'moved_on')
      this.autoApprovalFallbacks.inc({ because: onCall.because });
    if (outcome.result !== 'done' || !after) return;
    const decidedAt = fieldsOf(after).decidedAt;
    if (job.kind === 'notify' && (job.event === 'approved' || job.event === 'denied') && decidedAt !== undefined) {
      this.timeToDecision.observe((decidedAt - after.createdAt) / 1000);
    }
    if (job.kind === 'grant' && after.state === 'failed') this.failures.inc(kind);
    if (job.kind === 'grant' && isGranted(after) && decidedAt !== undefined) this.timeToGrant.observe((after.grantedAt - decidedAt) / 1000);
    if (job.kind === 'revoke' && before?.state === 'active' && after.state === 'ended') {
      this.revocationLag.observe(lagSeconds(after, after.endedAt));
    }
    // A removal after an end (a cleanup, a lingering membership) signs out again: each sign-out is counted once.
    const signOut = signOutOf(after);
    if (boundaryStep && signOut && signOut.at !== (before && signOutOf(before))?.at) {
      if (after.state === 'ended') this.boundaryLag.observe(lagSeconds(after, signOut.at));
      this.tokensRevoked.inc(signOut.tokensRevoked);
      this.sessionsCancelled.inc(signOut.sessionsEnded);
    }
  }

  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string): Histogram {
    return new Histogram({ name, help, buckets: SECONDS, registers: [this.registry] });
  }
}

/** The Boundary sign-out recorded after a removal the bot made, if any. */
function signOutOf(request: AccessRequest): SignOutRecord | undefined {
  return request.state === 'ended' || request.state === 'failed' ? request.signOut : undefined;
}

/** From when the end was due (the scheduled end for an expiry, else when it was asked for) to `doneAt`. */
function lagSeconds(request: EndedRequest, doneAt: number): number {
  const due = request.ending.reason === 'expired' ? request.endsAt : request.ending.at;
  return Math.max(0, doneAt - due) / 1000;
}
