import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../../simulators/boundary/boundary-simulator.js';
import { BoundaryHealth } from '../../../src/adapters/boundary/boundary-health.js';
import { BoundarySessionRevoker } from '../../../src/adapters/boundary/boundary-sign-outs.js';

let sim: BoundarySimulator;
let now = 0;

function health(options: { timeoutMs?: number; password?: string } = {}): BoundaryHealth {
  const revoker = new BoundarySessionRevoker({
    addr: sim.url,
    authMethodId: sim.passwordAuthMethodId,
    loginName: sim.botLoginName,
    password: options.password ?? sim.botPassword,
    oidcAuthMethodId: sim.oidcAuthMethodId,
  });
  return new BoundaryHealth(() => revoker.probe(), { now: () => now, ttlMs: 5000, ...options });
}

const probes = () => sim.log.filter((entry) => entry.path === '/v1/auth-tokens');

beforeEach(async () => {
  now = 1_000_000;
  sim = await BoundarySimulator.start();
});

afterEach(async () => {
  await sim.stop();
});

describe('BoundaryHealth', () => {
  it('reports Boundary reachable after one signed-in call that reads no token secret', async () => {
    expect(await health().check()).toEqual({ ok: true });
    expect(probes().map((entry) => `${entry.status} ${entry.query.get('page_size')} ${entry.userId}`)).toEqual([`200 1 ${sim.botUser.id}`]);
  });

  it('answers from memory for a few seconds, then asks again', async () => {
    const check = health();
    await Promise.all([check.check(), check.check()]);
    now += 4999;
    await check.check();
    expect(probes()).toHaveLength(1);
    now += 1;
    await check.check();
    expect(probes()).toHaveLength(2);
  });

  it('reports Boundary unreachable, with why, when it answers 503', async () => {
    sim.injectFault({ route: 'GET /v1/auth-tokens', status: 503, retryAfterSeconds: 30, forMs: 60_000 });
    expect(await health().check()).toEqual({
      ok: false,
      error: 'Boundary GET /v1/auth-tokens answered 503 Unavailable: Service unavailable.',
    });
  });

  it('gives up after its short deadline when Boundary does not answer', async () => {
    sim.injectFault({ route: 'GET /v1/auth-tokens', latencyMs: 500 });
    const started = Date.now();
    expect(await health({ timeoutMs: 100 }).check()).toEqual({ ok: false, error: 'Boundary did not answer within 100 ms' });
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('reports a refused sign-in without the password', async () => {
    const answer = await health({ password: 'wrong-secret-value' }).check();
    expect(answer).toMatchObject({ ok: false, error: expect.stringContaining('Boundary refused the bot') });
    expect(JSON.stringify(answer)).not.toContain('wrong-secret-value');
  });

  it('reports a controller that is not there', async () => {
    const check = health();
    await sim.stop();
    expect(await check.check()).toMatchObject({ ok: false, error: expect.stringContaining('connection failed (ECONNREFUSED)') });
  });
});
