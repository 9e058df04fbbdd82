// What operators see of the Boundary step through the ops server: Boundary's reachability in /healthz, which
// never fails the bot's health, and the step's lag, removals and failures in /metrics.

import { afterEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

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

const POLICY = `version: 1
admins: [U0ADMIN01]
targets:
  - id: prod-db
    name: Production databases
    grant: { kind: group_membership, group_id: ${MEMBER_GROUP} }
    duration: { default: 1m, max: 2h }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1] }
`;

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${world?.bot.httpPort}${path}`);
  return { status: response.status, body: await response.text() };
}

async function health(): Promise<{ status: number; body: unknown }> {
  const { status, body } = await get('/healthz');
  return { status, body: JSON.parse(body) };
}

describe('/healthz with Boundary', () => {
  it('reports Boundary reachable or not, and stays 200 while Slack and the database are fine', async () => {
    boundary = await BoundarySimulator.start();
    world = await startWorld({ policy: POLICY, boundary });
    expect(await health()).toEqual({
      status: 200,
      body: { status: 'ok', slack: 'connected', database: 'writable', boundary: { ok: true } },
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
        boundary: { ok: false, error: 'Boundary GET /v1/auth-tokens answered 503 Unavailable: Service unavailable.' },
      },
    });

    await world.advance(30_000);
    expect((await health()).body).toMatchObject({ status: 'ok', boundary: { ok: true } });
  });
});
