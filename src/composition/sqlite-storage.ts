// One SQLite file for one process: the storage the bot uses without JIT_DATABASE_URL.

import { findMigrationsDirectory, readMigrations } from '../adapters/sql/migration-files.js';
import { isWritable, openDatabase } from '../adapters/sqlite/database.js';
import { SqliteJobQueue } from '../adapters/sqlite/job-queue.js';
import { migrate } from '../adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../adapters/sqlite/request-repository.js';
import { SqliteSlackMessageStore } from '../adapters/sqlite/slack-message-refs.js';
import type { Logger } from '../logger.js';
import type { Storage } from './storage.js';

export function openSqlite(file: string, log: Logger): Storage {
  const db = openDatabase(file);
  const migrated = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!migrated.ok) {
    db.close();
    throw new Error(`database ${file}: ${migrated.error}`);
  }
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied.map((m) => m.file) }, 'database migrated');
  const jobs = new SqliteJobQueue(db);
  return {
    requests: new SqliteRequestRepository(db),
    jobs,
    messages: new SqliteSlackMessageStore(db),
    isWritable: async () => isWritable(db),
    watchOtherReplicas: async () => {},
    recoverLeases: async (now) => jobs.releaseLeases(now),
    alone: (_task, work) => work(),
    close: async () => {
      db.close();
    },
    sqlite: db,
  };
}
