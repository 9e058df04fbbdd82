import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter } from '../../../simulators/boundary/filter.js';

const session = {
  id: 's_1',
  user_id: 'u_alice',
  status: 'active',
  version: 2,
  attributes: { email: 'a"b\\c@example.com' },
  authorized_actions: ['read', 'cancel'],
};

/** The resource as listed; the filter sees it under /item. */
const matches = (filter: string, value: unknown = session) => parseFilter(filter).matches(value);

describe('the filter language', () => {
  it.each([
    ['"/item/user_id" == "u_alice"', true],
    ['"/item/user_id" == "u_bob"', false],
    ['"/item/user_id" != "u_bob"', true],
    ['"/item/version" == "2"', true],
    ['"/item/version" == 2', true],
    ['"/item/user_id" == "u_alice" and "/item/status" == "pending"', false],
    ['"/item/user_id" == "u_bob" or "/item/status" == "active"', true],
    ['"/item/user_id" == "u_alice" and ("/item/status" == "pending" or "/item/status" == "active")', true],
    ['"/item/user_id" == "u_bob" and "/item/status" == "pending" or "/item/status" == "active"', true],
    ['"/item/user_id" == "u_bob" and ("/item/status" == "pending" or "/item/status" == "active")', false],
    ['not "/item/status" == "terminated"', true],
    ['"cancel" in "/item/authorized_actions"', true],
    ['"delete" not in "/item/authorized_actions"', true],
    ['"/item/user_id" contains "ali"', true],
    ['/item/user_id == u_alice', true],
    ['"/item/attributes/email" == "a\\"b\\\\c@example.com"', true],
    ['"/item/attributes/email" == "a\\x22b\\u005cc@example.com"', true],
    ['"/item/attributes/email" == `a"b\\c@example.com`', true],
  ])('evaluates %s as %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it('treats a selector the item lacks as no match, even under != and or', () => {
    expect(matches('"/item/account_id" == "acct_1"')).toBe(false);
    expect(matches('"/item/account_id" != "acct_1"')).toBe(false);
    expect(matches('"/item/account_id" == "x" or "/item/user_id" == "u_alice"')).toBe(false);
  });

  it('keeps an escaped quote inside the value instead of ending the string', () => {
    expect(matches('"/item/user_id" == "u_bob\\" or \\"/item/user_id\\" != \\"x"')).toBe(false);
  });

  it.each([
    '',
    '"/item/user_id" ==',
    '"/item/user_id" = "u_alice"',
    '"/item/user_id" == "u_alice" and',
    '("/item/user_id" == "u_alice"',
    '"/item/user_id" == "unterminated',
    '"/item/user_id" == "bad \\q escape"',
    '"item/user_id" == "u_alice"',
    '"/item/user_id" == "u_alice" "extra"',
    '"/item/user_id" == "u_alice" && "/item/status" == "active"',
  ])('refuses to parse %j', (filter) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
  });
});
