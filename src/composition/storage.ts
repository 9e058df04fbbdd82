// Where requests, jobs and the audit trail live: one SQLite file for one process (the default), or a PostgreSQL
// database that several replicas share. Both pass one contract suite; this file picks one from the config.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { aloneAmongReplicas, isReachable, openPool } from '../adapters/postgres/database.js';
import { type JobListener, listenForJobs } from '../adapters/postgres/job-notifications.js';
import { PostgresJobQueue } from '../adapters/postgres/job-queue.js';
import { findPostgresMigrationsDirectory, migrate as migratePostgres } from '../adapters/postgres/migrations.js';
import { PostgresRequestRepository } from '../adapters/postgres/request-repository.js';
import { PostgresSlackMessageStore } from '../adapters/postgres/slack-message-refs.js';
import { findMigrationsDirectory, readMigrations } from '../adapters/sql/migration-files.js';
import { isWritable, openDatabase, type SqliteDatabase } from '../adapters/sqlite/database.js';
import { SqliteJobQueue } from '../adapters/sqlite/job-queue.js';
import { migrate } from '../adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../adapters/sqlite/request-repository.js';
import { SqliteSlackMessageStore } from '../adapters/sqlite/slack-message-refs.js';
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

// Connections per replica (and one more for LISTEN): 32 job slots each run one query at a time, a sweep writes
// a batch in one statement (and decides up to 8 lost races again at once), and a sweep or reconciliation in
// progress holds one for its lock.
const POOL_SIZE = 20;

// Advisory lock keys: any fixed numbers, as long as nothing else in the database takes the same ones (the
// migrations take 4_710_375_201).
const TASK_LOCKS: Record<SharedTask, number> = { reconcile: 4_710_375_202, sweep: 4_710_375_203 };

export async function openStorage(config: DatabaseConfig, log: Logger): Promise<Storage> {
  return config.kind === 'sqlite' ? openSqlite(config.file, log) : openPostgres(config.url, log);
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
    alone: (_task, work) => work(),
    close: async () => {
      db.close();
    },
    sqlite: db,
  };
}

/** This process's name on the leases it holds: the host and pid say where to look, the random part tells restarts apart. */
function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

async function openPostgres(url: string, log: Logger): Promise<Storage> {
  const pool = openPool(url, {
    max: POOL_SIZE,
    onIdleError: (error) => log.warn({ err: error }, 'an idle database connection was lost'),
  });
  const migrated = await migratePostgres(pool, readMigrations(findPostgresMigrationsDirectory()));
  if (!migrated.ok) {
    await pool.end();
    throw new Error(`database: ${migrated.error}`);
  }
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied.map((m) => m.file) }, 'database migrated');
  // Opened now, and kept (see openPool): the first burst of work finds them ready.
  await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.query('SELECT 1')));
  const replica = replicaName();
  log.info({ replica }, 'sharing PostgreSQL with any other replicas');
  let listener: JobListener | undefined;
  return {
    requests: new PostgresRequestRepository(pool),
    jobs: new PostgresJobQueue(pool, replica),
    messages: new PostgresSlackMessageStore(pool),
    isWritable: () => isReachable(pool),
    watchOtherReplicas: async (wake) => {
      listener = await listenForJobs(url, wake, {
        onConnectionLost: (error) => log.warn({ err: error }, 'lost the wake-up connection; reconnecting (polling goes on)'),
      });
    },
    recoverLeases: async () => 0,
    alone: (task, work) => aloneAmongReplicas(pool, TASK_LOCKS[task], work),
    close: async () => {
      await listener?.close();
      await pool.end();
    },
  };
}
