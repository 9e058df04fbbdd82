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

export async function postgresAuditTrail(pool: PostgresPool, requestId: string): Promise<AuditRecord[]> {
  const result = await pool.query<AuditRow>('SELECT * FROM audit_events WHERE request_id = $1 ORDER BY seq', [requestId]);
  return result.rows.map(toAuditRecord);
}
