import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export const IN_MEMORY = ':memory:';

/** Opens (creating if needed) the SQLite file with the settings the store relies on. */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== IN_MEMORY) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run beside the writer. NORMAL syncs at checkpoints, not at every commit: a committed
  // transition survives any crash of the process (kill -9 included); a power cut may lose the last few
  // commits, and the design absorbs that — a lost transition never happened as a whole (with its audit event
  // and jobs), and every effect is idempotent and reconciled with Graph at start. FULL would put a disk
  // flush on every click and every job, which held revocations and approvals back under load
  // (measured: BENCHMARKS.md, What changed because of these measurements).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Another process (a second instance, the audit export) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Whether the file takes writes, for /healthz: taking the write lock and letting go proves it without changing
 * anything. It never waits: a lock another process holds right now means the file is there and writable, and
 * waiting for it would stall the event loop (better-sqlite3 is synchronous).
 */
export function isWritable(db: SqliteDatabase): boolean {
  const waited = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE; ROLLBACK;');
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'SQLITE_BUSY';
  } finally {
    db.pragma(`busy_timeout = ${waited}`);
  }
}
