import { describe, expect, it } from 'vitest';
import { type AccessRequest, confirmGrant, type RequestState } from '../../src/domain/access-request.js';
import {
  acknowledgeBreakGlass,
  awaitsReview,
  breakGlass,
  grantCapMinutes,
  REALERT_AFTER_MINUTES,
  type ReviewAuthority,
  realertBreakGlass,
} from '../../src/domain/break-glass.js';
import { ADMIN, APPROVER_1, APPROVER_2, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../support/fixtures.js';

const HOUR = 60 * 60_000;
const glassTarget = makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } });
const opening = {
  id: 'req_GLASS',
  requesterId: REQUESTER,
  principalId: '11111111-1111-4111-8111-111111111111',
  target: glassTarget,
  reason: 'Database down, INC-7',
  durationMinutes: 60,
  pendingTimeoutMinutes: 240,
  now: T0,
};

function broken(durationMinutes = 60): AccessRequest {
  const opened = breakGlass({ ...opening, durationMinutes });
  if (!opened.ok) throw new Error(opened.code);
  return opened.request;
}

describe('breaking the glass', () => {
  it('approves the request as it is opened, orders the grant and the alert, and audits it as break-glass', () => {
    expect(breakGlass(opening)).toEqual({
      ok: true,
      request: expect.objectContaining({
        state: 'approved',
        approvals: [],
        decidedAt: T0,
        breakGlass: { at: T0, realertAt: T0 + REALERT_AFTER_MINUTES * 60_000 },
      }),
      audit: {
        action: 'break_glass',
        actor: REQUESTER,
        from: null,
        to: 'approved',
        detail: { targetId: 'prod-ssh', durationMinutes: 60, reason: 'Database down, INC-7', breakGlass: true },
      },
      jobs: [{ kind: 'grant' }, { kind: 'notify', event: 'break_glass' }],
    });
  });

  it.each([
    { asked: 30, granted: 30, cut: {} },
    { asked: 60, granted: 60, cut: {} },
    { asked: 240, granted: 60, cut: { cutFromMinutes: 240 } },
  ])('caps $asked minutes asked for at break_glass.max: $granted minutes', ({ asked, granted, cut }) => {
    const opened = breakGlass({ ...opening, durationMinutes: asked });
    expect(opened).toMatchObject({
      ok: true,
      request: { durationMinutes: granted },
      audit: { detail: { durationMinutes: granted, ...cut } },
    });
  });

  it('is refused for a target without break_glass', () => {
    expect(breakGlass({ ...opening, target: makeTarget() })).toEqual({ ok: false, code: 'break_glass_not_offered' });
  });

  it('grants no longer than break_glass.max as the policy says at grant time, even if it was lowered since', () => {
    const lowered = makeTarget({ breakGlass: { maxMinutes: 15, alertChannel: 'C0SECURITY' } });
    expect(grantCapMinutes(lowered, broken())).toBe(15);
    expect(grantCapMinutes(lowered, requestIn('approved'))).toBe(240);
    const active = confirmGrant(broken(), { kind: 'pim_group', groupId: glassTarget.grant.groupId, principalId: 'p' }, T0, 15);
    expect(active).toMatchObject({ ok: true, request: { state: 'active', durationMinutes: 15, endsAt: T0 + 15 * 60_000 } });
  });
});

describe('who may acknowledge a break-glass', () => {
  const approver: ReviewAuthority = { approver: true, admin: false };
  const admin: ReviewAuthority = { approver: false, admin: true };
  const nobody: ReviewAuthority = { approver: false, admin: false };
  const both: ReviewAuthority = { approver: true, admin: true };

  it.each([
    { who: 'another approver', verdict: 'may', actor: APPROVER_1, authority: approver, outcome: { ok: true } },
    { who: 'an admin', verdict: 'may', actor: ADMIN, authority: admin, outcome: { ok: true } },
    {
      who: 'the person who broke the glass, even as an approver and admin,',
      verdict: 'may not',
      actor: REQUESTER,
      authority: both,
      outcome: { ok: false, code: 'self_review' },
    },
    {
      who: 'someone neither approver nor admin',
      verdict: 'may not',
      actor: OUTSIDER,
      authority: nobody,
      outcome: { ok: false, code: 'not_a_reviewer' },
    },
  ])('$who $verdict acknowledge it', ({ actor, authority, outcome }) => {
    expect(acknowledgeBreakGlass(broken(), actor, T0 + 1000, authority)).toMatchObject(outcome);
  });

  it.each<RequestState>(['approved', 'active', 'ended', 'failed'])(
    'acknowledges a break-glass that is %s, and stops its alerts',
    (state) => {
      const request = requestIn(state, { approvals: [], breakGlass: { at: T0, realertAt: T0 + HOUR } });
      const acknowledged = acknowledgeBreakGlass(request, APPROVER_2, T0 + 1000, approver);
      expect(acknowledged).toMatchObject({
        ok: true,
        request: { state, breakGlass: { at: T0, review: { by: APPROVER_2, at: T0 + 1000 } } },
        audit: { action: 'break_glass_acknowledged', actor: APPROVER_2, from: state, to: state },
        jobs: [{ kind: 'notify', event: 'break_glass_reviewed' }],
      });
      expect(acknowledged.ok && acknowledged.request.breakGlass).not.toHaveProperty('realertAt');
      expect(acknowledged.ok && awaitsReview(acknowledged.request)).toBe(false);
    },
  );

  it('refuses a second acknowledgement, naming who reviewed it', () => {
    const first = acknowledgeBreakGlass(broken(), APPROVER_1, T0 + 1000, approver);
    if (!first.ok) throw new Error(first.code);
    expect(acknowledgeBreakGlass(first.request, ADMIN, T0 + 2000, admin)).toEqual({
      ok: false,
      code: 'already_reviewed',
      reviewedBy: APPROVER_1,
      reviewedAt: T0 + 1000,
    });
  });

  it('refuses to acknowledge a request that was not a break-glass', () => {
    expect(acknowledgeBreakGlass(requestIn('active'), APPROVER_1, T0, approver)).toEqual({ ok: false, code: 'not_break_glass' });
  });
});

describe('the second alert', () => {
  it.each([
    { when: 'before the hour is up', at: T0 + HOUR - 1, outcome: { ok: false, code: 'not_yet_due' } },
    { when: 'once the hour is up', at: T0 + HOUR, outcome: { ok: true, jobs: [{ kind: 'notify', event: 'break_glass_unreviewed' }] } },
  ])('goes out $when only', ({ at, outcome }) => {
    expect(realertBreakGlass(broken(), at)).toMatchObject(outcome);
  });

  it('goes out once, and never after a review', () => {
    const again = realertBreakGlass(broken(), T0 + HOUR);
    if (!again.ok) throw new Error(again.code);
    expect(again.audit).toMatchObject({ action: 'break_glass_realerted', actor: 'system' });
    expect(realertBreakGlass(again.request, T0 + 5 * HOUR)).toEqual({ ok: false, code: 'not_yet_due' });
    expect(awaitsReview(again.request)).toBe(true);
    const reviewed = acknowledgeBreakGlass(broken(), APPROVER_1, T0 + 1, { approver: true, admin: false });
    if (!reviewed.ok) throw new Error(reviewed.code);
    expect(realertBreakGlass(reviewed.request, T0 + HOUR)).toMatchObject({ ok: false, code: 'already_reviewed' });
  });
});
