import { describe, expect, it } from 'vitest';
import { autoApprove, declineAutoApproval, SYSTEM } from '../../src/domain/access-request.js';
import { requestEnd } from '../../src/domain/ending.js';
import { decideOnCall, type OnCallShift, onCallRuleFor } from '../../src/domain/on-call.js';
import type { OnCallRule } from '../../src/domain/policy.js';
import { ADMIN, APPROVER_1, makeTarget, OUTSIDER, requestIn, T0 } from '../support/fixtures.js';

const rule: OnCallRule = { scheduleIds: ['PSCHED01'], escalationPolicyIds: ['PEPOLICY1'], maxLevel: 1 };
const target = makeTarget({ autoApprove: { onCall: rule, maxMinutes: 60 } });
const shift = (change: Partial<OnCallShift> = {}): OnCallShift => ({
  escalationPolicyId: 'PEOTHER1',
  escalationLevel: 1,
  scheduleId: 'PSCHED01',
  ...change,
});

describe('who PagerDuty approves', () => {
  it.each<[string, OnCallShift[], string | undefined, string | undefined]>([
    ['on call for a listed schedule at level 1', [shift()], 'PagerDuty on-call (schedule PSCHED01)', undefined],
    [
      'on call for a listed escalation policy as its direct target',
      [shift({ escalationPolicyId: 'PEPOLICY1', scheduleId: null })],
      'PagerDuty on-call (escalation policy PEPOLICY1, level 1)',
      undefined,
    ],
    [
      'on call for an unlisted schedule of a listed escalation policy',
      [shift({ escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED99' })],
      'PagerDuty on-call (escalation policy PEPOLICY1, level 1)',
      undefined,
    ],
    [
      'on call twice, the listed schedule winning over the policy at the same level',
      [shift({ escalationPolicyId: 'PEPOLICY1', scheduleId: null }), shift()],
      'PagerDuty on-call (schedule PSCHED01)',
      undefined,
    ],
    ['on call nowhere', [], undefined, 'off_call'],
    ['on call only for an unlisted schedule of an unlisted policy', [shift({ scheduleId: 'PSCHED99' })], undefined, 'not_listed'],
    ['on call for a listed schedule above max_level', [shift({ escalationLevel: 2 })], undefined, 'level_too_high'],
    [
      'on call at level 2 through the schedule and level 1 through an unlisted policy',
      [shift({ escalationLevel: 2 }), shift({ scheduleId: 'PSCHED99', escalationPolicyId: 'PEOTHER2' })],
      undefined,
      'level_too_high',
    ],
  ])('%s', (_case, shifts, approvedBy, because) => {
    const decision = decideOnCall(rule, shifts);
    expect(decision.ok ? decision.approval.by : undefined).toBe(approvedBy);
    expect(decision.ok ? undefined : decision.because).toBe(because);
  });

  it.each([
    ['a target without auto_approve', makeTarget(), 60, { ok: false, because: 'not_offered' }],
    ['a duration above auto_approve.max', target, 120, { ok: false, because: 'too_long' }],
    ['a duration of exactly auto_approve.max', target, 60, { ok: true, rule }],
  ])('checks the on-call rule for %s', (_case, forTarget, minutes, expected) => {
    expect(onCallRuleFor(forTarget, minutes)).toEqual(expected);
  });
});

describe('approval by PagerDuty on-call', () => {
  const approval = { by: 'PagerDuty on-call (schedule PSCHED01)', shift: shift() };
  const now = T0 + 5000;

  it('approves a pending request at once, recording what approved it in the request and the audit trail', () => {
    const result = autoApprove(requestIn('pending'), target, approval, now);
    expect(result).toMatchObject({
      ok: true,
      request: { state: 'approved', decidedAt: now, autoApprovedBy: approval.by, approvals: [] },
      audit: {
        action: 'auto_approved',
        actor: approval.by,
        from: 'pending',
        to: 'approved',
        detail: { scheduleId: 'PSCHED01', escalationPolicyId: 'PEOTHER1', escalationLevel: 1 },
      },
      jobs: [{ kind: 'grant' }, { kind: 'notify', event: 'approved' }],
    });
  });

  it.each([
    ['a request an approver already decided', requestIn('approved'), target, 'wrong_state'],
    ['a request past its pending timeout', requestIn('pending', { pendingUntil: now }), target, 'pending_timeout_passed'],
    ['a target that no longer offers it', requestIn('pending'), makeTarget(), 'not_allowed'],
    ['a request longer than auto_approve.max', requestIn('pending', { durationMinutes: 120 }), target, 'not_allowed'],
  ])('refuses %s', (_case, request, forTarget, code) => {
    expect(autoApprove(request, forTarget, approval, now)).toMatchObject({ ok: false, code });
  });

  it('records why PagerDuty did not approve, leaving the request waiting for its approvers', () => {
    const result = declineAutoApproval(requestIn('pending'), 'off_call', now);
    expect(result).toMatchObject({
      ok: true,
      request: { state: 'pending', version: 2 },
      audit: { action: 'auto_approval_declined', actor: SYSTEM, detail: { because: 'off_call' } },
      jobs: [],
    });
  });

  it.each([
    ['an admin', ADMIN, { isAdmin: true }, true, true],
    ['an approver of the target', APPROVER_1, { isAdmin: false, isApprover: true }, true, false],
    ['someone else', OUTSIDER, { isAdmin: false, isApprover: false }, false, false],
  ])('lets %s revoke a grant PagerDuty approved: %s, and one approvers approved: %s', (_case, actor, authority, onCall, byPeople) => {
    const auto = requestIn('active', { approvals: [], autoApprovedBy: approval.by });
    expect(requestEnd(auto, 'revoked', actor, now, authority).ok).toBe(onCall);
    expect(requestEnd(requestIn('active'), 'revoked', actor, now, authority).ok).toBe(byPeople);
  });
});
