import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { inTransaction, isReachable, openPool } from '../../../src/adapters/postgres/database.js';
import { PostgresJobQueue, prepareClaim } from '../../../src/adapters/postgres/job-queue.js';
import { PostgresRequestRepository, prepareDecision } from '../../../src/adapters/postgres/request-repository.js';
import { openRequest } from '../../../src/domain/access-request.js';
import { makeTarget, opening, REQUESTER, T0 } from '../../support/fixtures.js';
import { databaseForThisTest, migratedDatabaseForThisTest } from '../../support/postgres.js';
import { waitFor } from '../../support/wait-for.js';

/** A loopback TCP relay to `target` that counts the connections open through it. */
async function countingRelay(target: URL): Promise<{ port: number; open(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      upstream.destroy();
    });
    upstream.once('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the PostgreSQL pool', () => {
  it('reads BIGINT columns as numbers', async () => {
    const { openPool: open } = await databaseForThisTest();
    const result = await open().query<{ at: number; n: number }>('SELECT 1790000000000::bigint AS at, COUNT(*) AS n FROM pg_class');
    expect(typeof result.rows[0]?.at).toBe('number');
    expect(result.rows[0]?.at).toBe(1_790_000_000_000);
    expect(typeof result.rows[0]?.n).toBe('number');
  });

  it('keeps nothing of a transaction whose work throws, and hands the connection back', async () => {
    const database = await databaseForThisTest();
    const pool = database.openPool({ max: 1 });
    await pool.query('CREATE TABLE t (x INTEGER)');
    await expect(
      inTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES (1)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // With one connection in the pool, this would wait forever had the transaction kept it.
    expect((await pool.query('SELECT COUNT(*) AS n FROM t')).rows).toEqual([{ n: 0 }]);
  });

  it('fails a transaction whose connection the server ends, without crashing, and discards that connection', async () => {
    const database = await databaseForThisTest();
    const pool = database.openPool({ max: 1 });
    const admin = database.openPool();
    await expect(
      inTransaction(pool, async (client) => {
        const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await client.query('SELECT 1');
      }),
    ).rejects.toThrow();
    // The pool's one connection was discarded, not handed out again broken.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('closes a connection attempt it gave up on itself, rather than leave it to the server to time out', async () => {
    // Without a password pg cannot answer the server's SCRAM challenge (which came through the relay) and stops
    // there; PostgreSQL would drop the half-open session only after its authentication_timeout (60 s by default).
    const database = await databaseForThisTest();
    const relay = await countingRelay(new URL(database.url));
    try {
      const url = new URL(database.url);
      url.port = String(relay.port);
      url.password = '';
      const passwordless = openPool(url.toString());
      await expect(passwordless.query('SELECT 1')).rejects.toThrow('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
      await waitFor(() => relay.open() === 0, 10_000, 'the refused connection to be closed');
      await passwordless.end();
    } finally {
      await relay.close();
    }
  });

  it('tells /healthz whether the database answers', async () => {
    const database = await databaseForThisTest();
    expect(await isReachable(database.openPool())).toBe(true);
    const nowhere = openPool('postgres://jit:wrong@127.0.0.1:1/nothing');
    try {
      expect(await isReachable(nowhere, 2000)).toBe(false);
    } finally {
      await nowhere.end();
    }
  });
});

describe('prepared statements during a rolling upgrade', () => {
  it('keep working on a replica of the older version after a newer one adds columns to the rows they return', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(pool);
    const jobs = new PostgresJobQueue(pool, 'older-replica');
    const open = (id: string) =>
      openRequest({
        id,
        requesterId: REQUESTER,
        target: makeTarget(),
        reason: 'INC-42',
        durationMinutes: 60,
        pendingTimeoutMinutes: 240,
        now: T0,
      });
    await requests.create(open('req_A'), T0);
    // Every statement below is now prepared on the pool's one connection.
    expect((await requests.find('req_A'))?.id).toBe('req_A');
    expect(await jobs.claimDue(T0, 1, 8000)).toHaveLength(1);

    await pool.query('ALTER TABLE requests ADD COLUMN added_by_a_newer_version TEXT');
    await pool.query('ALTER TABLE jobs ADD COLUMN added_by_a_newer_version TEXT');
    await pool.query('ALTER TABLE grants ADD COLUMN added_by_a_newer_version TEXT');

    await requests.create(open('req_B'), T0);
    expect((await requests.find('req_B'))?.id).toBe('req_B');
    expect((await jobs.claimDue(T0, 1, 8000)).map((job) => job.requestId)).toEqual(['req_B']);
  });
});

describe('preparing the frequent statements', () => {
  it('prepares a decision’s statements and the job claim on a connection, changing nothing', async () => {
    const database = await migratedDatabaseForThisTest();
    const { pool } = database;
    await new PostgresRequestRepository(pool).create(opening('req_A'), T0);
    const tables = ['requests', 'decisions', 'grants', 'jobs', 'audit_pending', 'audit_events'];
    const counts = () => pool.query(`SELECT ${tables.map((table) => `(SELECT COUNT(*) FROM ${table}) AS ${table}`).join(', ')}`);
    const before = (await counts()).rows;
    const client = await database.openPool({ max: 1 }).connect();
    try {
      await prepareDecision(client);
      await prepareClaim(client);
      const { rows } = await client.query<{ n: number }>("SELECT COUNT(*) AS n FROM pg_prepared_statements WHERE name LIKE 'jit_%'");
      expect(rows).toEqual([{ n: 5 }]);
    } finally {
      client.release();
    }
    expect((await counts()).rows).toEqual(before);
    expect(await new PostgresJobQueue(pool, 'replica-a').claimDue(T0, 10, 1000)).toHaveLength(1);
  });
});
