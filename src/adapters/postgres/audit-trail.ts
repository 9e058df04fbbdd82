// Reading the PostgreSQL audit trail for auditors, and proving it intact. The chain head remembers the last
// row ever appended, and only moves forward, so a cut-off tail shows as a head beyond the last row.

import { type AuditExportRow, type ChainCheck, checkAuditChain } from '../sql/audit-chain.js';
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';

export type AuditRange = { since?: number | undefined; until?: number | undefined };

const SELECT_TRAIL = `SELECT a.seq, a.at, a.request_id AS "requestId", r.requester_id AS "requesterId", r.target_id AS "targetId",
    a.actor, a.action, a.state_before AS "stateBefore", a.state_after AS "stateAfter", a.detail, a.prev_hash AS "prevHash", a.hash
  FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
  WHERE a.at >= $1 AND a.at < $2 ORDER BY a.seq`;

export async function readAuditTrail(pool: PostgresPool, range: AuditRange = {}): Promise<AuditExportRow[]> {
  return inTransaction(pool, (client) => readRows(client, range), 'snapshot');
}

// The rows and the head are read in one snapshot: read apart, an append landing between the two reads would
// look like a tail that was cut off.
export async function verifyAuditChain(pool: PostgresPool): Promise<ChainCheck> {
  return inTransaction(
    pool,
    async (client) => {
      const rows = await readRows(client, {});
      const head = (await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head')).rows[0];
      return checkAuditChain(rows, head);
    },
    'snapshot',
  );
}

async function readRows(client: PostgresClient, range: AuditRange): Promise<AuditExportRow[]> {
  const result = await client.query<AuditExportRow>(SELECT_TRAIL, [range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER]);
  return result.rows;
}
