// Reading the SQLite audit trail for auditors, and proving it intact. SQLite's AUTOINCREMENT counter
// remembers the highest seq ever written, so a cut-off tail shows as well as an edited or deleted row.

import { type AuditExportRow, type ChainCheck, checkAuditChain } from '../sql/audit-chain.js';
import type { SqliteDatabase } from './database.js';

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

export function verifyAuditChain(db: SqliteDatabase): ChainCheck {
  const counter = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").get() as { seq: number } | undefined;
  return checkAuditChain(readAuditTrail(db), counter);
}
