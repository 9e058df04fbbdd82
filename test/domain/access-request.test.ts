import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  approve,
  CorruptRequest,
  cancel,
  confirmGrant,
  deny,
  failGrant,
  fieldsOf,
  openRequest,
  parseRequest,
  REQUEST_STATES,
  type RequestFields,
  type RequestState,
  recordCleanup,
  SYSTEM,
  type TransitionResult,
  timeOut,
} from '../../src/domain/access-request.js';
import { confirmEnd, endHeldElsewhere, requestEnd } from '../../src/domain/ending.js';
import { checkReason } from '../../src/domain/reason.js';
import { ADMIN, APPROVER_1, APPROVER_2, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../support/fixtures.js';

const target = makeTarget();
const grant = { kind: 'pim_group' as const, groupId: target.grant.groupId, principalId: '22222222-2222-2222-2222-222222222222' };
const now = T0 + 10_000;

// Each transition as the legitimate actor would attempt it, at a moment where it is due.
const transitions: Record<string, (request: AccessRequest) => TransitionResult> = {
  approve: (request) => approve(request, target, APPROVER_1, now),
  deny: (request) => deny(request, target, APPROVER_1, now),
  cancel: (request) => cancel(request, REQUESTER, now),
  timeOut: (request) => timeOut(request, request.pendingUntil),
  confirmGrant: (request) => confirmGrant(request, grant, now),
  failGrant: (request) => failGrant(request, 'Graph said 403', now),
  release: (request) => requestEnd(request, 'released', REQUESTER, now),
  revoke: (request) => requestEnd(request, 'revoked', ADMIN, now, { isAdmin: true }),
  expire: (request) => requestEnd(request, 'expired', SYSTEM, (fieldsOf(request).endsAt ?? 0) + 1),
  confirmEnd: (request) =>
    confirmEnd(
      request.state === 'active' && !request.ending ? { ...request, ending: { reason: 'released', by: REQUESTER, at: now } } : request,
      now,
      {
        outcome: 'removed',
      },
    ),
  endHeldElsewhere: (request) =>
    endHeldElsewhere(
      request.state === 'active' && !request.ending ? { ...request, ending: { reason: 'expired', by: SYSTEM, at: now } } : request,
      now,
      'sched-admin',
    ),
};

// The legal moves; every other (transition, state) pair must be refused with wrong_state.
const legal: Record<string, Partial<Record<RequestState, RequestState>>> = {
  approve: { pending: 'approved' },
  deny: { pending: 'denied' },
  cancel: { pending: 'cancelled' },
  timeOut: { pending: 'timed_out' },
  confirmGrant: { approved: 'active' },
  failGrant: { approved: 'failed' },
  release: { active: 'active' },
  revoke: { active: 'active' },
  expire: { active: 'active' },
  confirmEnd: { active: 'ended' },
  endHeldElsewhere: { active: 'ended' },
};

const cases = Object.entries(transitions).flatMap(([name, run]) =>
  REQUEST_STATES.map((state) => ({ name, run, state, expected: legal[name]?.[state] })),
);

describe('the request lifecycle', () => {
  it.each(cases)('$name from $state → $expected', ({ run, state, expected }) => {
    const before = requestIn(state);
    const result = run(before);
    if (expected === undefined) {
      expect(result).toMatchObject({ ok: false, code: 'wrong_state', state });
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request.state).toBe(expected);
    expect(result.request.version).toBe(before.version + 1);
    expect(result.audit.from).toBe(state);
    expect(result.audit.to).toBe(expected);
  });

  it('opens a pending request that times out after the pending timeout and asks for a notification', () => {
    const opened = openRequest({
      id: 'req_1',
      requesterId: REQUESTER,
      target,
      reason: 'Deploy hotfix 1.2.3',
      durationMinutes: 60,
      pendingTimeoutMinutes: 30,
      now: T0,
    });
    expect(opened.request).toMatchObject({
      state: 'pending',
      version: 1,
      pendingUntil: T0 + 30 * 60_000,
      requiredApprovals: 1,
      approvals: [],
    });
    expect(opened.audit).toEqual({
      action: 'requested',
      actor: REQUESTER,
      from: null,
      to: 'pending',
      detail: { targetId: 'prod-ssh', durationMinutes: 60, reason: 'Deploy hotfix 1.2.3' },
    });
    expect(opened.jobs).toEqual([{ kind: 'notify', event: 'requested' }]);
  });
});

describe('approval rules', () => {
  it('refuses an approval from the requester, even one who is also an approver', () => {
    const selfApprover = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [REQUESTER, APPROVER_1], required: 1 } });
    expect(approve(requestIn('pending'), selfApprover, REQUESTER, now)).toEqual({ ok: false, code: 'self_approval' });
    expect(deny(requestIn('pending'), selfApprover, REQUESTER, now)).toEqual({ ok: false, code: 'self_approval' });
  });

  it('refuses a decision from anyone not listed as an approver of the target', () => {
    expect(approve(requestIn('pending'), target, OUTSIDER, now)).toEqual({ ok: false, code: 'not_an_approver' });
    expect(deny(requestIn('pending'), target, ADMIN, now)).toEqual({ ok: false, code: 'not_an_approver' });
  });

  it('approves at once and orders the grant when one approval is required', () => {
    const result = approve(requestIn('pending'), target, APPROVER_2, now);
    expect(result).toMatchObject({
      ok: true,
      request: { state: 'approved', decidedAt: now, approvals: [{ approverId: APPROVER_2, at: now }] },
    });
    expect(result.ok && result.jobs).toEqual([{ kind: 'grant' }, { kind: 'notify', event: 'approved' }]);
  });

  it('needs two distinct approvers when two are required', () => {
    const twoNeeded = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } });
    const first = approve(requestIn('pending', { requiredApprovals: 2 }), twoNeeded, APPROVER_1, now);
    expect(first).toMatchObject({
      ok: true,
      request: { state: 'pending' },
      audit: { action: 'approval_recorded', detail: { approvals: 1, required: 2 } },
    });
    expect(first.ok && first.jobs).toEqual([{ kind: 'notify', event: 'approval_recorded' }]);
    if (!first.ok) return;

    expect(approve(first.request, twoNeeded, APPROVER_1, now + 1)).toEqual({ ok: false, code: 'already_approved' });

    const second = approve(first.request, twoNeeded, APPROVER_2, now + 2);
    expect(second).toMatchObject({ ok: true, request: { state: 'approved', decidedAt: now + 2 }, audit: { action: 'approved' } });
    expect(second.ok && second.jobs.map((job) => job.kind)).toEqual(['grant', 'notify']);
  });

  it('counts only approvals of people who are approvers under the policy as it is now, against its current quorum', () => {
    const APPROVER_3 = 'U0MANAGER3';
    const before = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2, APPROVER_3], required: 2 } });
    const first = approve(requestIn('pending', { requiredApprovals: 2 }), before, APPROVER_1, now);
    if (!first.ok) throw new Error(first.code);
    // APPROVER_1 left the approvers list: their approval no longer counts towards the two needed.
    const after = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_2, APPROVER_3], required: 2 } });
    const second = approve(first.request, after, APPROVER_2, now + 1);
    expect(second).toMatchObject({ ok: true, request: { state: 'pending' }, audit: { detail: { approvals: 1, required: 2 } } });
    // And a quorum lowered to one is the one that holds.
    const lowered = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_2, APPROVER_3], required: 1 } });
    expect(approve(first.request, lowered, APPROVER_2, now + 1)).toMatchObject({
      ok: true,
      request: { state: 'approved', requiredApprovals: 1 },
    });
  });

  it('lets one approver deny, with an optional comment, even after another approved', () => {
    const twoNeeded = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } });
    const half = requestIn('pending', { requiredApprovals: 2, approvals: [{ approverId: APPROVER_1, at: now }] });
    const denied = deny(half, twoNeeded, APPROVER_2, now + 5, 'Use the read-only role instead');
    expect(denied).toMatchObject({
      ok: true,
      request: { state: 'denied', denial: { by: APPROVER_2, at: now + 5, comment: 'Use the read-only role instead' } },
      audit: { action: 'denied', actor: APPROVER_2, detail: { comment: 'Use the read-only role instead' } },
    });
  });

  it('refuses a decision on a closed request with the state and who decided it when', () => {
    expect(approve(requestIn('approved'), target, APPROVER_2, now)).toEqual({
      ok: false,
      code: 'wrong_state',
      state: 'approved',
      decidedBy: APPROVER_1,
      decidedAt: T0 + 1000,
    });
    expect(approve(requestIn('denied'), target, APPROVER_2, now)).toEqual({
      ok: false,
      code: 'wrong_state',
      state: 'denied',
      decidedBy: APPROVER_1,
      decidedAt: T0 + 1000,
    });
    expect(deny(requestIn('cancelled'), target, APPROVER_2, now)).toEqual({ ok: false, code: 'wrong_state', state: 'cancelled' });
  });

  it('refuses a decision once the pending timeout has passed, even before the sweeper ran', () => {
    const request = requestIn('pending');
    expect(approve(request, target, APPROVER_1, request.pendingUntil)).toEqual({ ok: false, code: 'pending_timeout_passed' });
    expect(approve(request, target, APPROVER_1, request.pendingUntil - 1)).toMatchObject({ ok: true });
  });
});

