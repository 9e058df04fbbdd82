// npm run audit -- [--since 2026-01-01] [--until 2026-02-01] [--format csv|jsonl] [--database file] [--verify]
// Prints the audit trail for auditors, or with --verify checks the hash chain and exits 1 if anything was
// edited or deleted. Reads the database named by --database, else JIT_DATABASE, else ./data/jit.sqlite.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readAuditTrail, verifyAuditChain } from '../adapters/sqlite/audit-trail.js';
import { openDatabase } from '../adapters/sqlite/database.js';
import { databaseFileFrom } from '../config.js';

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

function parseDate(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--${name} must be a date such as 2026-01-01 or 2026-01-01T12:00:00Z; got "${text}"`);
  return ms;
}

function main(argv: string[], env: NodeJS.ProcessEnv): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      database: { type: 'string' },
      verify: { type: 'boolean', default: false },
    },
  });
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new Error(`--format must be csv or jsonl; got "${values.format}"`);
  const file = values.database ?? databaseFileFrom(env);
  if (!existsSync(file)) throw new Error(`no database at ${file}; pass --database or set JIT_DATABASE`);
  const db = openDatabase(file);
  try {
    if (values.verify) {
      const check = verifyAuditChain(db);
      if (check.ok) {
        process.stdout.write(`audit trail intact: ${check.rows} rows, hash chain verified\n`);
        return 0;
      }
      process.stderr.write(`audit trail TAMPERED (${check.rows} rows):\n${check.problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
      return 1;
    }
    const rows = readAuditTrail(db, { since: parseDate('since', values.since), until: parseDate('until', values.until) });
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
    db.close();
  }
}

try {
  process.exitCode = main(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
