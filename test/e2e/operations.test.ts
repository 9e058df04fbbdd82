import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { APPROVALS, DEFAULT_POLICY, PEOPLE, startWorld, type World } from '../support/world.js';

let world: World;
const MINUTE = 60_000;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.stop();
});

const get = async (path: string) => {
  const response = await fetch(`http://127.0.0.1:${world.bot.httpPort}${path}`);
  return { status: response.status, body: await response.text() };
};

describe('/healthz and /metrics', () => {
  it('reports healthy while Socket Mode is connected and the database writable, and unhealthy when the socket drops', async () => {
    const policy = createHash('sha256').update(DEFAULT_POLICY).digest('hex');
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: `{"status":"ok","slack":"connected","database":"writable","policy":{"sha256":"${policy}"}}`,
    });
    world.slack.dropSockets();
    const unhealthy = await waitFor(
      async () => {
        const answer = await get('/healthz');
        return answer.status === 503 && answer;
      },
      5000,
      'the bot to notice the drop',
    );
    expect(JSON.parse(unhealthy.body)).toMatchObject({ status: 'unhealthy', slack: 'disconnected' });
    await waitFor(async () => (await get('/healthz')).status === 200, 15_000, 'the reconnect');
    expect((await get('/metrics')).body).toContain('jit_socket_reconnects_total 1');
  }, 40_000);

  it('counts requests by state, time to decision and grant, revocation lag and job retries', async () => {
    world.graph.injectFault({ route: 'POST /v1.0/identityGovernance', status: 503 });
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit');
    await sam.waitForModal();
    await sam.submit({ reason: 'Investigating incident INC-42 on web-1' });
    const card = await world.slack.waitFor(() => world.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
    await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
    await world.advance(60 * MINUTE);
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end');
    await world.bot.scheduler.idle();

    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(body).toContain('# TYPE jit_requests gauge');
    expect(body).toContain('jit_requests{state="ended"} 1');
    expect(body).toContain('jit_requests{state="pending"} 0');
    expect(body).toContain('jit_time_to_decision_seconds_count 1');
    expect(body).toContain('jit_time_to_grant_seconds_count 1');
    expect(body).toContain('jit_revocation_lag_seconds_count 1');
    expect(body).toContain('jit_revocation_lag_seconds_bucket{le="2"} 1');
    expect(body).toContain('jit_job_retries_total{kind="grant"} 1');
    expect((await get('/nope')).status).toBe(404);
  });
});
