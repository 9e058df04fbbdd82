// Reading the PostgreSQL audit trail for auditors, and proving it intact. The chain head remembers the last
// row ever chained, and only moves forward, so a cut-off tail shows as a head beyond the last row. The events
// a chainer has not linked yet (audit_pending, see audit-chainer.ts) are part of the trail: they are read after
// the chained rows, and checked as far as an event without a hash can be (unchained-events.ts). Reading never
// chains them: an auditor's check needs no right to write, and a chainer that stopped should show, not be
// covered up by the check.

import { type AuditTrailRow, type ChainCheck, checkAuditChain, type StoredAuditRecord } from '../sql/audit-chain.js';
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';
import { type ChainedVersion, checkUnchainedEvents, type WaitingEvent } from './unchained-events.js';

export type AuditRange = { since?: number | undefined; until?: number | undefined };

// A replica's chainer links an event within milliseconds of its change, and every replica looks every few
// seconds (AuditChainer): an event waiting a minute means no replica is chaining.
const STUCK_AFTER_MS = 60_000;

const REQUEST_FIELDS = `r.requester_id AS "requesterId", r.target_id AS "targetId"`;
const EVENT_FIELDS = `at, request_id AS "requestId", actor, action, state_before AS "stateBefore", state_after AS "stateAfter", detail`;

const SELECT_CHAINED = `SELECT a.seq, ${prefixed('a', EVENT_FIELDS)}, ${REQUEST_FIELDS}, a.prev_hash AS "prevHash", a.hash
  FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
  WHERE a.at >= $1 AND a.at < $2 ORDER BY a.seq`;

const SELECT_UNCHAINED = `SELECT NULL AS seq, ${prefixed('p', EVENT_FIELDS)}, ${REQUEST_FIELDS}, NULL AS "prevHash", NULL AS hash
  FROM audit_pending p LEFT JOIN requests r ON r.id = p.request_id
  WHERE p.at >= $1 AND p.at < $2 ORDER BY p.id`;

function prefixed(table: string, fields: string): string {
  return fields
    .split(', ')
    .map((field) => `${table}.${field}`)
    .join(', ');
}

/** The trail in a time range: the chained rows in seq order, then the events not chained yet in id order. */
export async function readAuditTrail(pool: PostgresPool, range: AuditRange = {}): Promise<AuditTrailRow[]> {
  return inTransaction(
    pool,
    async (client) => {
      const bounds = [range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER];
      const chained = await client.query<AuditTrailRow>(SELECT_CHAINED, bounds);
      const unchained = await client.query<AuditTrailRow>(SELECT_UNCHAINED, bounds);
      return [...chained.rows, ...unchained.rows];
    },
    'snapshot',
  );
}

// Everything is read in one snapshot: read apart, an append landing between two reads would look like a tail
// that was cut off, and a batch a chainer moved between them like events gone or there twice.
export async function verifyAuditChain(pool: PostgresPool, options: { stuckAfterMs?: number } = {}): Promise<ChainCheck> {
  return inTransaction(
    pool,
    async (client) => {
      const rows = (await client.query<StoredAuditRecord & ChainedVersion>(SELECT_CHAINED_WITH_VERSIONS)).rows;
      const head = (await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head')).rows[0];
      const waiting = (await client.query<WaitingEvent>(SELECT_WAITING)).rows;
      const requests = (await client.query<{ id: string; version: number }>('SELECT id, version FROM requests')).rows;
      const now = await databaseNow(client);
      const chain = checkAuditChain(rows, head);
      const unchained = checkUnchainedEvents({
        chained: rows,
        waiting,
        requests,
        now,
        stuckAfterMs: options.stuckAfterMs ?? STUCK_AFTER_MS,
      });
      const problems = [
        ...(head ? [] : ['the chain head is gone (the record of the last row written was removed)']),
        ...(chain.ok ? [] : chain.problems),
        ...unchained.problems,
      ];
      const found = problems.length === 0 ? { ok: true as const, rows: rows.length } : { ok: false as const, rows: rows.length, problems };
      return unchained.unchained ? { ...found, unchained: unchained.unchained } : found;
    },
    'snapshot',
  );
}

const SELECT_CHAINED_WITH_VERSIONS = `SELECT seq, ${EVENT_FIELDS}, prev_hash AS "prevHash", hash, request_version AS "requestVersion"
  FROM audit_events ORDER BY seq`;

const SELECT_WAITING = `SELECT id, ${EVENT_FIELDS}, body, request_version AS "requestVersion", queued_at AS "queuedAt"
  FROM audit_pending ORDER BY id`;

async function databaseNow(client: PostgresClient): Promise<number> {
  const result = await client.query<{ now: number }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now');
  return result.rows[0]?.now ?? Date.now();
}
