import { describe, expect, it } from 'vitest';
import { prepared } from '../../../src/adapters/postgres/database.js';
import { arraysOf, statement } from '../../../src/adapters/postgres/statement.js';

describe('a statement that names its values', () => {
  const select = statement<{ groupId: string; exclude: string; limit: number }>(
    (v) => `SELECT id FROM requests WHERE group_id = ${v.groupId} AND id <> ${v.exclude}
      UNION ALL SELECT id FROM requests WHERE grant_group_id = ${v.groupId} AND id <> ${v.exclude} LIMIT ${v.limit}`,
  );

  it('numbers its values in the order they first appear, and gives a value used again the same number', () => {
    expect(select.text).toBe(`SELECT id FROM requests WHERE group_id = $1 AND id <> $2
      UNION ALL SELECT id FROM requests WHERE grant_group_id = $1 AND id <> $2 LIMIT $3`);
    expect(select.names).toEqual(['groupId', 'exclude', 'limit']);
  });

  it('binds the values by name in that order, null included, and prepares the statement under its stable name', () => {
    const query = select.bind({ limit: 10, exclude: 'req_A', groupId: 'g-1' });
    expect(query.values).toEqual(['g-1', 'req_A', 10]);
    expect(query.name).toBe(prepared(select.text, []).name);
    expect(select.bind({ limit: 1, exclude: 'req_B', groupId: 'g-2' }).text).toBe(query.text);

    const nullable = statement<{ leaseId: number | null }>((v) => `SELECT ${v.leaseId}::bigint IS NULL`);
    expect(nullable.bind({ leaseId: null }).values).toEqual([null]);
  });

  it('refuses to bind without a value it names, rather than sending NULL for it', () => {
    expect(() => select.bind({ groupId: 'g-1', exclude: 'req_A' } as never)).toThrow('no value for limit');
  });

  it('turns rows of named values into one array per name, for unnest', () => {
    expect(
      arraysOf([
        { id: 'req_A', version: 1 },
        { id: 'req_B', version: 3 },
      ]),
    ).toEqual({ id: ['req_A', 'req_B'], version: [1, 3] });
  });
});
