// Each PostgreSQL test gets a database of its own on the server test/global-setup.ts started for the run.

import { createDatabase, type TestDatabase } from '../../simulators/postgres-server.js';

export function testPostgresServerUrl(): string {
  const url = process.env.JIT_TEST_POSTGRES_URL;
  if (!url) throw new Error('JIT_TEST_POSTGRES_URL is not set: run the tests through vitest, whose global setup starts PostgreSQL');
  return url;
}

/** A new, empty database; `drop` removes it along with any session still open on it. */
export function freshPostgresDatabase(): Promise<TestDatabase> {
  return createDatabase(testPostgresServerUrl());
}
