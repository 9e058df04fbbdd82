// What operators' dashboards and alerts are written against: every jit_* metric's name, type, help, labels and
// buckets, read from a scrape of /metrics. Changing one of these breaks someone's queries; this test says so.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotMetrics } from '../../../src/adapters/ops/bot-metrics.js';
import { startOpsServer } from '../../../src/adapters/ops/ops-server.js';
import type { JobOutcome } from '../../../src/application/jobs/index.js';
import type { StoredJob } from '../../../src/application/ports.js';
import { FakeRequestRepository } from '../../support/fakes.js';
import { requestIn, T0 } from '../../support/fixtures.js';
import { bucketsOf, labelNamesOf, parseExposition } from '../../support/prometheus-text.js';

const SECONDS = ['0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '30', '60', '300', '900', '3600', '14400', '+Inf'];
const histogram = (help: string) => ({ type: 'histogram', help, labels: [], buckets: SECONDS });
const counter = (help: string, labels: string[] = []) => ({ type: 'counter', help, labels });

const PINNED = {
  jit_requests: { type: 'gauge', help: 'Requests by state.', labels: ['state'] },
  jit_time_to_decision_seconds: histogram('From request to approval or denial.'),
  jit_time_to_grant_seconds: histogram('From approval to the grant confirmed by Graph.'),
  jit_revocation_lag_seconds: histogram('From the scheduled (or asked-for) end to the revocation confirmed by Graph.'),
  jit_boundary_revocation_lag_seconds: histogram(
    'From the scheduled (or asked-for) end to the Boundary sign-ins and sessions ended and verified.',
  ),
  jit_boundary_tokens_revoked_total: counter('Boundary auth tokens deleted as grants ended.'),
  jit_boundary_sessions_cancelled_total: counter(
    'Live Boundary sessions cancelled as grants ended (besides those that ended with their token).',
  ),
  jit_boundary_signout_failures_total: counter('Attempts to end Boundary sign-ins that failed and will be retried.'),
  jit_change_record_failures_total: counter(
    'Attempts to open, implement or close a ServiceNow change record that failed and will be retried.',
  ),
  jit_job_retries_total: counter('Job attempts that failed and were scheduled again.', ['kind']),
  jit_job_failures_total: counter('Jobs that gave up, and grants that failed for good.', ['kind']),
  jit_auto_approvals_total: counter('Requests approved at once because the requester was on call in PagerDuty.'),
  jit_auto_approval_fallbacks_total: counter(
    'Requests for a target offering approval by on-call that went to their approvers instead, by why.',
    ['because'],
  ),
  jit_socket_reconnects_total: counter('Socket Mode reconnections.'),
  jit_job_takeovers_total: counter('Jobs claimed after the lease of another process (a replica that stopped) ran out.', ['kind']),
};

const job = (kind: StoredJob['kind'], overrides: Partial<StoredJob> = {}): StoredJob => ({
  id: 1,
  kind,
  requestId: 'req_TEST',
  event: null,
  state: 'running',
  attempts: 1,
  runAt: T0,
  lastError: null,
  takenOver: false,
  ...overrides,
});

/** One outcome of each kind the metrics count, so that every labelled series has appeared. */
function observeOneOfEach(): void {
  const retry: JobOutcome = { result: 'retry', detail: 'Graph answered 503', runAt: T0 };
  const active = requestIn('active');
  const ended = requestIn('ended', { signOut: { at: T0 + 3_604_000, tokensRevoked: 2, sessionsEnded: 1, otherAccounts: 0 } });
  metrics.observe(job('notify', { event: 'approved' }), { result: 'done', detail: 'told', after: requestIn('approved') });
  metrics.observe(job('grant'), { result: 'done', detail: 'granted', before: requestIn('approved'), after: active });
  metrics.observe(job('revoke', { takenOver: true }), { result: 'done', detail: 'revoked', before: active, after: requestIn('ended') });
  metrics.observe(job('sign_out'), { result: 'done', detail: 'signed out', before: requestIn('ended'), after: ended });
  metrics.observe(job('sign_out'), retry);
  metrics.observe(job('change_record'), retry);
  metrics.observe(job('grant'), { result: 'buried', detail: 'gave up' });
  const told = job('notify', { event: 'requested' });
  const approved = requestIn('approved', { autoApprovedBy: 'PagerDuty on-call (schedule PSCHED01)' });
  metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: true, request: approved, by: 'PagerDuty on-call' } });
  metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: false, because: 'off_call' } });
  metrics.socketReconnected();
}

let stop: (() => Promise<void>) | undefined;
let metrics: BotMetrics;
beforeEach(() => {
  metrics = new BotMetrics(new FakeRequestRepository());
});
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function scrape(): Promise<{ contentType: string | null; body: string }> {
  const { server, port } = await startOpsServer(
    {
      isDatabaseWritable: async () => true,
      isSocketConnected: () => true,
      policySha256: () => 'sha',
      metrics,
    },
    0,
    '127.0.0.1',
  );
  stop = () => new Promise((resolve) => server.close(() => resolve()));
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { contentType: response.headers.get('content-type'), body: await response.text() };
}

describe('/metrics', () => {
  it('keeps every jit_* metric’s name, type, help, labels and buckets', async () => {
    observeOneOfEach();
    const { contentType, body } = await scrape();

    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = [...parseExposition(body).values()].filter((family) => family.name.startsWith('jit_'));
    const seen = Object.fromEntries(
      families.map((family) => [
        family.name,
        {
          type: family.type,
          help: family.help,
          labels: labelNamesOf(family),
          ...(family.type === 'histogram' && { buckets: bucketsOf(family) }),
        },
      ]),
    );
    expect(seen).toEqual(PINNED);
  });

  it('writes one series per request state, and a histogram’s buckets cumulative with its count and sum', async () => {
    observeOneOfEach();
    const families = parseExposition((await scrape()).body);

    expect(families.get('jit_requests')?.samples.map((sample) => sample.labels.state)).toEqual([
      'pending',
      'approved',
      'active',
      'ended',
      'denied',
      'cancelled',
      'timed_out',
      'failed',
    ]);
    // The Boundary step ended 2 s after the scheduled end (the fixture's request ends at T0 + 3,602,000).
    const lag = families.get('jit_boundary_revocation_lag_seconds')?.samples ?? [];
    const value = (name: string, le?: string) => lag.find((sample) => sample.name === name && sample.labels.le === le)?.value;
    expect(value('jit_boundary_revocation_lag_seconds_bucket', '1')).toBe(0);
    expect(value('jit_boundary_revocation_lag_seconds_bucket', '2')).toBe(1);
    expect(value('jit_boundary_revocation_lag_seconds_bucket', '+Inf')).toBe(1);
    expect(value('jit_boundary_revocation_lag_seconds_count')).toBe(1);
    expect(value('jit_boundary_revocation_lag_seconds_sum')).toBe(2);
    const tokens = families.get('jit_boundary_tokens_revoked_total')?.samples[0]?.value;
    expect(tokens).toBe(2);
  });
});
