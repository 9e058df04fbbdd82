import { describe, expect, it } from 'vitest';
import { BotMetrics } from '../../../src/adapters/ops/bot-metrics.js';
import type { StoredJob } from '../../../src/application/ports.js';
import { FakeRequestRepository } from '../../support/fakes.js';
import { T0 } from '../../support/fixtures.js';

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

describe('BotMetrics', () => {
  it('counts the jobs taken over from a process whose lease ran out, and only those', async () => {
    const requests = new FakeRequestRepository();
    const metrics = new BotMetrics(requests);
    metrics.observe(job(1, true), { result: 'done', detail: 'revoked' });
    metrics.observe(job(2, false), { result: 'done', detail: 'revoked' });
    const text = await metrics.registry.render();
    expect(text).toContain('jit_job_takeovers_total{kind="revoke"} 1');
    expect(text).toContain('jit_requests{state="active"} 0');
  });
});
