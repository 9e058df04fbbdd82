import { describe, expect, it } from 'vitest';
import { type AccessRequest, approve, deny, openRequest } from '../../src/domain/access-request.js';
import { approversWith } from '../../src/domain/approvers.js';
import { awaitedDeciders, decidersOf, mayDecide } from '../../src/domain/deciders.js';
import type { Target } from '../../src/domain/policy.js';
import { escalateRequest, remindApprovers, reminderIntervalMinutes } from '../../src/domain/reminders.js';
import { APPROVER_1, APPROVER_2, fields, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../support/fixtures.js';

const MINUTE = 60_000;
const DIRECTOR = 'U0DIRECTOR1';
const chased = (approvers: Partial<Target['approvers']> = {}) =>
  makeTarget({
    approvers: {
      channel: 'C0APPROVALS',
      users: [APPROVER_1, APPROVER_2],
      required: 1,
      remindAfterMinutes: 15,
      escalate: { afterMinutes: 60, users: [DIRECTOR] },
      ...approvers,
    },
  });
const target = chased();
const { remindAfterMinutes: _reminders, ...withoutReminders } = target.approvers;
const { escalate: _escalation, ...withoutEscalation } = target.approvers;

function opened(on: Target = target): AccessRequest {
  return openRequest({
    id: 'req_WAIT',
    requesterId: REQUESTER,
    target: on,
    reason: 'Investigating INC-42',
    durationMinutes: 60,
    pendingTimeoutMinutes: 240,
    now: T0,
  }).request;
}

const escalatedAt = (at = T0 + 60 * MINUTE) => requestIn('pending', { escalatedAt: at });

describe('a request that waits', () => {
  it('is opened with its first reminder after remind_after and its escalation after escalate.after', () => {
    expect(fields(opened())).toMatchObject({ remindAt: T0 + 15 * MINUTE, remindersSent: 0, escalateAt: T0 + 60 * MINUTE });
  });

  it('is opened with neither where the target has neither', () => {
    const plain = fields(opened(makeTarget()));
    expect(plain).not.toHaveProperty('remindAt');
    expect(plain).not.toHaveProperty('remindersSent');
    expect(plain).not.toHaveProperty('escalateAt');
  });
});

describe('reminders', () => {
  it.each([
    { sent: 1, interval: 30 },
    { sent: 2, interval: 60 },
    { sent: 3, interval: 120 },
    { sent: 4, interval: 240 },
  ])('wait $interval minutes after reminder $sent of a 15m remind_after', ({ sent, interval }) => {
    expect(reminderIntervalMinutes(15, sent)).toBe(interval);
  });

  it('go out at 15m, then 30m later, then 60m later, each with its audit event and notify job', () => {
    let request = opened();
    const times = [15, 45, 105].map((minutes) => T0 + minutes * MINUTE);
    for (const [index, at] of times.entries()) {
      expect(fields(request)?.remindAt).toBe(at);
      const result = remindApprovers(request, target, at);
      if (!result.ok) throw new Error(result.code);
      expect(result.audit).toEqual({
        action: 'reminded',
        actor: 'system',
        from: 'pending',
        to: 'pending',
        detail: { reminder: index + 1, approvers: [APPROVER_1, APPROVER_2], nextAt: result.request.remindAt },
      });
      expect(result.jobs).toEqual([{ kind: 'notify', event: 'reminder' }]);
      expect(result.request.remindersSent).toBe(index + 1);
      request = result.request;
    }
    expect(fields(request)?.remindAt).toBe(T0 + 225 * MINUTE);
  });

  it('set the next one from when the last went out, so a bot that was down sends one reminder on its return', () => {
    const late = remindApprovers(opened(), target, T0 + 100 * MINUTE);
    expect(late).toMatchObject({ ok: true, request: { remindersSent: 1, remindAt: T0 + 130 * MINUTE } });
  });

  it('name in the audit trail only those who may still decide: not who approved already, nor the requester', () => {
    const twoNeeded = chased({ required: 2, users: [APPROVER_1, APPROVER_2, REQUESTER] });
    const halfway = requestIn('pending', { remindAt: T0, approvals: [{ approverId: APPROVER_1, at: T0 }] });
    expect(remindApprovers(halfway, twoNeeded, T0)).toMatchObject({ ok: true, audit: { detail: { approvers: [APPROVER_2] } } });
  });

  it.each([
    { case: 'a request no longer waiting', request: requestIn('approved', { remindAt: T0 }), code: 'wrong_state' },
    { case: 'a reminder not yet due', request: requestIn('pending', { remindAt: T0 + 1 }), code: 'not_yet_due' },
    { case: 'a request without reminders', request: requestIn('pending'), code: 'not_yet_due' },
    {
      case: 'a request past its timeout, which times out instead',
      request: requestIn('pending', { remindAt: T0, pendingUntil: T0 }),
      code: 'pending_timeout_passed',
    },
  ])('are refused for $case', ({ request, code }) => {
    expect(remindApprovers(request, target, T0)).toMatchObject({ ok: false, code });
  });

  it.each([
    { case: 'no longer has remind_after', on: makeTarget({ approvers: withoutReminders }), because: 'remind_after_removed' },
    { case: 'is gone from the policy', on: undefined, because: 'target_removed' },
  ])('stop, telling nobody, once the target $case', ({ on, because }) => {
    const due = requestIn('pending', { remindAt: T0, remindersSent: 2 });
    const result = remindApprovers(due, on, T0);
    expect(result).toMatchObject({ ok: true, audit: { action: 'reminders_stopped', detail: { because } }, jobs: [] });
    expect(result.ok && fields(result.request)?.remindAt).toBeUndefined();
  });
});

describe('escalation', () => {
  it('makes escalate.users approvers once due, with its audit event and notify job', () => {
    const due = requestIn('pending', { escalateAt: T0 + 60 * MINUTE, approvals: [] });
    const result = escalateRequest(due, target, T0 + 61 * MINUTE);
    if (!result.ok) throw new Error(result.code);
    expect(fields(result.request)).toMatchObject({ escalatedAt: T0 + 61 * MINUTE });
    expect(fields(result.request)?.escalateAt).toBeUndefined();
    expect(result.audit).toEqual({
      action: 'escalated',
      actor: 'system',
      from: 'pending',
      to: 'pending',
      detail: { users: [DIRECTOR], afterMinutes: 60, approvals: 0 },
    });
    expect(result.jobs).toEqual([{ kind: 'notify', event: 'escalated' }]);
  });

  it.each([
    { case: 'a request no longer waiting', request: requestIn('denied', { escalateAt: T0 }), code: 'wrong_state' },
    { case: 'an escalation not yet due', request: requestIn('pending', { escalateAt: T0 + 1 }), code: 'not_yet_due' },
    { case: 'a request that already escalated', request: escalatedAt(T0 - 1), code: 'not_yet_due' },
    {
      case: 'a request past its timeout',
      request: requestIn('pending', { escalateAt: T0, pendingUntil: T0 }),
      code: 'pending_timeout_passed',
    },
  ])('is refused for $case', ({ request, code }) => {
    expect(escalateRequest(request, target, T0)).toMatchObject({ ok: false, code });
  });

  it.each([
    { case: 'no longer has escalate', on: makeTarget({ approvers: withoutEscalation }), because: 'escalate_removed' },
    { case: 'is gone from the policy', on: undefined, because: 'target_removed' },
    {
      case: 'escalates only to the requester',
      on: chased({ escalate: { afterMinutes: 60, users: [REQUESTER] } }),
      because: 'only_the_requester',
    },
  ])('adds nobody, telling nobody, when the target $case', ({ on, because }) => {
    const result = escalateRequest(requestIn('pending', { escalateAt: T0 }), on, T0);
    expect(result).toMatchObject({ ok: true, audit: { action: 'escalation_dropped', detail: { because } }, jobs: [] });
    expect(result.ok && fields(result.request)).not.toHaveProperty('escalatedAt');
  });
});

describe('who may decide on a request', () => {
  it.each([
    { who: 'an approver, before escalation', request: requestIn('pending'), actor: APPROVER_1, may: true },
    { who: 'a person escalated to, before escalation', request: requestIn('pending'), actor: DIRECTOR, may: false },
    { who: 'a person escalated to, after escalation', request: escalatedAt(), actor: DIRECTOR, may: true },
    { who: 'the requester, listed to escalate to, after escalation', request: escalatedAt(), actor: REQUESTER, may: false },
    { who: 'someone listed nowhere, after escalation', request: escalatedAt(), actor: OUTSIDER, may: false },
  ])('$who: $may', ({ request, actor, may }) => {
    const on = chased({ escalate: { afterMinutes: 60, users: [DIRECTOR, REQUESTER] } });
    expect(mayDecide(request, on, actor)).toBe(may);
  });

  it.each([
    { who: 'a member of an approver group, before escalation', request: requestIn('pending'), actor: 'U0GROUPMEMBER', may: true },
    { who: 'a person escalated to and in no group, before escalation', request: requestIn('pending'), actor: DIRECTOR, may: false },
    { who: 'a person escalated to, after escalation', request: escalatedAt(), actor: DIRECTOR, may: true },
    { who: 'the requester, in the group and escalated to', request: escalatedAt(), actor: REQUESTER, may: false },
  ])('with the members of its user groups as Slack lists them: $who: $may', ({ request, actor, may }) => {
    const on = chased({ groups: ['S0ONCALLLEADS'], escalate: { afterMinutes: 60, users: [DIRECTOR, REQUESTER] } });
    const approvers = approversWith(on, [{ groupId: 'S0ONCALLLEADS', members: ['U0GROUPMEMBER', REQUESTER] }]);
    expect(mayDecide(request, on, actor, approvers)).toBe(may);
  });

  it('lists the approvers, then the people escalated to, each once and never the requester', () => {
    const on = chased({ users: [APPROVER_1, REQUESTER], escalate: { afterMinutes: 60, users: [APPROVER_1, DIRECTOR, REQUESTER] } });
    expect(decidersOf(requestIn('pending'), on)).toEqual([APPROVER_1]);
    expect(decidersOf(escalatedAt(), on)).toEqual([APPROVER_1, DIRECTOR]);
    expect(awaitedDeciders(escalatedAt(), on)).toEqual([APPROVER_1, DIRECTOR]);
    const approvedOnce = requestIn('pending', { escalatedAt: T0, approvals: [{ approverId: DIRECTOR, at: T0 }] });
    expect(awaitedDeciders(approvedOnce, on)).toEqual([APPROVER_1]);
  });

  it.each([
    {
      case: 'before escalation, telling them when it escalates',
      request: requestIn('pending', { escalateAt: T0 + 60 * MINUTE }),
      expected: { ok: false, code: 'not_yet_escalated', at: T0 + 60 * MINUTE },
    },
    { case: 'after escalation', request: escalatedAt(), expected: { ok: true, request: { state: 'approved' } } },
  ])('takes a decision from a person escalated to only $case', ({ request, expected }) => {
    expect(approve(request, target, DIRECTOR, T0 + 30 * MINUTE)).toMatchObject(expected);
    const denial = deny(request, target, DIRECTOR, T0 + 30 * MINUTE);
    expect(denial.ok).toBe(expected.ok);
  });

  it('refuses a person escalated to as any outsider where the request will never escalate', () => {
    expect(approve(requestIn('pending'), target, DIRECTOR, T0)).toEqual({ ok: false, code: 'not_an_approver' });
    expect(approve(requestIn('pending', { escalateAt: T0 + 1 }), target, OUTSIDER, T0)).toEqual({ ok: false, code: 'not_an_approver' });
  });

  it('keeps the quorum: two approvals still take two, one of them by a person escalated to', () => {
    const twoNeeded = chased({ required: 2 });
    const request = requestIn('pending', { requiredApprovals: 2, escalatedAt: T0 });
    const first = approve(request, twoNeeded, DIRECTOR, T0 + 1);
    expect(first).toMatchObject({ ok: true, request: { state: 'pending' }, audit: { detail: { approvals: 1, required: 2 } } });
    if (!first.ok) return;
    expect(approve(first.request, twoNeeded, APPROVER_2, T0 + 2)).toMatchObject({
      ok: true,
      request: { state: 'approved' },
      audit: { detail: { approvals: 2, required: 2 } },
    });
  });

  it('stops counting an escalated approval once the policy no longer escalates to that person', () => {
    const twoNeeded = chased({ required: 2 });
    const halfway = requestIn('pending', { requiredApprovals: 2, escalatedAt: T0, approvals: [{ approverId: DIRECTOR, at: T0 }] });
    const dropped = chased({ required: 2, escalate: { afterMinutes: 60, users: [OUTSIDER] } });
    expect(approve(halfway, dropped, APPROVER_1, T0 + 1)).toMatchObject({
      ok: true,
      request: { state: 'pending' },
      audit: { detail: { approvals: 1, required: 2 } },
    });
    expect(approve(halfway, twoNeeded, APPROVER_1, T0 + 1)).toMatchObject({ ok: true, request: { state: 'approved' } });
  });
});
