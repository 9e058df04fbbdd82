// Where requests, jobs and the audit trail live: one SQLite file for one process (the default), or a PostgreSQL
// database that several replicas share. Both pass one contract suite; this file picks one from the config and
// loads only that one's driver (the PostgreSQL driver alone holds some 15 MB a SQLite bot never uses).

import type { SqliteDatabase } from '../adapters/sqlite/database.js';
import type { JobQueue, RequestRepository, SlackMessageStore } from '../application/ports.js';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../logger.js';

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
  /**
   * Runs `work` unless another replica is already running the same `task` (then resolves to undefined): work
   * that every replica schedules, such as reconciliation, is done by one of them at a time.
   */
  alone<T>(task: SharedTask, work: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
  /** The SQLite handle, for tests and tools; absent on PostgreSQL. */
  sqlite?: SqliteDatabase;
}

export type SharedTask = 'reconcile' | 'sweep';

export async function openStorage(config: DatabaseConfig, log: Logger): Promise<Storage> {
  if (config.kind === 'sqlite') return (await import('./sqlite-storage.js')).openSqlite(config.file, log);
  return (await import('./postgres-storage.js')).openPostgres(config, log);
}
