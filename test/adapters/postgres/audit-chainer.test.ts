// The chainer links the audit events that changes store beside them onto the one chain: every event once, each
// request's events in the order of its changes, whichever replicas wrote and chained them, and nothing lost when
// a chainer dies mid-batch.

import { describe, expect, it } from 'vitest';
import { AuditChainer, chainPending } from '../../../src/adapters/postgres/audit-chainer.js';
import { verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { listenForJobs } from '../../../src/adapters/postgres/job-notifications.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import {
  type AccessRequest,
  approve,
  confirmGrant,
  journalGrantCall,
  type Transition,
  type TransitionResult,
} from '../../../src/domain/access-request.js';
import { postgresAuditTrail } from '../../support/audit-and-jobs.js';
import { APPROVER_1, makeTarget, opening, T0 } from '../../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';
import { waitFor } from '../../support/wait-for.js';

const target = makeTarget();

function must(result: TransitionResult): Transition {
  if (!result.ok) throw new Error(`transition refused: ${result.code}`);
  return result;
}

/** The changes of a request from its opening to its grant, each decided on the one before. */
const LIFE: ((request: AccessRequest) => TransitionResult)[] = [
  (request) => approve(request, target, APPROVER_1, T0 + 1000),
  (request) => journalGrantCall(request, target.grant, T0 + 2000),
  (request) =>
    confirmGrant(request, { kind: target.grant.kind, groupId: target.grant.groupId, principalId: request.principalId ?? '' }, T0 + 3000),
];

async function count(pool: PostgresPool, table: 'audit_events' | 'audit_pending'): Promise<number> {
  const result = await pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return result.rows[0]?.n ?? 0;
}

async function openMany(requests: PostgresRequestRepository, howMany: number, prefix = 'req_'): Promise<Transition[]> {
  const opened = Array.from({ length: howMany }, (_, index) =>
    opening(`${prefix}${String(index).padStart(3, '0')}`, target, { principalId: `principal-${index}` }),
  );
  for (const transition of opened) await requests.create(transition, T0);
  return opened;
}