describe('the rest of the lifecycle', () => {
  it('lets only the requester cancel', () => {
    expect(cancel(requestIn('pending'), APPROVER_1, now)).toEqual({ ok: false, code: 'not_the_requester' });
    expect(cancel(requestIn('pending'), REQUESTER, now)).toMatchObject({ ok: true, request: { state: 'cancelled', cancelledAt: now } });
  });

  it('does not time out a request before its pending timeout', () => {
    const request = requestIn('pending');
    expect(timeOut(request, request.pendingUntil - 1)).toEqual({ ok: false, code: 'not_yet_due' });
    expect(timeOut(request, request.pendingUntil)).toMatchObject({ ok: true, request: { state: 'timed_out' }, audit: { actor: SYSTEM } });
  });

  it('starts the clock when the grant is confirmed, not when it was requested', () => {
    const grantedAt = T0 + 7 * 60_000;
    const result = confirmGrant(requestIn('approved', { durationMinutes: 90 }), grant, grantedAt);
    expect(result).toMatchObject({ ok: true, request: { state: 'active', grantedAt, endsAt: grantedAt + 90 * 60_000, grant } });
    expect(result.ok && result.jobs).toEqual([{ kind: 'notify', event: 'granted' }]);
  });

  it('records why a grant failed', () => {
    expect(failGrant(requestIn('approved'), 'Authorization_RequestDenied', now)).toMatchObject({
      ok: true,
      request: { state: 'failed', failure: 'Authorization_RequestDenied' },
      audit: { action: 'grant_failed', detail: { cause: 'Authorization_RequestDenied' } },
    });
  });

  it('lets only the requester release, only an admin revoke and only the bot expire, each through a revoke job', () => {
    const active = requestIn('active');
    expect(requestEnd(active, 'released', APPROVER_1, now)).toEqual({ ok: false, code: 'not_the_requester' });
    expect(requestEnd(active, 'revoked', APPROVER_1, now)).toEqual({ ok: false, code: 'not_allowed' });
    expect(requestEnd(active, 'expired', REQUESTER, (active.endsAt ?? 0) + 1)).toEqual({ ok: false, code: 'not_allowed' });

    const released = requestEnd(active, 'released', REQUESTER, now);
    expect(released).toMatchObject({ ok: true, request: { state: 'active', ending: { reason: 'released', by: REQUESTER, at: now } } });
    expect(released.ok && released.jobs).toEqual([{ kind: 'revoke' }, { kind: 'notify', event: 'end_requested' }]);
    const expired = requestEnd(active, 'expired', SYSTEM, active.endsAt ?? 0);
    expect(expired.ok && expired.jobs).toEqual([{ kind: 'revoke' }]);
  });

  it('does not expire a grant before its end', () => {
    const active = requestIn('active');
    expect(requestEnd(active, 'expired', SYSTEM, (active.endsAt ?? 0) - 1)).toEqual({ ok: false, code: 'not_yet_due' });
    expect(requestEnd(active, 'expired', SYSTEM, active.endsAt ?? 0)).toMatchObject({ ok: true });
  });

  it('asks for an end only once', () => {
    const ending = requestIn('active', { ending: { reason: 'released', by: REQUESTER, at: now } });
    expect(requestEnd(ending, 'revoked', ADMIN, now, { isAdmin: true })).toEqual({ ok: false, code: 'already_ending' });
  });

  it('ends a grant only after an end was asked for, with that reason', () => {
    expect(confirmEnd(requestIn('active'), now, { outcome: 'removed' })).toMatchObject({ ok: false, code: 'wrong_state', state: 'active' });
    const ending = requestIn('active', { ending: { reason: 'revoked', by: ADMIN, at: now } });
    expect(confirmEnd(ending, now + 5, { outcome: 'absent' })).toMatchObject({
      ok: true,
      request: { state: 'ended', endedAt: now + 5, endReason: 'revoked', removal: 'absent' },
      audit: { action: 'ended', detail: { reason: 'revoked', removal: 'absent' } },
    });
  });
});

