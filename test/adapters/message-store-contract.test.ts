// One contract for where the bot keeps the Slack messages of each request, held by the SQLite and PostgreSQL
// stores and the fake the notifier's tests use.

import { describe, expect, it } from 'vitest';
import { PostgresRequestRepository } from '../../src/adapters/postgres/request-repository.js';
import { PostgresSlackMessageStore } from '../../src/adapters/postgres/slack-message-refs.js';
import { SqliteRequestRepository } from '../../src/adapters/sqlite/request-repository.js';
import { SqliteSlackMessageStore } from '../../src/adapters/sqlite/slack-message-refs.js';
import type { SlackMessageStore } from '../../src/application/ports.js';
import { openMigratedDatabase } from '../support/database.js';
import { FakeMessageStore } from '../support/fake-message-store.js';
import { opening, T0 } from '../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../support/postgres.js';

/** A store in which requests req_A and req_B exist (the stores' messages belong to a request). */
const stores: [string, () => Promise<SlackMessageStore>][] = [
  ['the in-memory fake', async () => new FakeMessageStore()],
  [
    'SQLite',
    async () => {
      const db = openMigratedDatabase();
      const requests = new SqliteRequestRepository(db);
      for (const id of ['req_A', 'req_B']) await requests.create(opening(id), T0);
      return new SqliteSlackMessageStore(db);
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const { pool } = await migratedDatabaseForThisTest();
      const requests = new PostgresRequestRepository(pool);
      for (const id of ['req_A', 'req_B']) await requests.create(opening(id), T0);
      return new PostgresSlackMessageStore(pool);
    },
  ],
];

describe.each(stores)('the Slack message store contract: %s', (_name, makeStore) => {
  it('finds every message kept for a request, by kind, the latest of each kind winning, and none of another request', async () => {
    const messages = await makeStore();
    expect(await messages.findAll('req_A')).toEqual(new Map());

    await messages.save('req_A', 'card', { channel: 'C0APPROVALS', ts: '1790000000.000100' }, T0);
    await messages.save('req_A', 'card', { channel: 'C0APPROVALS', ts: '1790000000.000200' }, T0 + 1);
    await messages.save('req_A', 'thread:approved', { channel: 'C0APPROVALS', ts: '1790000000.000300' }, T0 + 2);
    await messages.save('req_B', 'card', { channel: 'C0OTHER', ts: '1790000000.000400' }, T0 + 3);

    expect(await messages.findAll('req_A')).toEqual(
      new Map([
        ['card', { channel: 'C0APPROVALS', ts: '1790000000.000200' }],
        ['thread:approved', { channel: 'C0APPROVALS', ts: '1790000000.000300' }],
      ]),
    );
    expect(await messages.findAll('req_B')).toEqual(new Map([['card', { channel: 'C0OTHER', ts: '1790000000.000400' }]]));
  });
});
