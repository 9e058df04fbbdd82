// The audit events and jobs stored for a request, read straight from the tables: what a test checks a store
// wrote beside the request. The bot never reads them back by request, so the stores offer no such read.

import type { PostgresPool } from '../../src/adapters/postgres/database.js';
import { type AuditRow, type JobRow, toAuditRecord, toStoredJob } from '../../src/adapters/sql/rows.js';
import type { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import type { AuditRecord, StoredJob } from '../../src/application/ports.js';

export function sqliteAuditTrail(db: SqliteDatabase, requestId: string): AuditRecord[] {
  const rows = db.prepare('SELECT * FROM audit_events WHERE request_id = ? ORDER BY seq').all(requestId) as AuditRow[];
  return rows.map(toAuditRecord);
}

export function sqliteJobs(db: SqliteDatabase, requestId: string): StoredJob[] {
  const rows = db.prepare('SELECT * FROM jobs WHERE request_id = ? ORDER BY id').all(requestId) as JobRow[];
  return rows.map((row) => toStoredJob(row));
}

/** An event of a request on PostgreSQL: chained, or still waiting for a chainer (see audit-chainer.ts). */
export type PostgresAuditEvent = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> & { chained: boolean };

/** The request's events in the order of its changes: the chained ones, then those waiting, read in one statement. */
export async function postgresAuditTrail(pool: PostgresPool, requestId: string): Promise<PostgresAuditEvent[]> {
  const result = await pool.query<AuditRow & { chained: boolean }>(
    `SELECT * FROM (
      SELECT true AS chained, seq AS place, at, request_id, actor, action, state_before, state_after, detail FROM audit_events WHERE request_id = $1
      UNION ALL
      SELECT false, id, at, request_id, actor, action, state_before, state_after, detail FROM audit_pending WHERE request_id = $1) events
    ORDER BY chained DESC, place`,
    [requestId],
  );
  return result.rows.map((row) => {
    const { seq: _seq, prevHash: _prev, hash: _hash, ...event } = toAuditRecord({ ...row, seq: 0, prev_hash: '', hash: '' });
    return { ...event, chained: row.chained };
  });
}
