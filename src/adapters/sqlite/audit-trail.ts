// Reading the audit trail for auditors, and proving it intact: every row's hash covers its content and the
// previous row's hash, and SQLite's AUTOINCREMENT counter remembers the highest seq ever written, so an edited
// row, a deleted row and a cut-off tail all show.

import { auditHash, GENESIS_HASH, type StoredAuditRecord } from './audit-chain.js';
import type { SqliteDatabase } from './database.js';

/** A stored audit row with the request's requester and target, for auditors. */
export type AuditExportRow = StoredAuditRecord & { requesterId: string | null; targetId: string | null };

export function readAuditTrail(
  db: SqliteDatabase,
  range: { since?: number | undefined; until?: number | undefined } = {},
): AuditExportRow[] {
  return db
    .prepare(
      `SELECT a.seq, a.at, a.request_id AS requestId, r.requester_id AS requesterId, r.target_id AS targetId, a.actor, a.action,
         a.state_before AS stateBefore, a.state_after AS stateAfter, a.detail, a.prev_hash AS prevHash, a.hash
       FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
       WHERE a.at >= ? AND a.at < ? ORDER BY a.seq`,
    )
    .all(range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER) as AuditExportRow[];
}

export type ChainCheck = { ok: true; rows: number } | { ok: false; rows: number; problems: string[] };

export function verifyAuditChain(db: SqliteDatabase): ChainCheck {
  const rows = readAuditTrail(db);
  const problems: string[] = [];
  let previous: AuditExportRow | undefined;
  for (const row of rows) {
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (row.seq !== expectedSeq) problems.push(`row ${row.seq}: rows ${expectedSeq}–${row.seq - 1} are missing`);
    if (row.prevHash !== expectedPrev)
      problems.push(`row ${row.seq}: does not follow row ${previous?.seq ?? 'none'} (a row before it was changed or removed)`);
    const recomputed = auditHash(row);
    if (recomputed !== row.hash) problems.push(`row ${row.seq}: its content does not match its hash (the row was edited)`);
    previous = row;
  }
  const counter = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").get() as { seq: number } | undefined;
  const last = previous?.seq ?? 0;
  if (counter && counter.seq > last)
    problems.push(`rows ${last + 1}–${counter.seq} were written and are gone (the end of the trail was cut off)`);
  return problems.length === 0 ? { ok: true, rows: rows.length } : { ok: false, rows: rows.length, problems };
}
