// The storage is chosen by the configuration, and only the chosen driver is loaded: the PostgreSQL driver alone
// holds some 15 MB of a process that uses SQLite. Checked in a process of its own, whose module cache no other
// test has filled.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testPostgresServerUrl } from '../support/postgres.js';

const run = promisify(execFile);

/** The drivers (pg, better-sqlite3) a fresh process has loaded once it opened the storage `database` names. */
async function driversLoadedFor(database: Record<string, string>): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    const { openStorage } = await import('./src/composition/storage.ts');
    const { createLogger } = await import('./src/logger.ts');
    const storage = await openStorage(${JSON.stringify(database)}, createLogger('silent'));
    await storage.close();
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const drivers = ['pg', 'better-sqlite3'].filter((name) => cache.some((path) => path.includes('/node_modules/' + name + '/')));
    console.log(JSON.stringify(drivers));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(__dirname, '../..'),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe('the storage the configuration names', () => {
  it('loads only the SQLite driver for a SQLite file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jit-storage-')), 'jit.sqlite');
    expect(await driversLoadedFor({ kind: 'sqlite', file })).toEqual(['better-sqlite3']);
  }, 60_000);

  it('loads only the PostgreSQL driver for a database URL', async () => {
    const url = testPostgresServerUrl();
    expect(await driversLoadedFor({ kind: 'postgres', url })).toEqual(['pg']);
  }, 60_000);
});
