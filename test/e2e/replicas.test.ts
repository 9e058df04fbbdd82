// Several bot processes on one PostgreSQL, as teams run it for availability: each holds its own Socket Mode
// connection, any of them handles any click, and killing any of them at any moment loses no request, doubles
// no grant and leaves no access behind. The processes are the real bot (bot-process.ts), started as `npm start`
// would be, with JIT_DATABASE_URL set.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { PROD_DB_POLICY } from '../../simulators/policies.js';
import type { TestDatabase } from '../../simulators/postgres-server.js';
import { addPerson, crowdMember, type Simulators, startSimulators } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { verifyAuditChain } from '../../src/adapters/postgres/audit-trail.js';
import { openPool, type PostgresPool } from '../../src/adapters/postgres/database.js';
import { DEFAULT_LEASE_MS } from '../../src/adapters/scheduler/job-scheduler.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;

let database: TestDatabase;
let pool: PostgresPool;
let sims: Simulators;
let replicas: BotProcess[] = [];
let offset = 0;

async function startReplica(leaseMs = 3000): Promise<BotProcess> {
  const replica = await spawnBotProcess(sims, offset, { env: { JIT_TEST_JOB_LEASE_MS: String(leaseMs) } });
  replicas.push(replica);
  return replica;
}

async function kill9(replica: BotProcess): Promise<void> {
  await replica.kill9();
  replicas = replicas.filter((other) => other !== replica);
}

/** Moves time for Graph and every replica; waits until each replica is idle again unless told not to. */
async function advance(ms: number, options: { wait: boolean } = { wait: true }): Promise<void> {
  offset += ms;
  sims.graph.advance(ms);
  await Promise.all(replicas.map((replica) => replica.advance(ms, options)));
}

async function states(): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ id: string; state: string }>('SELECT id, state FROM requests ORDER BY id');
  return Object.fromEntries(rows.map((row) => [row.id, row.state]));
}

async function count(sql: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql);
  return Number(rows[0]?.n);
}

