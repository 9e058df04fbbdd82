// Each audit row's hash covers its own content and the previous row's hash, so editing or deleting any row
// breaks the chain from that row on.

import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: number;
  at: number;
  requestId: string | null;
  actor: string;
  action: string;
  stateBefore: string | null;
  stateAfter: string | null;
  /** The detail exactly as stored (JSON text). */
  detail: string;
  prevHash: string;
}

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
