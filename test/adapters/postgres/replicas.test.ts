// Several replicas on one PostgreSQL database: each replica is a pool of its own (and, for the job queue, an
// owner id of its own), all racing on the same rows.

import { describe, expect, it } from 'vitest';
import { chainPending } from '../../../src/adapters/postgres/audit-chainer.js';
import { verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import { aloneAmongReplicas, type PostgresPool } from '../../../src/adapters/postgres/database.js';
import { listenForJobs } from '../../../src/adapters/postgres/job-notifications.js';
import { PostgresJobQueue } from '../../../src/adapters/postgres/job-queue.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import { type AccessRequest, approve, openRequest, type TransitionResult, timeOut } from '../../../src/domain/access-request.js';
import { postgresAuditTrail } from '../../support/audit-and-jobs.js';
import { APPROVER_1, APPROVER_2, makeTarget, REQUESTER, T0 } from '../../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';
import { waitFor } from '../../support/wait-for.js';

const target = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 1 } });
const LEASE = 30_000;

function must(result: TransitionResult) {
  if (!result.ok) throw new Error(`transition refused: ${result.code}`);
  return result;
}

async function openRequests(pool: PostgresPool, count: number): Promise<AccessRequest[]> {
  const requests = new PostgresRequestRepository(pool);
  const opened = Array.from({ length: count }, (_, index) =>
    openRequest({
      id: `req_${String(index).padStart(3, '0')}`,
      requesterId: REQUESTER,
      target,
      reason: 'Investigating INC-42',
      durationMinutes: 60,
      pendingTimeoutMinutes: 240,
      now: T0,
    }),
  );
  for (const transition of opened) await requests.create(transition, T0);
  return opened.map((transition) => transition.request);
}

