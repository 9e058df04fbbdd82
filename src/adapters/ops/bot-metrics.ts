// What operators watch: requests by state, how long decisions and grants take, how late revocations are,
// job retries and failures, and Socket Mode reconnects.

import type { RequestRepository, StoredJob } from '../../application/ports.js';
import type { JobOutcome } from '../../application/run-job.js';
import { REQUEST_STATES } from '../../domain/access-request.js';
import { Registry } from './metrics.js';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400];

export class BotMetrics {
  readonly registry = new Registry();
  private readonly timeToDecision = this.registry.histogram('jit_time_to_decision_seconds', 'From request to approval or denial.', SECONDS);
  private readonly timeToGrant = this.registry.histogram(
    'jit_time_to_grant_seconds',
    'From approval to the grant confirmed by Graph.',
    SECONDS,
  );
  private readonly revocationLag = this.registry.histogram(
    'jit_revocation_lag_seconds',
    'From the scheduled (or asked-for) end to the revocation confirmed by Graph.',
    SECONDS,
  );
  private readonly retries = this.registry.counter('jit_job_retries_total', 'Job attempts that failed and were scheduled again.');
  private readonly failures = this.registry.counter('jit_job_failures_total', 'Jobs that gave up, and grants that failed for good.');
  readonly reconnects = this.registry.counter('jit_socket_reconnects_total', 'Socket Mode reconnections.');
  private readonly takeovers = this.registry.counter(
    'jit_job_takeovers_total',
    'Jobs claimed after the lease of another process (a replica that stopped) ran out.',
  );

  constructor(requests: RequestRepository) {
    this.registry.gauge('jit_requests', 'Requests by state.', () =>
      Promise.all(REQUEST_STATES.map(async (state) => ({ labels: { state }, value: await requests.countByState(state) }))),
    );
  }

  /** Called after each job with the request as the job left it. */
  async observe(job: StoredJob, outcome: JobOutcome, requests: RequestRepository): Promise<void> {
    const kind = { kind: job.kind };
    if (job.takenOver) this.takeovers.inc(kind);
    if (outcome.result === 'retry') this.retries.inc(kind);
    if (outcome.result === 'buried') this.failures.inc(kind);
    if (outcome.result !== 'done') return;
    const request = await requests.find(job.requestId);
    if (!request) return;
    if (job.kind === 'notify' && (job.event === 'approved' || job.event === 'denied') && request.decidedAt !== undefined) {
      this.timeToDecision.observe((request.decidedAt - request.createdAt) / 1000);
    }
    if (job.kind === 'grant' && request.state === 'failed') this.failures.inc(kind);
    if (job.kind === 'grant' && request.grantedAt !== undefined && request.decidedAt !== undefined) {
      this.timeToGrant.observe((request.grantedAt - request.decidedAt) / 1000);
    }
    if (job.kind === 'revoke' && request.endedAt !== undefined && request.ending) {
      const due = request.ending.reason === 'expired' ? (request.endsAt ?? request.ending.at) : request.ending.at;
      this.revocationLag.observe(Math.max(0, request.endedAt - due) / 1000);
    }
  }
}
