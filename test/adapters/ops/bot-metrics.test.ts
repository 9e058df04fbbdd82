import { beforeEach, describe, expect, it } from 'vitest';
import { BotMetrics } from '../../../src/adapters/ops/bot-metrics.js';
import type { StoredJob } from '../../../src/application/ports.js';
import { FakeRequestRepository } from '../../support/fakes.js';
import { requestIn, T0 } from '../../support/fixtures.js';
import { parseExposition } from '../../support/prometheus-text.js';

const job = (id: number, takenOver: boolean): StoredJob => ({
  id,
  kind: 'revoke',
  requestId: 'req_gone',
  event: null,
  state: 'running',
  attempts: 2,
  runAt: T0,
  lastError: null,
  takenOver,
});

let metrics: BotMetrics;
beforeEach(() => {
  metrics = new BotMetrics(new FakeRequestRepository());
});

describe('BotMetrics', () => {
  it('counts the jobs taken over from a process whose lease ran out, and only those', async () => {
    metrics.observe(job(1, true), { result: 'done', detail: 'revoked' });
    metrics.observe(job(2, false), { result: 'done', detail: 'revoked' });
    const text = await metrics.scrape();
    expect(text).toContain('jit_job_takeovers_total{kind="revoke"} 1');
    expect(text).toContain('jit_requests{state="active"} 0');
  });

  it('serves the process’s metrics beside its own, one collector for every bot of the process', async () => {
    const other = new BotMetrics(new FakeRequestRepository());
    for (const bot of [metrics, other]) {
      const families = parseExposition(await bot.scrape());
      expect(families.get('jit_requests')?.type).toBe('gauge');
      expect(families.get('process_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
      expect(families.get('nodejs_eventloop_lag_p99_seconds')?.samples).toHaveLength(1);
    }
  });

  it('counts requests PagerDuty approved, and those it left to their approvers by why, but not targets without it', async () => {
    const told = { ...job(3, false), kind: 'notify' as const, event: 'requested' as const };
    const approved = requestIn('approved', { approvals: [], autoApprovedBy: 'PagerDuty on-call (schedule PSCHED01)' });
    metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: true, request: approved, by: 'PagerDuty on-call' } });
    metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: false, because: 'off_call' } });
    metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: false, because: 'pagerduty_failed' } });
    metrics.observe(told, { result: 'done', detail: 'told', onCall: { approved: false, because: 'not_offered' } });
    const text = await metrics.scrape();
    expect(text).toContain('jit_auto_approvals_total 1');
    expect(text).toContain('jit_auto_approval_fallbacks_total{because="off_call"} 1');
    expect(text).toContain('jit_auto_approval_fallbacks_total{because="pagerduty_failed"} 1');
    expect(text).not.toContain('because="not_offered"');
  });
});