describe('an assignment the bot did not make', () => {
  it('ends the grant leaving the membership to the assignment that holds it, with no Boundary sign-out', () => {
    const ending = { ...requestIn('active'), ending: { reason: 'expired' as const, by: SYSTEM, at: now } };
    const ended = endHeldElsewhere(ending, now + 5, 'sched-admin');
    expect(ended).toMatchObject({
      ok: true,
      request: { state: 'ended', endReason: 'expired', endedAt: now + 5, heldBy: 'sched-admin', removal: 'held' },
      audit: { action: 'ended', detail: { reason: 'expired', removal: 'held', heldBy: 'sched-admin' } },
      jobs: [{ kind: 'notify', event: 'ended' }],
    });
  });

  it('records a cleanup that found the membership held by it', () => {
    const failed = { ...requestIn('failed'), grantCall: { sentAt: now, kind: 'pim_group' as const, groupId: target.grant.groupId } };
    expect(recordCleanup(failed, 'standing', now, { heldBy: 'sched-admin' })).toMatchObject({
      ok: true,
      request: { cleanup: { at: now, result: 'standing' }, heldBy: 'sched-admin' },
      audit: { action: 'cleaned_up', detail: { result: 'standing', heldBy: 'sched-admin' } },
    });
  });
});

describe('checkReason', () => {
  it.each([
    [undefined, { ok: false, code: 'reason_missing' }],
    ['   \n\t ', { ok: false, code: 'reason_missing' }],
    ['fix it', { ok: false, code: 'reason_too_short' }],
    ['x'.repeat(501), { ok: false, code: 'reason_too_long' }],
    ['  Rotate the TLS certificate on web-1  ', { ok: true, reason: 'Rotate the TLS certificate on web-1' }],
  ])('judges %j', (text, expected) => {
    expect(checkReason(text)).toEqual(expected);
  });
});

