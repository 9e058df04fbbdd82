// The bot's store on PostgreSQL signs in with the password JIT_DATABASE_PASSWORD_FILE holds, handed to the driver
// apart from the URL, so that no character of it (/ # @ % : end or break a URL) can go wrong: the pool and the
// connection that listens for other replicas' work both sign in with it.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { BotClient } from '../../src/adapters/postgres/database.js';
import { JOBS_CHANNEL } from '../../src/adapters/postgres/job-notifications.js';
import { openStorage } from '../../src/composition/storage.js';
import { readDatabase } from '../../src/config-database.js';
import { createLogger } from '../../src/logger.js';
import { testPostgresServerUrl } from '../support/postgres.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = `p/a#s@s%w:o'rd ${randomBytes(4).toString('hex')}`;

/** A role signing in with `password`, owning a database of its own; both removed by `drop`. */
async function roleWithDatabase(password: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `jit_pw_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresServerUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresServerUrl());
  url.username = name;
  url.password = '';
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleaner = new pg.Client({ connectionString: testPostgresServerUrl() });
      await cleaner.connect();
      try {
        await cleaner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await cleaner.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await cleaner.end();
      }
    },
  };
}

function configWithPasswordFile(url: string, content: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'jit-pw-')), 'postgres-password');
  writeFileSync(file, content, { mode: 0o600 });
  const problems: string[] = [];
  const database = readDatabase({ JIT_DATABASE_URL: url, JIT_DATABASE_PASSWORD_FILE: file }, problems);
  expect(problems).toEqual([]);
  return database;
}

describe('the store on PostgreSQL with JIT_DATABASE_PASSWORD_FILE', () => {
  it('signs in with a password holding / # @ % : from the file, for its pool and its listening connection', async () => {
    const role = await roleWithDatabase(PASSWORD);
    try {
      const storage = await openStorage(configWithPasswordFile(role.url, `${PASSWORD}\n`), createLogger('silent'));
      try {
        expect(await storage.isWritable()).toBe(true);
        let woken = 0;
        await storage.watchOtherReplicas(() => {
          woken += 1;
        });
        const notifier = new BotClient({ connectionString: role.url, password: PASSWORD });
        await notifier.connect();
        await notifier.query(`NOTIFY ${JOBS_CHANNEL}`);
        await notifier.end();
        await waitFor(() => woken > 0, 10_000, 'the listening connection to hear the notification');
      } finally {
        await storage.close();
      }
    } finally {
      await role.drop();
    }
  }, 30_000);

  it('is refused by PostgreSQL when the file holds another password', async () => {
    const role = await roleWithDatabase(PASSWORD);
    try {
      await expect(openStorage(configWithPasswordFile(role.url, 'not-the-password\n'), createLogger('silent'))).rejects.toThrow(
        'password authentication failed',
      );
    } finally {
      await role.drop();
    }
  }, 30_000);
});