describe('PostgreSQL shared by several replicas', () => {
  it('hands concurrent claimers disjoint jobs', async () => {
    const database = await migratedDatabaseForThisTest();
    await openRequests(database.pool, 40);
    const replicas = [new PostgresJobQueue(database.openPool(), 'replica-a'), new PostgresJobQueue(database.openPool(), 'replica-b')];
    const claimed = (await Promise.all(replicas.flatMap((queue) => [1, 2, 3, 4].map(() => queue.claimDue(T0, 5, LEASE))))).flat();
    const ids = claimed.map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(40);
    expect(claimed.every((job) => job.attempts === 1 && !job.takenOver)).toBe(true);
  });

  it('lets another replica take over a lease that ran out, and fences the first holder out', async () => {
    const database = await migratedDatabaseForThisTest();
    await openRequests(database.pool, 1);
    const first = new PostgresJobQueue(database.openPool(), 'replica-a');
    const second = new PostgresJobQueue(database.openPool(), 'replica-b');
    const [held] = await first.claimDue(T0, 1, LEASE);
    if (!held) throw new Error('no job');
    expect(await second.claimDue(T0 + LEASE, 1, LEASE)).toEqual([]);

    await endLeasesIn(database.pool, -1);
    const [taken] = await second.claimDue(T0, 1, LEASE);
    expect(taken).toMatchObject({ id: held.id, attempts: 2, takenOver: true });
    expect(await first.complete(held, T0 + LEASE + 1)).toBe(false);
    expect(await first.heartbeat([held], T0 + LEASE + 1, LEASE)).toBe(0);
    expect(await second.complete(taken ?? held, T0 + LEASE + 2)).toBe(true);
  });

  it('keeps a lease alive with heartbeats, for its own holder only, a full lease from the beat by the database clock', async () => {
    const database = await migratedDatabaseForThisTest();
    await openRequests(database.pool, 1);
    const holder = new PostgresJobQueue(database.openPool(), 'replica-a');
    const other = new PostgresJobQueue(database.openPool(), 'replica-b');
    const [held] = await holder.claimDue(T0, 1, LEASE);
    if (!held) throw new Error('no job');
    await endLeasesIn(database.pool, 1000);

    expect(await other.heartbeat([held], T0, LEASE)).toBe(0);
    expect(await holder.nextRunAt(T0)).toBeLessThanOrEqual(T0 + 1000);
    expect(await holder.heartbeat([held, { id: held.id + 1000, attempts: 1 }], T0, LEASE)).toBe(1);
    const next = await holder.nextRunAt(T0);
    expect(next).toBeGreaterThan(T0 + 1000);
    expect(next).toBeLessThanOrEqual(T0 + LEASE);
    expect(await other.claimDue(T0 + 60 * LEASE, 1, LEASE)).toEqual([]);
    expect(await holder.complete(held, T0 + 40_000)).toBe(true);
  });

  it('lets exactly one of two replicas apply a change decided on the same version', async () => {
    const database = await migratedDatabaseForThisTest();
    const [request] = await openRequests(database.pool, 1);
    if (!request) throw new Error('no request');
    const replicas = [new PostgresRequestRepository(database.openPool()), new PostgresRequestRepository(database.openPool())];
    const approvers = [APPROVER_1, APPROVER_2];

    const outcomes = await Promise.all(
      replicas.map((replica, index) => replica.apply(request, must(approve(request, target, approvers[index] ?? '', T0 + 10)), T0 + 10)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const stored = await replicas[0]?.find(request.id);
    expect(stored?.approvals).toHaveLength(1);
    expect((await postgresAuditTrail(database.pool, request.id)).filter((event) => event.action === 'approved')).toHaveLength(1);
  });

  it('keeps one unbroken audit chain under 50 concurrent writes from several replicas', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = await openRequests(database.pool, 50);
    const replicas = [database.openPool(), database.openPool(), database.openPool()].map((pool) => new PostgresRequestRepository(pool));
    const outcomes = await Promise.all(
      requests.map((request, index) =>
        replicas[index % replicas.length]?.apply(request, must(approve(request, target, APPROVER_1, T0 + index)), T0 + index),
      ),
    );
    expect(outcomes.every(Boolean)).toBe(true);
    await chainPending(database.pool);
    expect(await verifyAuditChain(database.pool)).toEqual({ ok: true, rows: 100 });
  });

  it('chains the events of many changes written at once in the order given, beside concurrent single writes', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = await openRequests(database.pool, 60);
    const [sweeper, ...others] = [database.openPool(), database.openPool(), database.openPool()].map(
      (pool) => new PostgresRequestRepository(pool),
    );
    const due = T0 + 240 * 60_000;
    const timedOut = requests.slice(0, 30).reverse();
    const approved = requests.slice(30);
    const outcomes = await Promise.all([
      sweeper?.applyAll(
        timedOut.map((previous) => ({ previous, change: must(timeOut(previous, due)) })),
        due,
      ),
      ...approved.map((request, index) =>
        others[index % 2]?.apply(request, must(approve(request, target, APPROVER_1, T0 + index)), T0 + index),
      ),
    ]);
    expect(outcomes.flat().every(Boolean)).toBe(true);
    await chainPending(database.pool);
    expect(await verifyAuditChain(database.pool)).toEqual({ ok: true, rows: 120 });
    const { rows } = await database.pool.query("SELECT request_id FROM audit_events WHERE action = 'timed_out' ORDER BY seq");
    expect(rows.map((row) => row.request_id)).toEqual(timedOut.map((request) => request.id));
  });

  it('wakes a listening replica when a chainer links changes, and not when a notification rolls back', async () => {
    const database = await migratedDatabaseForThisTest();
    let wakeUps = 0;
    const listener = await listenForJobs(database.url, () => {
      wakeUps += 1;
    });
    try {
      await openRequests(database.pool, 1);
      await chainPending(database.pool);
      await waitFor(() => wakeUps === 1);

      await database.pool.query("BEGIN; SELECT pg_notify('jit_jobs', ''); ROLLBACK;");
      // Notifications arrive in commit order: had the rolled-back one gone out, it would come before this one.
      await database.pool.query("SELECT pg_notify('jit_jobs', '')");
      await waitFor(() => wakeUps >= 2);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(wakeUps).toBe(2);
    } finally {
      await listener.close();
    }
  });

  it('listens again after its connection is cut, and wakes up once for what it may have missed', async () => {
    const database = await migratedDatabaseForThisTest();
    let wakeUps = 0;
    const listener = await listenForJobs(
      database.url,
      () => {
        wakeUps += 1;
      },
      { maxBackoffMs: 200 },
    );
    try {
      await database.pool.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jit-access-bot listener'",
      );
      await waitFor(() => wakeUps === 1);
      await openRequests(database.pool, 1);
      await chainPending(database.pool);
      await waitFor(() => wakeUps === 2);
    } finally {
      await listener.close();
    }
  });

  it('runs shared work on one replica at a time, and on any once its holder is done or its session has ended', async () => {
    const database = await migratedDatabaseForThisTest();
    const [first, second] = [database.openPool(), database.openPool()];
    const KEY = 4_242;
    let finishFirst = () => {};
    const firstRun = aloneAmongReplicas(first, KEY, () => new Promise<string>((resolve) => (finishFirst = () => resolve('first ran'))));
    await waitFor(async () => (await locksHeld(database.pool)) === 1);
    let secondRan = false;
    expect(await aloneAmongReplicas(second, KEY, async () => (secondRan = true))).toBeUndefined();
    expect(secondRan).toBe(false);
    finishFirst();
    expect(await firstRun).toBe('first ran');
    expect(await aloneAmongReplicas(second, KEY, async () => 'second ran')).toBe('second ran');

    // A replica that dies mid-way: PostgreSQL ends its session, and the lock goes with it.
    const dying = database.openPool();
    let never = () => {};
    const dyingRun = aloneAmongReplicas(dying, KEY, () => new Promise<void>((resolve) => (never = resolve)));
    await waitFor(async () => (await locksHeld(database.pool)) === 1);
    await database.pool.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1", [KEY]);
    // The session ends a moment after it is told to.
    await waitFor(async () => (await locksHeld(database.pool)) === 0);
    expect(await aloneAmongReplicas(second, KEY, async () => 'taken over')).toBe('taken over');
    never();
    await dyingRun;
  });
});

/** Sets every running lease to end `ms` from now by the database clock (in the past when negative). */
async function endLeasesIn(pool: PostgresPool, ms: number): Promise<void> {
  await pool.query(
    "UPDATE jobs SET locked_until = (extract(epoch from statement_timestamp()) * 1000)::bigint + $1 WHERE state = 'running'",
    [ms],
  );
}

async function locksHeld(pool: PostgresPool): Promise<number> {
  const result = await pool.query<{ n: number }>("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted");
  return result.rows[0]?.n ?? 0;
}
