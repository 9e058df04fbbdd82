// Each audit row's hash covers its own content and the previous row's hash, so editing or deleting any row
// breaks the chain from that row on. Both stores write and check the chain the same way; each also remembers
// the last row it ever wrote (SQLite's AUTOINCREMENT counter, PostgreSQL's chain head), so that a cut-off tail
// shows too.

import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../application/ports.js';

export const GENESIS_HASH = '0'.repeat(64);

/** An audit record as the table holds it: the detail is the JSON text exactly as stored, since that text is what gets hashed. */
export type StoredAuditRecord = Omit<AuditRecord, 'detail'> & { detail: string };

/** A row's hash covers everything stored in it except the hash itself. */
export type ChainedFields = Omit<StoredAuditRecord, 'hash'>;

/** A stored audit row with the request's requester and target, for auditors. */
export type AuditExportRow = StoredAuditRecord & { requesterId: string | null; targetId: string | null };

/**
 * An event stored with its change and not linked onto the chain yet (PostgreSQL, see audit-chainer.ts): it
 * has no seq and no hashes until then.
 */
export type UnchainedExportRow = Omit<AuditExportRow, 'seq' | 'prevHash' | 'hash'> & { seq: null; prevHash: null; hash: null };

/** The trail as auditors read it: the chained rows, then any events not chained yet. */
export type AuditTrailRow = AuditExportRow | UnchainedExportRow;

/** The events not chained yet when the trail was checked, each checked against what its change wrote. */
export interface UnchainedEvents {
  count: number;
  /** When the oldest of them was stored, by the database's clock. */
  oldestAt: number;
  /** Whether the oldest has waited far longer than a chainer takes: no replica is chaining. */
  stuck: boolean;
}

export type ChainCheck = ({ ok: true; rows: number } | { ok: false; rows: number; problems: string[] }) & { unchained?: UnchainedEvents };

/** The last row the store remembers writing; its hash, where the store keeps that too. */
export interface ChainEnd {
  seq: number;
  hash?: string;
}

export function auditHash(fields: ChainedFields): string {
  return createHash('sha256')
    .update(chainedText(fields.seq, auditBody(fields), fields.prevHash))
    .digest('hex');
}

/**
 * What a row's hash covers besides its seq and the previous hash, which only the chain head's lock settles:
 * PostgreSQL chains a row in the statement that takes that lock, from this text (see `chainedText`).
 */
export function auditBody(fields: Omit<ChainedFields, 'seq' | 'prevHash'>): string {
  const content = [fields.at, fields.requestId, fields.actor, fields.action, fields.stateBefore, fields.stateAfter, fields.detail];
  return JSON.stringify(content).slice(1, -1);
}

/**
 * The hashed text: the JSON array of seq, the body's fields and the previous hash. Built in SQL as
 * `'[' || seq || ',' || body || ',"' || prev_hash || '"]'`, which is the same text: a seq is an integer and
 * a hash is hex, so neither needs escaping.
 */
function chainedText(seq: number, body: string, prevHash: string): string {
  return `[${seq},${body},${JSON.stringify(prevHash)}]`;
}

/** Checks every row in `rows` (the whole trail, in seq order) against the one before it and against `end`. */
export function checkAuditChain(rows: readonly StoredAuditRecord[], end: ChainEnd | undefined): ChainCheck {
  const problems: string[] = [];
  let previous: StoredAuditRecord | undefined;
  for (const row of rows) {
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (row.seq !== expectedSeq) problems.push(`row ${row.seq}: rows ${expectedSeq}–${row.seq - 1} are missing`);
    if (row.prevHash !== expectedPrev)
      problems.push(`row ${row.seq}: does not follow row ${previous?.seq ?? 'none'} (a row before it was changed or removed)`);
    if (auditHash(row) !== row.hash) problems.push(`row ${row.seq}: its content does not match its hash (the row was edited)`);
    previous = row;
  }
  const last = previous?.seq ?? 0;
  if (end && end.seq > last) problems.push(`rows ${last + 1}–${end.seq} were written and are gone (the end of the trail was cut off)`);
  if (end?.hash !== undefined && previous && end.seq === last && end.hash !== previous.hash)
    problems.push(`row ${last}: is not the last row that was written (it was replaced)`);
  return problems.length === 0 ? { ok: true, rows: rows.length } : { ok: false, rows: rows.length, problems };
}
