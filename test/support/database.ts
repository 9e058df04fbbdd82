import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMigrationsDirectory, readMigrations } from '../../src/adapters/sql/migration-files.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { migrate } from '../../src/adapters/sqlite/migrations.js';

export function tempDatabaseFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'jit-db-')), 'jit.sqlite');
}

/** A real SQLite file with the project's real migrations applied. */
export function openMigratedDatabase(file = tempDatabaseFile()): SqliteDatabase {
  const db = openDatabase(file);
  const result = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!result.ok) throw new Error(result.error);
  return db;
}
