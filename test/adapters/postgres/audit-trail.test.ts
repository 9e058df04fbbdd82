import { describe, expect, it } from 'vitest';
import { chainPending } from '../../../src/adapters/postgres/audit-chainer.js';
import { readAuditTrail, verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import { cancel, openRequest } from '../../../src/domain/access-request.js';
import { AWKWARD_TEXT, makeTarget, REQUESTER, T0 } from '../../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';

const target = makeTarget();

function open(id: string, now = T0) {
  return openRequest({
    id,
    requesterId: REQUESTER,
    target,
    reason: 'Investigating INC-42',
    durationMinutes: 60,
    pendingTimeoutMinutes: 240,
    now,
  });
}

/** Three events, as a chainer leaves them: req_A's opening, req_B's opening and cancellation. */
async function threeEvents(pool: PostgresPool): Promise<void> {
  await threeWaitingEvents(pool);
  await chainPending(pool);
}

async function threeWaitingEvents(pool: PostgresPool): Promise<void> {
  const requests = new PostgresRequestRepository(pool);
  for (const [index, id] of ['req_A', 'req_B'].entries()) {
    const opened = open(id, T0 + index);
    await requests.create(opened, T0 + index);
    if (id === 'req_B') {
      const cancelled = cancel(opened.request, REQUESTER, T0 + 10);
      if (!cancelled.ok) throw new Error('refused');
      await requests.apply(opened.request, cancelled, T0 + 10);
    }
  }
}

// The tests tamper as the database owner would, past the append-only triggers.
async function tamper(pool: PostgresPool, statement: string, table = 'audit_events'): Promise<void> {
  await pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER; ${statement}; ALTER TABLE ${table} ENABLE TRIGGER USER;`);
}

describe('the PostgreSQL audit trail', () => {
  it('reads the trail with each request’s requester and target, within a time range', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeEvents(pool);
    const rows = await readAuditTrail(pool, { since: T0 + 1 });
    expect(rows.map((row) => [row.seq, row.requestId, row.requesterId, row.targetId, row.action])).toEqual([
      [2, 'req_B', REQUESTER, target.id, 'requested'],
      [3, 'req_B', REQUESTER, target.id, 'cancelled'],
    ]);
    expect(typeof rows[0]?.detail).toBe('string');
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 3 });
  });

  it('chains in PostgreSQL exactly as the bot checks: text with quotes, control characters, emoji and a lone surrogate', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(pool);
    const opened = openRequest({
      id: 'req_A',
      requesterId: REQUESTER,
      target,
      reason: AWKWARD_TEXT,
      durationMinutes: 60,
      pendingTimeoutMinutes: 240,
      now: T0,
    });
    await requests.create(opened, T0);
    const cancelled = cancel(opened.request, REQUESTER, T0 + 10);
    if (!cancelled.ok) throw new Error('refused');
    await requests.apply(opened.request, cancelled, T0 + 10);
    await chainPending(pool);
    const [requested] = await readAuditTrail(pool);
    expect(JSON.parse(requested?.detail ?? '{}')).toMatchObject({ reason: AWKWARD_TEXT });
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 2 });
  });

  it('reads the events not chained yet after the chained rows, without seq or hash, and verifies them against their requests', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeEvents(pool);
    const requests = new PostgresRequestRepository(pool);
    await requests.create(open('req_C', T0 + 20), T0 + 20);

    const rows = await readAuditTrail(pool, { since: T0 + 1 });
    expect(rows.map((row) => [row.seq, row.requestId, row.targetId, row.action, row.hash === null])).toEqual([
      [2, 'req_B', target.id, 'requested', false],
      [3, 'req_B', target.id, 'cancelled', false],
      [null, 'req_C', target.id, 'requested', true],
    ]);
    expect(await verifyAuditChain(pool)).toEqual({
      ok: true,
      rows: 3,
      unchained: { count: 1, oldestAt: expect.any(Number), stuck: false },
    });
  });

  it('names a waiting event that was edited, and one that was deleted, by its request', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeWaitingEvents(pool);
    await tamper(pool, "UPDATE audit_pending SET actor = 'U0EVIL0001' WHERE action = 'cancelled'", 'audit_pending');
    await tamper(pool, "DELETE FROM audit_pending WHERE request_id = 'req_A'", 'audit_pending');
    const edited = (await pool.query<{ id: number }>("SELECT id FROM audit_pending WHERE action = 'cancelled'")).rows[0]?.id;
    expect(await verifyAuditChain(pool)).toMatchObject({
      ok: false,
      rows: 0,
      problems: [
        `event ${edited} not chained yet (request req_B, cancelled): its content does not match what was written (the row was edited)`,
        'request req_A: the event of its change to version 1 is missing (a row was deleted)',
      ],
    });

    // Chained as it stands, the edited event breaks the chain at its row.
    await chainPending(pool);
    expect(await verifyAuditChain(pool)).toMatchObject({
      ok: false,
      problems: [
        'row 2: its content does not match its hash (the row was edited)',
        'request req_A: the event of its change to version 1 is missing (a row was deleted)',
      ],
    });
  });

  it('says so when events have waited too long to be chained: no replica is chaining them', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeWaitingEvents(pool);
    await tamper(
      pool,
      'UPDATE audit_pending SET queued_at = queued_at - 120000 WHERE id = (SELECT MIN(id) FROM audit_pending)',
      'audit_pending',
    );
    const { oldest } = (await pool.query<{ oldest: number }>('SELECT MIN(queued_at) AS oldest FROM audit_pending')).rows[0] ?? {
      oldest: 0,
    };
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 0, unchained: { count: 3, oldestAt: oldest, stuck: true } });
  });

  it('keeps the events waiting when the chain head is gone, and says the head is gone', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeWaitingEvents(pool);
    await pool.query(
      'ALTER TABLE audit_chain_head DISABLE TRIGGER USER; DELETE FROM audit_chain_head; ALTER TABLE audit_chain_head ENABLE TRIGGER USER;',
    );

    await expect(chainPending(pool)).rejects.toThrow(/the audit chain head is missing/);
    expect((await pool.query('SELECT COUNT(*) AS n FROM audit_pending')).rows).toEqual([{ n: 3 }]);
    expect(await verifyAuditChain(pool)).toMatchObject({
      ok: false,
      problems: ['the chain head is gone (the record of the last row written was removed)'],
    });
  });

  it('finds an edited row', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeEvents(pool);
    await tamper(pool, "UPDATE audit_events SET actor = 'U0EVIL0001' WHERE seq = 2");
    expect(await verifyAuditChain(pool)).toEqual({
      ok: false,
      rows: 3,
      problems: ['row 2: its content does not match its hash (the row was edited)'],
    });
  });

  it('finds a deleted row, and a cut-off tail, and names the changes whose events they were', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    await threeEvents(pool);
    await tamper(pool, 'DELETE FROM audit_events WHERE seq = 1');
    await tamper(pool, 'DELETE FROM audit_events WHERE seq = 3');
    expect(await verifyAuditChain(pool)).toEqual({
      ok: false,
      rows: 1,
      problems: [
        'row 2: rows 1–1 are missing',
        'row 2: does not follow row none (a row before it was changed or removed)',
        'rows 3–3 were written and are gone (the end of the trail was cut off)',
        'request req_A: the event of its change to version 1 is missing (a row was deleted)',
        'request req_B: the event of its change to version 2 is missing (a row was deleted)',
      ],
    });
  });
});
