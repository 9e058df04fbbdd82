// What operators see of the Boundary step through the ops server: Boundary's reachability in /healthz, which
// never fails the bot's health, and the step's lag, removals and failures in /metrics.

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { ONE_MINUTE_POLICY } from '../../simulators/policies.js';
import { APPROVALS, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
let boundary: BoundarySimulator | undefined;
const MINUTE = 60_000;
const ANY_ROUTE = /./;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  await boundary?.stop();
  boundary = undefined;
  expect(violations).toEqual([]);
});

const POLICY_SHA256 = createHash('sha256').update(ONE_MINUTE_POLICY).digest('hex');

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${world?.bot.httpPort}${path}`);
  return { status: response.status, body: await response.text() };
}

async function health(): Promise<{ status: number; body: unknown }> {
  const { status, body } = await get('/healthz');
  return { status, body: JSON.parse(body) };
}

/** One metric line's value, 0 when the series has not appeared yet. */
async function metric(series: string): Promise<number> {
  const line = (await get('/metrics')).body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('/healthz with Boundary', () => {
  it('reports Boundary reachable or not, and stays 200 while Slack and the database are fine', async () => {
    boundary = await BoundarySimulator.start();
    world = await startWorld({ policy: ONE_MINUTE_POLICY, boundary });
    expect(await health()).toEqual({
      status: 200,
      body: { status: 'ok', slack: 'connected', database: 'writable', policy: { sha256: POLICY_SHA256 }, boundary: { ok: true } },
    });

    boundary.injectFault({ route: ANY_ROUTE, status: 503, retryAfterSeconds: 10, forMs: 30_000 });
    // The last answer is kept a few seconds on the bot's clock.
    expect((await health()).body).toMatchObject({ boundary: { ok: true } });
    await world.advance(6000);
    expect(await health()).toEqual({
      status: 200,
      body: {
        status: 'ok',
        slack: 'connected',
        database: 'writable',
        policy: { sha256: POLICY_SHA256 },
        boundary: { ok: false, error: 'Boundary GET /v1/auth-tokens answered 503 Unavailable: Service unavailable.' },
      },
    });

    await world.advance(30_000);
    expect((await health()).body).toMatchObject({ status: 'ok', boundary: { ok: true } });
  });
});

describe('/metrics with Boundary', () => {
  it('counts the Boundary step’s lag from the end, the tokens and sessions it removed, and its failed attempts', async () => {
    boundary = await BoundarySimulator.start();
    const sam = boundary.addUser({ name: 'sam' });
    const account = boundary.addAccount(sam.id, { subject: PEOPLE.requester.entra });
    boundary.signIn(account.id);
    boundary.signIn(account.id);
    boundary.addSession(sam.id);
    world = await startWorld({ policy: ONE_MINUTE_POLICY, boundary });

    const person = world.slack.person(PEOPLE.requester.slack);
    await person.slash('/jit', 'prod-db');
    await person.waitForModal();
    await person.submit({ reason: 'Investigating incident INC-42 on db-1' });
    const approver = world.slack.person(PEOPLE.approver1.slack);
    const card = await world.slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the card');
    await approver.click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');

    // Boundary is down for 20 s from the end on: the step fails twice (Retry-After 10 s), then succeeds.
    await world.advance(MINUTE - 1000);
    boundary.injectFault({ route: ANY_ROUTE, status: 503, retryAfterSeconds: 10, forMs: 21_000 });
    await world.advance(1000);
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end in Entra');
    for (let step = 0; step < 3; step++) await world.advance(10_000);
    await world.bot.scheduler.idle();

    expect(boundary.tokensOf(sam.id)).toEqual([]);
    expect(await metric('jit_revocation_lag_seconds_count')).toBe(1);
    expect(await metric('jit_revocation_lag_seconds_bucket{le="2"}')).toBe(1);
    expect(await metric('jit_boundary_revocation_lag_seconds_count')).toBe(1);
    expect(await metric('jit_boundary_revocation_lag_seconds_bucket{le="10"}')).toBe(0);
    expect(await metric('jit_boundary_revocation_lag_seconds_bucket{le="30"}')).toBe(1);
    expect(await metric('jit_boundary_tokens_revoked_total')).toBe(2);
    expect(await metric('jit_boundary_sessions_cancelled_total')).toBe(1);
    expect(await metric('jit_boundary_signout_failures_total')).toBe(2);
    expect((await get('/metrics')).body).toContain('# TYPE jit_boundary_revocation_lag_seconds histogram');
  });
});
