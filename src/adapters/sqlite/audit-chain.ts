// Each audit row's hash covers its own content and the previous row's hash, so editing or deleting any row
// breaks the chain from that row on.

import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../application/ports.js';

export const GENESIS_HASH = '0'.repeat(64);

/** An audit record as the table holds it: the detail is the JSON text exactly as stored, since that text is what gets hashed. */
export type StoredAuditRecord = Omit<AuditRecord, 'detail'> & { detail: string };

/** A row's hash covers everything stored in it except the hash itself. */
export type ChainedFields = Omit<StoredAuditRecord, 'hash'>;

export function auditHash(fields: ChainedFields): string {
  const content = [
    fields.seq,
    fields.at,
    fields.requestId,
    fields.actor,
    fields.action,
    fields.stateBefore,
    fields.stateAfter,
    fields.detail,
    fields.prevHash,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}
