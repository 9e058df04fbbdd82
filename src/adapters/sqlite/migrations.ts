// SQLite's migrations (migrations/*.sql): applied in order at start, each in its own transaction.

import { type Migration, type MigrationRun, migrationRefusal, pendingMigrations, type RecordedMigration } from '../sql/migration-files.js';
import type { SqliteDatabase } from './database.js';

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): MigrationRun {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const recorded = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as RecordedMigration[];
  const refusal = migrationRefusal(recorded, migrations);
  if (refusal) return { ok: false, error: refusal };

  const pending = pendingMigrations(recorded, migrations);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, migration.checksum, Date.now());
    })();
  }
  return { ok: true, applied: pending };
}
