import { describe, expect, it } from 'vitest';
import { targetsSharingGroups } from '../../src/domain/policy.js';
import { makePolicy, makeTarget } from '../support/fixtures.js';

const GROUP = 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a';

describe('targets that share a group', () => {
  it.each([
    ['one target', [makeTarget()], []],
    [
      'two targets on one group, however its id is cased',
      [makeTarget(), makeTarget({ id: 'prod-db', grant: { kind: 'group_membership', groupId: GROUP.toUpperCase() } })],
      [{ groupId: GROUP, targetIds: ['prod-ssh', 'prod-db'] }],
    ],
    [
      'two targets on two groups',
      [makeTarget(), makeTarget({ id: 'prod-db', grant: { kind: 'group_membership', groupId: 'a1b2c3d4-0000-4000-8000-000000000000' } })],
      [],
    ],
  ])('with %s: %j', (_case, targets, expected) => {
    expect(targetsSharingGroups(makePolicy(targets))).toEqual(expected);
  });
});
