// A PostgreSQL database that several replicas share: the storage the bot uses with JIT_DATABASE_URL.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AuditChainer } from '../adapters/postgres/audit-chainer.js';
import { aloneAmongReplicas, isReachable, openPool, type PostgresPool } from '../adapters/postgres/database.js';
import { type JobListener, listenForJobs } from '../adapters/postgres/job-notifications.js';
import { PostgresJobQueue, prepareClaim } from '../adapters/postgres/job-queue.js';
import { findPostgresMigrationsDirectory, migrate as migratePostgres } from '../adapters/postgres/migrations.js';
import { PostgresRequestRepository, prepareDecision } from '../adapters/postgres/request-repository.js';
import { PostgresSlackMessageStore } from '../adapters/postgres/slack-message-refs.js';
import { readMigrations } from '../adapters/sql/migration-files.js';
import type { PostgresConfig } from '../config-database.js';
import type { Logger } from '../logger.js';
import type { SharedTask, Storage } from './storage.js';

// Connections per replica (and one more for LISTEN): 32 job slots each run one query at a time, a sweep writes
// a batch in one statement (and decides up to 8 lost races again at once), a sweep or reconciliation in
// progress holds one for its lock, and the audit chainer runs one statement at a time.
const POOL_SIZE = 20;

// Advisory lock keys: any fixed numbers, as long as nothing else in the database takes the same ones (the
// migrations take 4_710_375_201).
const TASK_LOCKS: Record<SharedTask, number> = { reconcile: 4_710_375_202, sweep: 4_710_375_203 };

/** This process's name on the leases it holds: the host and pid say where to look, the random part tells restarts apart. */
function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * A decision's statements and the job claim, run once on every connection, in the background while the bot
 * connects to Slack. The first run of a statement on a connection parses and plans it and reads the tables'
 * descriptions into a new server process: 20–30 ms for a decision's write on a busy two-core machine, against
 * about 2 ms later. The first burst of Approve clicks after a start paid that on every connection at once, in
 * its acks: 25 decisions at once on 20 connections took 105–143 ms to the last, against 42–61 ms prepared.
 */
async function prepareHotStatements(pool: PostgresPool): Promise<void> {
  await Promise.all(
    Array.from({ length: POOL_SIZE }, async () => {
      // All at once, so that each takes a connection of its own.
      const client = await pool.connect();
      try {
        await prepareDecision(client);
        await prepareClaim(client);
        client.release();
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw error;
      }
    }),
  );
}

export async function openPostgres(database: PostgresConfig, log: Logger): Promise<Storage> {
  const { url, password } = database;
  const pool = openPool(url, {
    max: POOL_SIZE,
    ...(password !== undefined && { password }),
    onIdleError: (error) => log.warn({ err: error }, 'an idle database connection was lost'),
  });
  try {
    const migrated = await migratePostgres(pool, readMigrations(findPostgresMigrationsDirectory()));
    if (!migrated.ok) throw new Error(`database: ${migrated.error}`);
    if (migrated.applied.length > 0) log.info({ applied: migrated.applied.map((m) => m.file) }, 'database migrated');
    // Opened now, and kept (see openPool): the first burst of work finds them ready.
    await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.query('SELECT 1')));
  } catch (error) {
    // The connections kept open would keep the process alive after a failed start.
    await pool.end().catch(() => undefined);
    throw error;
  }
  const prepared = prepareHotStatements(pool).catch((error: unknown) =>
    log.warn({ err: error }, 'preparing the frequent statements failed; each is prepared at its first use'),
  );
  const replica = replicaName();
  log.info({ replica }, 'sharing PostgreSQL with any other replicas');
  // Links the audit events of this replica's changes onto the chain right after each, and whatever another
  // replica left waiting, from now on (audit-chainer.ts).
  const chainer = new AuditChainer(pool, {
    onError: (error) => log.error({ err: error }, 'chaining the audit events failed; trying again'),
  });
  chainer.start();
  let listener: JobListener | undefined;
  return {
    requests: new PostgresRequestRepository(pool, { onWritten: () => chainer.kick() }),
    jobs: new PostgresJobQueue(pool, replica),
    messages: new PostgresSlackMessageStore(pool),
    isWritable: () => isReachable(pool),
    watchOtherReplicas: async (wake) => {
      listener = await listenForJobs(url, wake, {
        ...(password !== undefined && { password }),
        onConnectionLost: (error) => log.warn({ err: error }, 'lost the wake-up connection; reconnecting (polling goes on)'),
      });
    },
    recoverLeases: async () => 0,
    alone: (task, work) => aloneAmongReplicas(pool, TASK_LOCKS[task], work),
    close: async () => {
      await prepared;
      await chainer.stop();
      await listener?.close();
      await pool.end();
    },
  };
}
