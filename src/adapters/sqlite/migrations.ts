// Forward-only migrations: migrations/NNNN_name.sql, applied in order at start, each in its own transaction,
// and recorded with a checksum so that an edited or missing migration stops the bot instead of drifting.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDatabase } from './database.js';

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  file: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export type MigrationRun = { ok: true; applied: Migration[] } | { ok: false; error: string };

/** The project's `migrations/` folder, found from this file whether it runs from `src/` or from `dist/src/`. */
export function findMigrationsDirectory(from = dirname(fileURLToPath(import.meta.url))): string {
  let directory = from;
  while (!existsSync(join(directory, 'migrations')) || !existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no migrations/ folder above ${from}`);
    directory = parent;
  }
  return join(directory, 'migrations');
}

export function readMigrations(directory: string): Migration[] {
  const migrations = readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => {
      const match = FILE_NAME.exec(name);
      if (!match) throw new Error(`migration ${name} is not named NNNN_name.sql`);
      const sql = readFileSync(join(directory, name), 'utf8');
      return { file: name, version: Number(match[1]), name: match[2] ?? '', sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new Error(`migrations must be numbered 0001, 0002, … without gaps; found ${migration.version} at position ${index + 1}`);
  });
  return migrations;
}

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): MigrationRun {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const recorded = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as Pick<
    Migration,
    'version' | 'name' | 'checksum'
  >[];

  for (const done of recorded) {
    const known = migrations.find((migration) => migration.version === done.version);
    if (!known) {
      return {
        ok: false,
        error: `the database has migration ${done.version} (${done.name}), which this version does not know: it was written by a newer version`,
      };
    }
    if (known.checksum !== done.checksum) {
      return {
        ok: false,
        error: `migration ${done.version} (${done.name}) was changed after it was applied; migrations are forward-only, add a new one instead`,
      };
    }
  }

  const pending = migrations.filter((migration) => !recorded.some((done) => done.version === migration.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, migration.checksum, Date.now());
    })();
  }
  return { ok: true, applied: pending };
}