describe('the audit chainer', () => {
  it('leaves a change’s event waiting beside it, then links the waiting events onto the chain in the order they were stored', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(pool);
    const [first, second] = await openMany(requests, 2);
    if (!first || !second) throw new Error('no requests');
    await requests.apply(second.request, must(approve(second.request, target, APPROVER_1, T0 + 1)), T0 + 1);
    expect([await count(pool, 'audit_events'), await count(pool, 'audit_pending')]).toEqual([0, 3]);

    expect(await chainPending(pool, 2)).toEqual({ chained: 3, busy: false });
    expect([await count(pool, 'audit_events'), await count(pool, 'audit_pending')]).toEqual([3, 0]);
    const { rows } = await pool.query('SELECT seq, request_id, action, request_version FROM audit_events ORDER BY seq');
    expect(rows).toEqual([
      { seq: 1, request_id: 'req_000', action: 'requested', request_version: 1 },
      { seq: 2, request_id: 'req_001', action: 'requested', request_version: 1 },
      { seq: 3, request_id: 'req_001', action: 'approved', request_version: 2 },
    ]);
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 3 });
    expect(await chainPending(pool)).toEqual({ chained: 0, busy: false });
  });

  it('keeps one chain, every event once and each request’s events in the order of its changes, with two replicas writing and chaining at once', async () => {
    const database = await migratedDatabaseForThisTest();
    const pools = [database.openPool({ max: 6 }), database.openPool({ max: 6 })];
    const failures: unknown[] = [];
    const chainers = pools.map((pool) => new AuditChainer(pool, { onError: (error) => failures.push(error), busyRetryMs: 2 }));
    const replicas = pools.map((pool, index) => new PostgresRequestRepository(pool, { onWritten: () => chainers[index]?.kick() }));
    for (const chainer of chainers) chainer.start();
    const opened = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const transition = opening(`req_${String(index).padStart(3, '0')}`, target, { principalId: `principal-${index}` });
        await replicas[index % 2]?.create(transition, T0);
        return transition;
      }),
    );

    // Each request's changes one after another, every request at once, and each change on the other replica.
    const actions = await Promise.all(
      opened.map(async (transition, index) => {
        let request = transition.request;
        const written = [transition.audit.action];
        for (const [step, decide] of LIFE.entries()) {
          const change = must(decide(request));
          expect(await replicas[(index + step + 1) % 2]?.apply(request, change, T0 + 1000 * (step + 1))).toBe(true);
          written.push(change.audit.action);
          request = change.request;
        }
        return written;
      }),
    );
    await Promise.all(chainers.map((chainer) => chainer.stop()));

    expect(failures).toEqual([]);
    expect(await count(database.pool, 'audit_pending')).toBe(0);
    expect(await verifyAuditChain(database.pool)).toEqual({ ok: true, rows: 40 * 4 });
    for (const [index, transition] of opened.entries()) {
      const trail = await postgresAuditTrail(database.pool, transition.request.id);
      expect(trail.map((event) => [event.action, event.chained])).toEqual(actions[index]?.map((action) => [action, true]));
    }
  });

  it('loses nothing when a chainer dies mid-batch: the batch is undone, and the next chainer links it', async () => {
    const database = await migratedDatabaseForThisTest();
    await openMany(new PostgresRequestRepository(database.pool), 5);
    // The third row of the batch holds the chainer inside its statement until its connection is cut.
    await database.pool.query(`CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.seq = 3 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END; $$;
      CREATE TRIGGER hold BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION hold();`);
    const dying = database.openPool({ max: 1 });
    // Settled at once either way, so that the failure is never a rejection nobody listens to yet.
    const run = chainPending(dying).then(
      () => 'linked',
      (error: Error) => error.message,
    );
    const chaining = await waitFor(
      async () => {
        const { rows } = await database.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
        return rows[0]?.pid;
      },
      10_000,
      'the chainer to be mid-batch',
    );
    await database.pool.query('SELECT pg_terminate_backend($1)', [chaining]);
    expect(await run).toMatch(/terminating connection/);

    expect([await count(database.pool, 'audit_events'), await count(database.pool, 'audit_pending')]).toEqual([0, 5]);
    expect((await database.pool.query('SELECT seq FROM audit_chain_head')).rows).toEqual([{ seq: 0 }]);
    await database.pool.query('DROP TRIGGER hold ON audit_events');
    expect(await chainPending(database.pool)).toEqual({ chained: 5, busy: false });
    expect(await verifyAuditChain(database.pool)).toEqual({ ok: true, rows: 5 });
  });

  it('leaves at once while another chainer holds the head, and links the events once it is free', async () => {
    const database = await migratedDatabaseForThisTest();
    await openMany(new PostgresRequestRepository(database.pool), 3);
    const other = await database.openPool({ max: 1 }).connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT seq FROM audit_chain_head FOR UPDATE');
      expect(await chainPending(database.pool)).toEqual({ chained: 0, busy: true });

      const failures: unknown[] = [];
      const chainer = new AuditChainer(database.pool, { onError: (error) => failures.push(error), busyRetryMs: 5, everyMs: 60_000 });
      chainer.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await count(database.pool, 'audit_pending')).toBe(3);
      await other.query('ROLLBACK');
      await waitFor(async () => (await count(database.pool, 'audit_pending')) === 0, 10_000, 'the chainer to try again');
      await chainer.stop();
      expect(failures).toEqual([]);
    } finally {
      other.release();
    }
    expect(await verifyAuditChain(database.pool)).toEqual({ ok: true, rows: 3 });
  });

  it('links what a replica left waiting when it died, unasked, at start and every few moments', async () => {
    const database = await migratedDatabaseForThisTest();
    const chainer = new AuditChainer(database.openPool(), { onError: () => undefined, everyMs: 50 });
    await openMany(new PostgresRequestRepository(database.pool), 2);
    chainer.start();
    await waitFor(async () => (await count(database.pool, 'audit_events')) === 2, 10_000, 'the events left at start');
    await openMany(new PostgresRequestRepository(database.pool), 1, 'req_later_');
    await waitFor(async () => (await count(database.pool, 'audit_events')) === 3, 10_000, 'the events left later');
    await chainer.stop();
  });

  it('wakes the other replicas once a batch is linked, rather than at every change', async () => {
    const database = await migratedDatabaseForThisTest();
    let wakeUps = 0;
    const listener = await listenForJobs(database.url, () => {
      wakeUps += 1;
    });
    try {
      await openMany(new PostgresRequestRepository(database.pool), 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(wakeUps).toBe(0);
      await chainPending(database.pool);
      await waitFor(() => wakeUps === 1);
      await chainPending(database.pool);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(wakeUps).toBe(1);
    } finally {
      await listener.close();
    }
  });

  it('refuses to edit a waiting event, or to remove it other than onto the chain', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await openMany(new PostgresRequestRepository(pool), 1);
    for (const statement of ["UPDATE audit_pending SET actor = 'U0EVIL0001'", 'TRUNCATE audit_pending']) {
      await expect(pool.query(statement), statement).rejects.toThrow(/the audit trail is append-only/);
    }
    await expect(pool.query('DELETE FROM audit_pending')).rejects.toThrow(/leaves audit_pending only onto the chain/);
    expect(await count(pool, 'audit_pending')).toBe(1);
  });
});
