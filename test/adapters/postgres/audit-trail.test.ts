import { describe, expect, it } from 'vitest';
import { readAuditTrail, verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import { cancel, openRequest, timeOut } from '../../../src/domain/access-request.js';
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

async function threeEvents(pool: PostgresPool): Promise<void> {
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
async function tamper(pool: PostgresPool, statement: string): Promise<void> {
  await pool.query(`ALTER TABLE audit_events DISABLE TRIGGER USER; ${statement}; ALTER TABLE audit_events ENABLE TRIGGER USER;`);
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
    const [requested] = await readAuditTrail(pool);
    expect(JSON.parse(requested?.detail ?? '{}')).toMatchObject({ reason: AWKWARD_TEXT });
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 2 });
  });

  it('writes nothing of a change it cannot chain: a missing chain head fails the write', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(pool);
    const first = open('req_A');
    await requests.create(first, T0);
    const jobsBefore = (await pool.query('SELECT COUNT(*) AS n FROM jobs')).rows;
    await pool.query(
      'ALTER TABLE audit_chain_head DISABLE TRIGGER USER; DELETE FROM audit_chain_head; ALTER TABLE audit_chain_head ENABLE TRIGGER USER;',
    );

    await expect(requests.create(open('req_B'), T0)).rejects.toThrow();
    expect(await requests.find('req_B')).toBeUndefined();
    const due = T0 + 240 * 60_000;
    const timedOut = timeOut(first.request, due);
    if (!timedOut.ok) throw new Error('refused');
    await expect(requests.applyAll([{ previous: first.request, change: timedOut }], due)).rejects.toThrow();
    expect((await requests.find('req_A'))?.state).toBe('pending');
    expect((await pool.query('SELECT COUNT(*) AS n FROM jobs')).rows).toEqual(jobsBefore);
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

  it('finds a deleted row, and a cut-off tail', async () => {
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
      ],
    });
  });
});
