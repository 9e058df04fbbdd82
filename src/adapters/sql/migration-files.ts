// Forward-only migrations, read from one folder of NNNN_name.sql files: migrations/ for SQLite,
// migrations/postgres/ for PostgreSQL. Each store records what it applied with a checksum, so that an edited
// or unknown migration stops the bot instead of letting the schema drift.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  file: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** A migration as the database's schema_migrations table recorded it. */
export type RecordedMigration = Pick<Migration, 'version' | 'name' | 'checksum'>;

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

/** The `*.sql` files directly in `directory`, in order; a misnamed file or a gap in the numbers is an error. */
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

/** Why the database may not be migrated by this version, if it may not: it knows a migration we don't, or one was edited. */
export function migrationRefusal(recorded: readonly RecordedMigration[], migrations: readonly Migration[]): string | undefined {
  for (const done of recorded) {
    const known = migrations.find((migration) => migration.version === done.version);
    if (!known) {
      return `the database has migration ${done.version} (${done.name}), which this version does not know: it was written by a newer version`;
    }
    if (known.checksum !== done.checksum) {
      return `migration ${done.version} (${done.name}) was changed after it was applied; migrations are forward-only, add a new one instead`;
    }
  }
  return undefined;
}

export function pendingMigrations(recorded: readonly RecordedMigration[], migrations: readonly Migration[]): Migration[] {
  return migrations.filter((migration) => !recorded.some((done) => done.version === migration.version));
}