describe('a stored request, read back as the type of its state', () => {
  const stored = (state: RequestState, overrides: Partial<RequestFields> = {}): RequestFields => ({
    ...fieldsOf(requestIn(state)),
    ...overrides,
  });

  it.each([
    ['active', 'grant', 'without its grant'],
    ['active', 'endsAt', 'without its end time'],
    ['ended', 'ending', 'without the end asked for'],
    ['ended', 'endedAt', 'without its end'],
    ['denied', 'denial', 'without its denial'],
    ['cancelled', 'cancelledAt', 'without its cancel time'],
    ['failed', 'failure', 'without its failure'],
  ] as const)('refuses a %s request stored without %s, as a corrupt row', (state, field, words) => {
    const { [field]: _dropped, ...rest } = stored(state) as RequestFields & Record<string, unknown>;
    expect(() => parseRequest(rest as RequestFields)).toThrow(CorruptRequest);
    expect(() => parseRequest(rest as RequestFields)).toThrow(words);
  });

  it.each([
    [{}, 'removed'],
    [{ keptBy: 'req_OTHER' }, 'kept'],
    [{ heldBy: 'sched-admin' }, 'held'],
    [{ removal: 'absent' as const }, 'absent'],
  ])('reads an end stored before ends recorded their outcome from what it kept: %o is %s', (overrides, removal) => {
    const { removal: _none, ...legacy } = stored('ended');
    expect(parseRequest({ ...legacy, ...overrides })).toMatchObject({ state: 'ended', removal });
  });

  it('reads every state back as it was written', () => {
    for (const state of REQUEST_STATES) expect(parseRequest(stored(state))).toEqual(requestIn(state));
  });
});
