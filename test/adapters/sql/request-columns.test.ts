import { describe, expect, it } from 'vitest';
import { REQUEST_COLUMNS } from '../../../src/adapters/sql/request-columns.js';
import { openMigratedDatabase } from '../../support/database.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';

// Kept by the stores themselves: when a row last changed, the grant's end copied by a trigger, and PostgreSQL's
// stand-in for SQLite's rowid.
const OWN_COLUMNS = ['updated_at', 'ends_at', 'row_order'];

const described = REQUEST_COLUMNS.map(({ name, type }) => [name, type]).sort();
const sqliteType = { text: 'TEXT', integer: 'INTEGER', bigint: 'INTEGER' };

describe('the description of a stored request', () => {
  it('names every column of SQLite’s requests table but the store’s own, with its type', () => {
    const db = openMigratedDatabase();
    const columns = db.prepare("SELECT name, type FROM pragma_table_info('requests')").all() as { name: string; type: string }[];
    const stored = columns.filter(({ name }) => !OWN_COLUMNS.includes(name)).map(({ name, type }) => [name, type]);
    expect(stored.sort()).toEqual(REQUEST_COLUMNS.map(({ name, type }) => [name, sqliteType[type]]).sort());
  });

  it('names every column of PostgreSQL’s requests table but the store’s own, with its type', async () => {
    const { pool } = await migratedDatabaseForThisTest();
    const columns = await pool.query<{ name: string; type: string }>(
      "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'requests'",
    );
    const stored = columns.rows.filter(({ name }) => !OWN_COLUMNS.includes(name)).map(({ name, type }) => [name, type]);
    expect(stored.sort()).toEqual(described);
  });
});
