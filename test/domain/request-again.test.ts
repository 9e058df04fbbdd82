import { describe, expect, it } from 'vitest';
import type { RequestState } from '../../src/domain/access-request.js';
import type { Target } from '../../src/domain/policy.js';
import { askAgain, mayAskAgainAfter } from '../../src/domain/request-again.js';
import { makePolicy, makeTarget, OUTSIDER, REQUESTER, requestIn } from '../support/fixtures.js';

const OTHER = makeTarget({ id: 'prod-db', name: 'Production databases', requesters: { users: [OUTSIDER] } });

describe('which requests offer Request again', () => {
  it.each<[RequestState, boolean]>([
    ['pending', false],
    ['approved', false],
    ['active', false],
    ['ended', true],
    ['denied', true],
    ['cancelled', false],
    ['timed_out', true],
    ['failed', true],
  ])('a request %s: %s', (state, expected) => {
    expect(mayAskAgainAfter(requestIn(state))).toBe(expected);
  });
});

describe('asking again', () => {
  it('pre-fills the same target, duration and reason, among the targets the person may ask for', () => {
    const target = makeTarget();
    const outcome = askAgain(makePolicy([target, OTHER]), requestIn('ended', { durationMinutes: 120 }), REQUESTER);
    expect(outcome).toEqual({
      ok: true,
      targets: [target],
      selected: target,
      prefill: { reason: 'Investigating incident INC-42', durationMinutes: 120 },
    });
  });

  it.each<[string, Partial<Target>, number, number]>([
    ['a duration still offered is kept', {}, 30, 30],
    [
      'a duration no longer offered falls back to the default',
      { duration: { defaultMinutes: 60, maxMinutes: 240, choices: [60, 240] } },
      30,
      60,
    ],
    [
      'a duration over a lowered maximum falls back to the default',
      { duration: { defaultMinutes: 15, maxMinutes: 30, choices: [] } },
      120,
      15,
    ],
    ['without listed choices, the maximum is kept', { duration: { defaultMinutes: 15, maxMinutes: 30, choices: [] } }, 30, 30],
  ])('%s', (_case, change, asked, prefilled) => {
    const outcome = askAgain(makePolicy([makeTarget(change)]), requestIn('timed_out', { durationMinutes: asked }), REQUESTER);
    expect(outcome.ok && outcome.prefill.durationMinutes).toBe(prefilled);
  });

  it.each<[string, Parameters<typeof askAgain>, unknown]>([
    ['someone else than the requester', [makePolicy(), requestIn('ended'), OUTSIDER], { ok: false, code: 'not_the_requester' }],
    ['a request still pending', [makePolicy(), requestIn('pending'), REQUESTER], { ok: false, code: 'not_over', state: 'pending' }],
    ['a grant still active', [makePolicy(), requestIn('active'), REQUESTER], { ok: false, code: 'not_over', state: 'active' }],
    [
      'a target gone from the policy',
      [makePolicy([OTHER]), requestIn('denied'), REQUESTER],
      { ok: false, code: 'target_removed', targetId: 'prod-ssh' },
    ],
    [
      'a target the person may no longer ask for',
      [makePolicy([makeTarget({ requesters: { users: [OUTSIDER] } })]), requestIn('failed'), REQUESTER],
      { ok: false, code: 'not_a_requester', target: makeTarget({ requesters: { users: [OUTSIDER] } }) },
    ],
  ])('refuses %s', (_case, args, expected) => {
    expect(askAgain(...args)).toEqual(expected);
  });
});