/** The events of an action, chained or still waiting for a chainer: one statement, so each is counted once. */
async function events(action: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT (SELECT COUNT(*) FROM audit_events WHERE action = $1) + (SELECT COUNT(*) FROM audit_pending WHERE action = $1) AS n`,
    [action],
  );
  return Number(rows[0]?.n);
}

/** Successful membership adds: exactly one per grant, whichever replicas ran its job and however often. */
function successfulAdds(): number {
  return sims.graph.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/members/$ref') && entry.status === 204).length;
}

function cards(): SimMessage[] {
  return sims.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
}

async function request(reason: string, requester: string): Promise<SimMessage> {
  const person = sims.slack.person(requester);
  const before = cards().length;
  await person.slash('/jit');
  await person.waitForModal();
  await person.submit({ reason });
  return sims.slack.waitFor(() => cards().length > before && cards()[before], 15_000, 'the card');
}

async function waitFor<T>(check: () => Promise<T | false | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function crowd(size: number) {
  const people = Array.from({ length: size }, (_, index) => crowdMember(index));
  for (const person of people) addPerson(sims, person);
  return people;
}

beforeEach(async () => {
  offset = 0;
  database = await freshPostgresDatabase();
  pool = openPool(database.url);
  sims = await startSimulators({ policy: PROD_DB_POLICY, databaseUrl: database.url });
});

afterEach(async () => {
  await Promise.all(replicas.map((replica) => replica.kill9()));
  replicas = [];
  await sims.slack.stop();
  await sims.graph.stop();
  await pool.end();
  await database.drop();
});

describe('several replicas on one PostgreSQL', () => {
  it('share the clicks, and two approvers clicking at once on two replicas make one grant', async () => {
    await startReplica();
    await startReplica();
    const people = crowd(4);
    for (const [index, person] of people.entries()) {
      const card = await request(`Replica drill ${index + 1}`, person.slack);
      // Both approvers at once: Slack hands consecutive envelopes to different connections.
      await Promise.all([
        sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card }),
        sims.slack.person(PEOPLE.approver2.slack).click('jit_approve', { message: card }),
      ]);
    }
    await waitFor(async () => Object.values(await states()).every((state) => state === 'active') && true, 20_000, 'every grant');

    const connections = new Set(sims.slack.envelopes.map((envelope) => envelope.connection));
    expect(connections.size).toBe(2);
    expect(Object.keys(await states())).toHaveLength(people.length);
    expect(successfulAdds()).toBe(people.length);
    // One approval each: the second click found the request decided, on whichever replica it landed.
    expect(await count("SELECT COUNT(*) AS n FROM decisions WHERE decision = 'approve'")).toBe(people.length);
    expect(await events('granted')).toBe(people.length);
    expect(await verifyAuditChain(pool)).toMatchObject({ ok: true });
  }, 90_000);

  it('takes over the revocation of a replica stopped for good within 10 seconds', async () => {
    await startReplica(DEFAULT_LEASE_MS);
    await startReplica(DEFAULT_LEASE_MS);
    const card = await request('A replica will die holding my revocation', PEOPLE.requester.slack);
    await sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await waitFor(async () => Object.values(await states())[0] === 'active', 15_000, 'the grant');

    // Graph hangs on the removal, so whichever replica claims the revocation is still holding it when it dies.
    sims.graph.injectFault({ route: `DELETE /v1.0/groups/${MEMBER_GROUP}/members`, latencyMs: 60_000 });
    await advance(30 * MINUTE, { wait: false });
    const owner = await waitFor(
      async () =>
        (await pool.query<{ owner: string }>("SELECT lease_owner AS owner FROM jobs WHERE kind = 'revoke' AND state = 'running'")).rows[0]
          ?.owner,
      15_000,
      'a replica to claim the revocation',
    );
    const holder = replicas.find((replica) => owner.includes(`:${replica.child.pid}:`));
    if (!holder) throw new Error(`no replica holds the lease of ${owner}`);
    sims.graph.faults.clear();
    const killedAt = Date.now();
    await kill9(holder);

    await waitFor(async () => !sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 15_000, 'the survivor to revoke');
    const takeoverMs = Date.now() - killedAt;
    await waitFor(async () => Object.values(await states())[0] === 'ended', 10_000, 'the end to be recorded');
    expect(takeoverMs).toBeLessThan(10_000);
    const { rows } = await pool.query<{ owner: string }>("SELECT lease_owner AS owner FROM jobs WHERE kind = 'revoke'");
    expect(rows.map((row) => row.owner)).not.toContain(owner);
    // Operators see the takeover in the survivor's /metrics.
    const survivor = replicas[0];
    const metrics = await (await fetch(`http://127.0.0.1:${survivor?.httpPort}/metrics`)).text();
    expect(metrics).toContain('jit_job_takeovers_total{kind="revoke"} 1');
  }, 90_000);

  it.each([2, 3])(
    'loses no request, doubles no grant and leaves no access behind when %i replicas are killed at random moments',
    async (size) => {
      for (let index = 0; index < size; index++) await startReplica();
      const people = crowd(3 * size);
      const members = () => people.filter((person) => sims.graph.isMember(MEMBER_GROUP, person.entra)).length;
      sims.graph.injectFault({ route: /members/, latencyMs: 150, times: Number.POSITIVE_INFINITY });
      for (const [index, person] of people.entries()) {
        const card = await request(`Replica crash drill ${index + 1}`, person.slack);
        await sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
        // A different replica dies at a different moment of the work each time, and comes back.
        await new Promise((resolve) => setTimeout(resolve, 37 * index));
        const victim = replicas[index % replicas.length];
        if (victim) await kill9(victim);
        await startReplica();
      }
      await waitFor(async () => Object.values(await states()).every((state) => state === 'active') && true, 30_000, 'every grant');
      expect(Object.keys(await states())).toHaveLength(people.length);
      expect(members()).toBe(people.length);
      expect(successfulAdds()).toBe(people.length);

      // The ends come due together; one replica dies while they are being revoked.
      await advance(30 * MINUTE, { wait: false });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const victim = replicas[0];
      if (victim) await kill9(victim);
      await waitFor(async () => Object.values(await states()).every((state) => state === 'ended') && true, 30_000, 'every end');
      expect(members()).toBe(0);
      // The last messages may still be leased by the replica that died: they run once its leases run out.
      await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM jobs WHERE state <> 'done'")) === 0, 20_000, 'every job');
      expect(await events('granted')).toBe(people.length);
      expect(await verifyAuditChain(pool)).toMatchObject({ ok: true });
      // What the killed replicas left waiting, the survivors chain: on their next change, or within seconds.
      await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM audit_pending')) === 0, 15_000, 'every event chained');
      const check = await verifyAuditChain(pool);
      expect(check).toEqual({ ok: true, rows: check.rows });
      expect(await events('granted')).toBe(people.length);
    },
    180_000,
  );
});
