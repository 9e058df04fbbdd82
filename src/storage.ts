// Where requests, jobs and the audit trail live: one SQLite file for one process (the default), or a PostgreSQL
// database that several replicas share. Both pass one contract suite; this file picks one from the config.

import { findMigrationsDirectory, readMigrations } from './adapters/sql/migration-files.js';
import { isWritable, openDatabase, type SqliteDatabase } from './adapters/sqlite/database.js';
import { SqliteJobQueue } from './adapters/sqlite/job-queue.js';
import { migrate } from './adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from './adapters/sqlite/request-repository.js';
import { SqliteSlackMessageStore } from './adapters/sqlite/slack-message-refs.js';
import type { JobQueue, RequestRepository, SlackMessageStore } from './application/ports.js';
import type { DatabaseConfig } from './config.js';
import type { Logger } from './logger.js';

export interface Storage {
  requests: RequestRepository;
  jobs: JobQueue;
  messages: SlackMessageStore;
  /** For /healthz. */
  isWritable(): Promise<boolean>;
  /** Calls `wake` when another replica stored work; with one process there is no other writer. */
  watchOtherReplicas(wake: () => void): Promise<void>;
  /**
   * At start, hands back the jobs left leased by a process that is gone. With one SQLite process, every lease
   * found belongs to the dead; with several replicas a lease may be a live one's, and dead ones simply run out.
   */
  recoverLeases(now: number): Promise<number>;
  close(): Promise<void>;
  /** The SQLite handle, for tests and tools; absent on PostgreSQL. */
  sqlite?: SqliteDatabase;
}

export async function openStorage(config: DatabaseConfig, log: Logger): Promise<Storage> {
  if (config.kind === 'sqlite') return openSqlite(config.file, log);
  throw new Error('PostgreSQL storage is not built yet');
}

function openSqlite(file: string, log: Logger): Storage {
  const db = openDatabase(file);
  const migrated = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!migrated.ok) throw new Error(`database ${file}: ${migrated.error}`);
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied.map((m) => m.file) }, 'database migrated');
  const jobs = new SqliteJobQueue(db);
  return {
    requests: new SqliteRequestRepository(db),
    jobs,
    messages: new SqliteSlackMessageStore(db),
    isWritable: async () => isWritable(db),
    watchOtherReplicas: async () => {},
    recoverLeases: async (now) => jobs.releaseLeases(now),
    close: async () => {
      db.close();
    },
    sqlite: db,
  };
}
