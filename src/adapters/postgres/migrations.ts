// PostgreSQL's migrations (migrations/postgres/*.sql). Several replicas may start at once: each migration is
// applied in its own transaction under a transaction-scoped advisory lock, and the recorded list is read again
// under that lock, so a migration one replica applied is seen, not applied twice, by the next.

import { join } from 'node:path';
import {
  findMigrationsDirectory,
  type Migration,
  type MigrationRun,
  migrationRefusal,
  pendingMigrations,
  type RecordedMigration,
} from '../sql/migration-files.js';
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';

// Any fixed number works, as long as nothing else in the database takes the same advisory lock.
const MIGRATION_LOCK = 4_710_375_201;

export function findPostgresMigrationsDirectory(): string {
  return join(findMigrationsDirectory(), 'postgres');
}

type Step = { kind: 'refused'; error: string } | { kind: 'applied'; migration: Migration } | { kind: 'done' };

export async function migrate(pool: PostgresPool, migrations: readonly Migration[]): Promise<MigrationRun> {
  const applied: Migration[] = [];
  for (;;) {
    const step = await inTransaction(pool, (client) => applyNext(client, migrations));
    if (step.kind === 'refused') return { ok: false, error: step.error };
    if (step.kind === 'done') return { ok: true, applied };
    applied.push(step.migration);
  }
}

async function applyNext(client: PostgresClient, migrations: readonly Migration[]): Promise<Step> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const recorded = await client.query<RecordedMigration>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const refusal = migrationRefusal(recorded.rows, migrations);
  if (refusal) return { kind: 'refused', error: refusal };
  const [next] = pendingMigrations(recorded.rows, migrations);
  if (!next) return { kind: 'done' };
  await client.query(next.sql);
  await client.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
    next.version,
    next.name,
    next.checksum,
    Date.now(),
  ]);
  return { kind: 'applied', migration: next };
}
