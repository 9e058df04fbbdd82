// npm run audit -- [--since 2026-01-01] [--until 2026-02-01] [--format csv|jsonl] [--database file] [--break-glass] [--verify]
// Prints the audit trail for auditors, or with --verify checks the hash chain and exits 1 if anything was
// edited or deleted. --break-glass keeps the break-glass requests only: each one's events, its review among them.
// Reads the SQLite file named by --database; else the PostgreSQL at JIT_DATABASE_URL (with the password in
// JIT_DATABASE_PASSWORD_FILE when it names one); else the SQLite file at JIT_DATABASE, else ./data/jit.sqlite.
// On PostgreSQL, the events a chainer has not linked onto the chain yet (a moment after their change) come
// last, without seq and hash; --verify checks them against their requests, and exits 1 if they have waited so
// long that no replica can be chaining.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readAuditTrail as readPostgresTrail, verifyAuditChain as verifyPostgresChain } from '../adapters/postgres/audit-trail.js';
import { openPool } from '../adapters/postgres/database.js';
import type { AuditTrailRow, ChainCheck, UnchainedEvents } from '../adapters/sql/audit-chain.js';
import { readAuditTrail, verifyAuditChain } from '../adapters/sqlite/audit-trail.js';
import { openDatabase } from '../adapters/sqlite/database.js';
import { databaseFileFrom, readDatabase } from '../config-database.js';

interface AuditSource {
  read(range: { since: number | undefined; until: number | undefined }): Promise<AuditTrailRow[]>;
  verify(): Promise<ChainCheck>;
  close(): Promise<void>;
}

function openSource(file: string | undefined, env: NodeJS.ProcessEnv): AuditSource {
  if (file === undefined && env.JIT_DATABASE_URL?.trim()) {
    const problems: string[] = [];
    const database = readDatabase(env, problems);
    if (problems.length > 0 || database.kind !== 'postgres') throw new Error(problems.join('\n'));
    const pool = openPool(database.url, { max: 1, ...(database.password !== undefined && { password: database.password }) });
    return { read: (range) => readPostgresTrail(pool, range), verify: () => verifyPostgresChain(pool), close: () => pool.end() };
  }
  const path = file ?? databaseFileFrom(env);
  if (!existsSync(path)) throw new Error(`no database at ${path}; pass --database, or set JIT_DATABASE or JIT_DATABASE_URL`);
  const db = openDatabase(path);
  return {
    read: async (range) => readAuditTrail(db, range),
    verify: async () => verifyAuditChain(db),
    close: async () => {
      db.close();
    },
  };
}

const CSV_COLUMNS = [
  'seq',
  'time',
  'request_id',
  'requester',
  'target',
  'actor',
  'action',
  'state_before',
  'state_after',
  'detail',
  'hash',
] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The events of break-glass requests: every `break_glass…` event (taken, alerted again, acknowledged), and the
 * other events of the requests those belong to (the grant, its end), in the trail's order.
 */
function breakGlassRows(rows: readonly AuditTrailRow[]): AuditTrailRow[] {
  const marked = new Set(rows.filter((row) => row.action.startsWith('break_glass')).map((row) => row.requestId));
  return rows.filter((row) => row.requestId !== null && marked.has(row.requestId));
}

function parseDate(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--${name} must be a date such as 2026-01-01 or 2026-01-01T12:00:00Z; got "${text}"`);
  return ms;
}

function report(check: ChainCheck): number {
  const waiting = check.unchained;
  if (!check.ok) {
    process.stderr.write(`audit trail TAMPERED (${check.rows} rows):\n${check.problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
    if (waiting?.stuck) process.stderr.write(`${stuck(waiting)}\n`);
    return 1;
  }
  if (waiting?.stuck) {
    process.stderr.write(`audit trail not whole yet: ${check.rows} rows, hash chain verified; ${stuck(waiting)}\n`);
    return 1;
  }
  const more = waiting
    ? `; ${waiting.count} more events not chained yet (stored since ${new Date(waiting.oldestAt).toISOString()}), checked against their requests`
    : '';
  process.stdout.write(`audit trail intact: ${check.rows} rows, hash chain verified${more}\n`);
  return 0;
}

function stuck(waiting: UnchainedEvents): string {
  return `${waiting.count} events have waited to be chained since ${new Date(waiting.oldestAt).toISOString()}: no replica is chaining them (is one running? its log says why a chainer fails)`;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      database: { type: 'string' },
      verify: { type: 'boolean', default: false },
      'break-glass': { type: 'boolean', default: false },
    },
  });
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new Error(`--format must be csv or jsonl; got "${values.format}"`);
  const source = openSource(values.database, env);
  try {
    if (values.verify) return report(await source.verify());
    const read = await source.read({ since: parseDate('since', values.since), until: parseDate('until', values.until) });
    const rows = values['break-glass'] ? breakGlassRows(read) : read;
    if (values.format === 'csv') process.stdout.write(`${CSV_COLUMNS.join(',')}\n`);
    for (const row of rows) {
      const time = new Date(row.at).toISOString();
      if (values.format === 'csv') {
        const fields = [
          row.seq,
          time,
          row.requestId,
          row.requesterId,
          row.targetId,
          row.actor,
          row.action,
          row.stateBefore,
          row.stateAfter,
          row.detail,
          row.hash,
        ];
        process.stdout.write(`${fields.map(csvField).join(',')}\n`);
      } else {
        const { at: _at, detail, prevHash: _prev, ...rest } = row;
        process.stdout.write(`${JSON.stringify({ ...rest, time, detail: JSON.parse(detail) as unknown })}\n`);
      }
    }
    return 0;
  } finally {
    await source.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
