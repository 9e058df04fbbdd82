import { describe, expect, it } from 'vitest';
import { type ActiveRequest, REQUEST_STATES, SYSTEM } from '../../src/domain/access-request.js';
import {
  approveExtension,
  askExtension,
  denyExtension,
  extensionRoom,
  mayOfferExtension,
  pendingExtension,
  recordEntraExtension,
} from '../../src/domain/extension.js';
import type { ExtensionRule, Target } from '../../src/domain/policy.js';
import { APPROVER_1, APPROVER_2, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../support/fixtures.js';

const MINUTE = 60_000;
const byApprovers: ExtensionRule = { maxTotalMinutes: 180, approval: 'approvers' };
const auto: ExtensionRule = { maxTotalMinutes: 180, approval: 'auto' };
const withRule = (extension: ExtensionRule, overrides: Partial<Target> = {}) => makeTarget({ extension, ...overrides });
// Granted at T0 + 2 s for 60 minutes; asked 50 minutes in.
const active = (overrides: Parameters<typeof requestIn>[1] = {}) => requestIn('active', { expiryWarnedAt: T0 + 50 * MINUTE, ...overrides });
const now = T0 + 50 * MINUTE;
const ask = { minutes: 30, reason: 'The migration is still running' };
const asked = (overrides: Parameters<typeof requestIn>[1] = {}) =>
  requestIn('active', { extension: { ...ask, askedAt: now, approvals: [] }, ...overrides }) as ActiveRequest;

describe('asking for an extension', () => {
  it.each([
    {
      case: 'a target without an extension block',
      target: makeTarget(),
      actor: REQUESTER,
      request: active(),
      code: 'extension_not_offered',
    },
    {
      case: 'someone other than the requester',
      target: withRule(byApprovers),
      actor: APPROVER_1,
      request: active(),
      code: 'not_the_requester',
    },
    {
      case: 'a grant whose end was asked for',
      target: withRule(byApprovers),
      actor: REQUESTER,
      request: active({ ending: { reason: 'released', by: REQUESTER, at: now } }),
      code: 'grant_over',
    },
    { case: 'a grant that ended', target: withRule(byApprovers), actor: REQUESTER, request: requestIn('ended'), code: 'grant_over' },
    {
      case: 'a grant past its end the sweeper has not reached',
      target: withRule(byApprovers),
      actor: REQUESTER,
      request: active({ endsAt: now - 1 }),
      code: 'grant_over',
    },
    {
      case: 'a request still pending',
      target: withRule(byApprovers),
      actor: REQUESTER,
      request: requestIn('pending'),
      code: 'wrong_state',
    },
    {
      case: 'a second one while one is pending',
      target: withRule(byApprovers),
      actor: REQUESTER,
      request: asked(),
      code: 'extension_pending',
    },
  ])('refuses $case ($code)', ({ target, actor, request, code }) => {
    expect(askExtension(request, target, actor, ask, now)).toMatchObject({ ok: false, code });
  });

  it.each([
    { minutes: 121, remaining: 120, extended: 0 },
    { minutes: 61, remaining: 60, extended: 60 },
    { minutes: 1, remaining: 0, extended: 120 },
  ])('refuses $minutes more minutes when $remaining are left of max_total', ({ minutes, remaining, extended }) => {
    const request = active({ extendedMinutes: extended, endsAt: T0 + 2000 + (60 + extended) * MINUTE });
    expect(askExtension(request, withRule(auto), REQUESTER, { ...ask, minutes }, now)).toEqual({
      ok: false,
      code: 'over_max_total',
      remainingMinutes: remaining,
    });
  });

  it.each([0, -5, 1.5])('refuses %s minutes as no extension', (minutes) => {
    expect(askExtension(active(), withRule(auto), REQUESTER, { ...ask, minutes }, now)).toMatchObject({ code: 'invalid_extension' });
  });

  it('waits for the approvers, leaving the end where it is', () => {
    const result = askExtension(active(), withRule(byApprovers), REQUESTER, ask, now);
    if (!result.ok || result.request.state !== 'active') throw new Error('expected the ask to be recorded');
    expect(result.request.endsAt).toBe(active().endsAt);
    expect(pendingExtension(result.request)).toEqual({ ...ask, askedAt: now, approvals: [] });
    expect(result.audit).toMatchObject({ action: 'extension_requested', actor: REQUESTER, detail: { minutes: 30 } });
    expect(result.jobs).toEqual([{ kind: 'notify', event: 'extension_requested' }]);
  });

  it('grants it at once with approval: auto, moving the end from the end and letting the warning come again', () => {
    const before = active();
    const result = askExtension(before, withRule(auto), REQUESTER, ask, now);
    if (!result.ok || result.request.state !== 'active') throw new Error('expected the extension');
    expect(result.request.endsAt).toBe(before.endsAt + 30 * MINUTE);
    expect(result.request.endsAt).toBe(before.grantedAt + (60 + 30) * MINUTE);
    expect(result.request.extendedMinutes).toBe(30);
    expect(result.request.expiryWarnedAt).toBeUndefined();
    expect(result.request.extension?.decision).toEqual({ result: 'granted', by: SYSTEM, at: now });
    expect(result.audit).toMatchObject({ action: 'extended', actor: REQUESTER, detail: { approval: 'auto', totalMinutes: 90 } });
    expect(result.jobs).toEqual([{ kind: 'extend' }, { kind: 'notify', event: 'extended' }]);
  });

  it('moves only the bot end of a direct membership: no job for Entra', () => {
    const request = active({ grant: { kind: 'group_membership', groupId: 'g', principalId: 'p' } });
    const result = askExtension(request, withRule(auto), REQUESTER, ask, now);
    expect(result.ok && result.jobs).toEqual([{ kind: 'notify', event: 'extended' }]);
  });

  it('allows extensions up to max_total exactly', () => {
    const result = askExtension(active({ extendedMinutes: 90, endsAt: T0 + 2000 + 150 * MINUTE }), withRule(auto), REQUESTER, ask, now);
    expect(result.ok && result.request.state === 'active' && result.request.extendedMinutes).toBe(120);
  });
});

describe('deciding on an extension', () => {
  const two = withRule(byApprovers, { approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } });

  it.each([
    { case: 'the requester', actor: REQUESTER, code: 'self_approval' },
    { case: 'someone who is not an approver', actor: OUTSIDER, code: 'not_an_approver' },
  ])('refuses an approval or a denial from $case', ({ actor, code }) => {
    expect(approveExtension(asked(), withRule(byApprovers), actor, now)).toMatchObject({ code });
    expect(denyExtension(asked(), withRule(byApprovers), actor, now)).toMatchObject({ code });
  });

  it('refuses to decide when no extension is pending', () => {
    expect(approveExtension(active(), withRule(byApprovers), APPROVER_1, now)).toMatchObject({ code: 'no_extension_pending' });
    expect(denyExtension(active(), withRule(byApprovers), APPROVER_1, now)).toMatchObject({ code: 'no_extension_pending' });
  });

  it('refuses an approval once the grant is ending or over', () => {
    const ending = asked({ ending: { reason: 'expired', by: SYSTEM, at: now } });
    expect(approveExtension(ending, withRule(byApprovers), APPROVER_1, now)).toMatchObject({ code: 'grant_over' });
    expect(approveExtension(asked(), withRule(byApprovers), APPROVER_1, asked().endsAt)).toMatchObject({ code: 'grant_over' });
  });

  it('decides on the current policy: the block removed, or max_total lowered below the ask', () => {
    expect(approveExtension(asked(), makeTarget(), APPROVER_1, now)).toMatchObject({ code: 'extension_not_offered' });
    expect(approveExtension(asked(), withRule({ maxTotalMinutes: 70, approval: 'approvers' }), APPROVER_1, now)).toEqual({
      ok: false,
      code: 'over_max_total',
      remainingMinutes: 10,
    });
  });

  it('needs the quorum of distinct approvers', () => {
    const first = approveExtension(asked(), two, APPROVER_1, now);
    if (!first.ok) throw new Error('expected the first approval');
    expect(first.audit.action).toBe('extension_approval_recorded');
    expect(approveExtension(first.request, two, APPROVER_1, now)).toMatchObject({ code: 'already_approved' });
    const second = approveExtension(first.request, two, APPROVER_2, now + 1);
    if (!second.ok || second.request.state !== 'active') throw new Error('expected the extension');
    expect(second.audit).toMatchObject({
      action: 'extended',
      actor: APPROVER_2,
      detail: { approval: 'approvers', approvals: [APPROVER_1, APPROVER_2] },
    });
    expect(second.request.endsAt).toBe(asked().endsAt + 30 * MINUTE);
    expect(pendingExtension(second.request)).toBeUndefined();
  });

  it('denies it without moving the end', () => {
    const result = denyExtension(asked(), withRule(byApprovers), APPROVER_1, now, 'Ask again tomorrow');
    if (!result.ok || result.request.state !== 'active') throw new Error('expected the denial');
    expect(result.request.endsAt).toBe(asked().endsAt);
    expect(result.request.extension?.decision).toEqual({ result: 'denied', by: APPROVER_1, at: now, comment: 'Ask again tomorrow' });
    expect(result.jobs).toEqual([{ kind: 'notify', event: 'extension_denied' }]);
  });
});

