import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export const IN_MEMORY = ':memory:';

/** Opens (creating if needed) the SQLite file with the settings the store relies on. */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== IN_MEMORY) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run beside the writer; FULL syncs each commit, so a committed transition survives power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Another process (a second instance, the audit export) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  return db;
}
