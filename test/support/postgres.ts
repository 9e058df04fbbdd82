// Each PostgreSQL test gets a database of its own on the server test/global-setup.ts started for the run.

import { onTestFinished } from 'vitest';
import { createDatabase, type TestDatabase } from '../../simulators/postgres-server.js';
import { openPool, type PoolOptions, type PostgresPool } from '../../src/adapters/postgres/database.js';
import { findPostgresMigrationsDirectory, migrate } from '../../src/adapters/postgres/migrations.js';
import { readMigrations } from '../../src/adapters/sql/migration-files.js';

export function testPostgresServerUrl(): string {
  const url = process.env.JIT_TEST_POSTGRES_URL;
  if (!url) throw new Error('JIT_TEST_POSTGRES_URL is not set: run the tests through vitest, whose global setup starts PostgreSQL');
  return url;
}

/** A new, empty database; `drop` removes it along with any session still open on it. */
export function freshPostgresDatabase(): Promise<TestDatabase> {
  return createDatabase(testPostgresServerUrl());
}

export interface DatabaseForTest {
  url: string;
  /** A pool of its own (a replica, say), closed when the test ends. */
  openPool(options?: PoolOptions): PostgresPool;
}

/** An empty database for the running test, dropped when it ends, with every pool opened through it closed first. */
export async function databaseForThisTest(): Promise<DatabaseForTest> {
  const database = await freshPostgresDatabase();
  const pools: PostgresPool[] = [];
  onTestFinished(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
  });
  return {
    url: database.url,
    openPool: (options) => {
      const pool = openPool(database.url, options);
      pools.push(pool);
      return pool;
    },
  };
}

/** A database for the running test with the project's PostgreSQL migrations applied, and a pool on it. */
export async function migratedDatabaseForThisTest(): Promise<DatabaseForTest & { pool: PostgresPool }> {
  const database = await databaseForThisTest();
  const pool = database.openPool();
  const result = await migrate(pool, readMigrations(findPostgresMigrationsDirectory()));
  if (!result.ok) throw new Error(result.error);
  return { ...database, pool };
}