describe('offering Extend', () => {
  it.each(REQUEST_STATES.filter((state) => state !== 'active'))('is never offered on a %s request', (state) => {
    expect(mayOfferExtension(requestIn(state), withRule(auto))).toBe(false);
  });

  it('is offered on an active grant with room left, and not while one is pending or without room', () => {
    expect(mayOfferExtension(active(), withRule(auto))).toBe(true);
    expect(mayOfferExtension(active(), makeTarget())).toBe(false);
    expect(mayOfferExtension(asked(), withRule(byApprovers))).toBe(false);
    expect(extensionRoom(active({ extendedMinutes: 120 }), withRule(auto))).toBe(0);
    expect(mayOfferExtension(active({ extendedMinutes: 120 }), withRule(auto))).toBe(false);
  });
});

describe("recording Entra's end", () => {
  it('tells people only when Entra refused to move it', () => {
    const moved = recordEntraExtension(active(), { result: 'moved', entraEndsAt: active().endsAt });
    expect(moved.ok && moved.jobs).toEqual([]);
    const refused = recordEntraExtension(active(), { result: 'refused', problem: 'ExpirationRule' });
    expect(refused.ok && refused.jobs).toEqual([{ kind: 'notify', event: 'extension_failed' }]);
    expect(recordEntraExtension(requestIn('ended'), { result: 'absent' })).toMatchObject({ code: 'wrong_state' });
  });
});
