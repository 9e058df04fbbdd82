import { describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/application/decide-request.js';
import { endAccess } from '../../src/application/end-access.js';
import { backoffMs, NOTIFY_MAX_ATTEMPTS, REVOKE_ALERT_AFTER, runJob } from '../../src/application/jobs/index.js';
import { nextSweepAt, sweep } from '../../src/application/sweep.js';
import { approve, confirmGrant, journalGrantCall, openRequest } from '../../src/domain/access-request.js';
import { remindApprovers } from '../../src/domain/reminders.js';
import { FakeBoundarySignOuts } from '../support/fakes.js';
import { ADMIN, APPROVER_1, fields, makePolicy, makeTarget, REQUESTER, T0 } from '../support/fixtures.js';
import { approved, drain, PRINCIPAL, setUpJobs, submitted } from '../support/job-harness.js';

const MINUTE = 60_000;

describe('the grant job', () => {
  it('grants for the approved duration and starts the clock when the grant call is sent', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps, 120);
    deps.clock.advance(1500);
    expect(await drain(deps)).toEqual(['grant:done', 'notify:done', 'notify:done', 'notify:done']);
    expect(deps.access.calls).toEqual([
      {
        op: 'grant',
        groupId: makeTarget().grant.groupId,
        principalId: PRINCIPAL,
        durationMinutes: 120,
        justification: `Investigating incident INC-42 (jit-access-bot ${id})`,
      },
    ]);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'active',
      grantedAt: T0 + 1500,
      endsAt: T0 + 1500 + 120 * MINUTE,
      grant: { principalId: PRINCIPAL },
    });
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'approved', 'granted']);
  });

  it('waits as long as Graph asks on a transient failure, then grants', async () => {
    const { deps, store } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: false, kind: 'transient', message: 'TooManyRequests', retryAfterMs: 7000 }];
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('approved');
    expect(store.jobs.find((job) => job.kind === 'grant')).toMatchObject({
      state: 'queued',
      runAt: T0 + 7000,
      lastError: 'TooManyRequests',
      attempts: 1,
    });
    deps.clock.advance(7000);
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('active');
  });

  it('backs off exponentially without Retry-After, up to five minutes', () => {
    expect([1, 2, 3, 4, 10, 20].map((attempts) => backoffMs(attempts))).toEqual([1000, 2000, 4000, 8000, 300_000, 300_000]);
    expect(backoffMs(3, 0)).toBe(0);
  });

  it('fails the request with the cause on a permanent refusal, and tells everyone', async () => {
    const { deps, store } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [
      {
        ok: false,
        kind: 'permanent',
        code: 'Authorization_RequestDenied',
        message: '403 Authorization_RequestDenied: Insufficient privileges',
      },
    ];
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'failed',
      failure: '403 Authorization_RequestDenied: Insufficient privileges',
    });
    expect(store.jobs.find((job) => job.kind === 'grant')?.state).toBe('done');
    expect(deps.notifier.told.map((told) => told.event)).toContain('failed');
  });

  it('fails a request whose target left the policy, without calling Graph', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    const withoutTarget = { ...deps, policy: makePolicy([makeTarget({ id: 'other' })]) };
    await drain(withoutTarget);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'failed',
      failure: 'the target was removed from the policy before the grant',
    });
    expect(deps.access.calls).toEqual([]);
  });

  it('fails as already held, and never removes it, when a first grant call finds the membership there', async () => {
    const { deps, store } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    expect(await drain(deps)).toContain('grant:done');
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'standing' } });
    expect(fields(await deps.requests.find(id))?.failure).toMatch(/^already held/);
    expect(store.jobs.filter((job) => job.kind === 'cleanup' || job.kind === 'revoke')).toEqual([]);
    expect(deps.access.calls.map((call) => call.op)).toEqual(['grant']);
  });

  it('counts "already there" as its own grant when it answers a retry of a journaled call', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    // The first call landed in Entra, but its answer was lost; the retry is told the membership exists.
    deps.access.grantAnswers = [
      { ok: false, kind: 'transient', message: 'socket hang up' },
      { ok: true, alreadyPresent: true },
    ];
    await drain(deps);
    deps.clock.advance(1000);
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('active');
  });

  it('counts the first grant call, not the late confirmation, as the start of the clock', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps, 60);
    const sentAt = deps.clock.now();
    deps.access.grantAnswers = [{ ok: false, kind: 'transient', message: 'timeout', retryAfterMs: 45_000 }];
    await drain(deps);
    deps.clock.advance(45_000);
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'active', grantedAt: sentAt, endsAt: sentAt + 60 * MINUTE });
  });

  it('fails a grant still not made 15 minutes after the approval, with the last error', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = Array.from({ length: 40 }, () => ({ ok: false as const, kind: 'transient' as const, message: '503 busy' }));
    for (let minute = 0; minute < 17; minute++) {
      await drain(deps);
      deps.clock.advance(MINUTE);
    }
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('failed');
    expect(fields(await deps.requests.find(id))?.failure).toMatch(/within 15 minutes of the approval \(last error: 503 busy\)/);
  });

  it('removes what a call whose answer was lost may have created, when the retry fails for good', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [
      { ok: false, kind: 'transient', message: 'socket hang up' },
      { ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403 after a consent change' },
    ];
    await drain(deps);
    deps.access.present.add(`${makeTarget().grant.groupId}/${PRINCIPAL}`);
    deps.clock.advance(1000);
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'removed' } });
    expect(deps.access.calls.map((call) => call.op)).toEqual(['grant', 'grant', 'revoke']);
  });

  it('ends the person’s Boundary sign-ins after removing what a failed grant’s call created', async () => {
    const { deps } = setUpJobs();
    const withBoundary = { ...deps, boundary: new FakeBoundarySignOuts() };
    const id = await approved(deps);
    deps.access.grantAnswers = [
      { ok: false, kind: 'transient', message: 'socket hang up' },
      { ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403 after a consent change' },
    ];
    await drain(withBoundary);
    deps.access.present.add(`${makeTarget().grant.groupId}/${PRINCIPAL}`);
    deps.clock.advance(1000);
    expect((await drain(withBoundary)).filter((outcome) => !outcome.startsWith('notify'))).toEqual([
      'grant:done',
      'cleanup:done',
      'sign_out:done',
    ]);
    expect(withBoundary.boundary.people).toEqual([{ principalId: PRINCIPAL, email: '' }]);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'removed' }, signOut: { tokensRevoked: 2 } });
    expect(deps.notifier.told.map((told) => told.event)).toContain('signed_out');
  });

  it('leaves a PIM assignment the bot did not make when cleaning up, and records which one holds the membership', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [
      { ok: false, kind: 'transient', message: 'socket hang up' },
      { ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403 after a consent change' },
    ];
    deps.access.heldElsewhere.set(`${makeTarget().grant.groupId}/${PRINCIPAL}`, 'sched-admin');
    await drain(deps);
    deps.clock.advance(1000);
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'standing' }, heldBy: 'sched-admin' });
    expect(deps.access.calls.at(-1)).toMatchObject({ op: 'revoke', ownership: { requestId: id } });
    expect(deps.notifier.told.at(-1)).toMatchObject({ event: 'cleaned_up' });
  });

  it('leaves nothing to clean up when a first call is refused before it could land', async () => {
    const { deps, store } = setUpJobs();
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403' }];
    await drain(deps);
    expect(fields(await deps.requests.find(id))?.cleanup).toBeUndefined();
    expect(store.jobs.filter((job) => job.kind === 'cleanup')).toEqual([]);
  });

  it('runs a claimed job again when its worker died before finishing', async () => {
    const { deps, store } = setUpJobs();
    await approved(deps);
    const [lost] = await deps.jobs.claimDue(deps.clock.now(), 1, 30_000);
    expect((await deps.jobs.claimDue(deps.clock.now(), 10, 30_000)).map((job) => job.id)).not.toContain(lost?.id);
    deps.clock.advance(30_000);
    expect((await deps.jobs.claimDue(deps.clock.now(), 10, 30_000)).map((job) => job.id)).toContain(lost?.id);
    expect(store.jobs.find((job) => job.id === lost?.id)?.attempts).toBe(2);
  });
});

describe('the revoke job', () => {
  it('ends a released grant through the revoke job, using what was granted even if the policy changed since', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    const moved = {
      ...deps,
      policy: makePolicy([makeTarget({ grant: { kind: 'group_membership', groupId: '99999999-9999-4999-8999-999999999999' } })]),
    };
    expect(await endAccess(moved, { requestId: id, actorId: REQUESTER, reason: 'released' })).toMatchObject({
      ok: true,
      request: { state: 'active' },
    });
    await drain(moved);
    expect(deps.access.calls.at(-1)).toEqual({
      op: 'revoke',
      groupId: makeTarget().grant.groupId,
      principalId: PRINCIPAL,
      ownership: { requestId: id, reference: 'ref-1' },
    });
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'released' });
  });

  it('says how it found the request and how it left it, so the metrics need no reads of their own', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    const [revoke] = (await deps.jobs.claimDue(deps.clock.now(), 10, 30_000)).filter((job) => job.kind === 'revoke');
    if (!revoke) throw new Error('no revoke job');
    const outcome = await runJob(deps, revoke);
    expect(outcome).toMatchObject({ result: 'done', before: { state: 'active' }, after: { state: 'ended', endReason: 'released' } });
    expect(outcome.after).toEqual(await deps.requests.find(id));
  });

  it('ends a grant whose PIM assignment was replaced by one the bot did not make, leaving that one and saying so', async () => {
    const { deps, store } = setUpJobs();
    const withBoundary = { ...deps, boundary: new FakeBoundarySignOuts() };
    const id = await approved(deps);
    await drain(deps);
    deps.access.heldElsewhere.set(`${makeTarget().grant.groupId}/${PRINCIPAL}`, 'sched-admin');
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(withBoundary);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'released', heldBy: 'sched-admin' });
    expect(deps.access.present.has(`${makeTarget().grant.groupId}/${PRINCIPAL}`)).toBe(true);
    expect(deps.notifier.told.at(-1)).toMatchObject({ event: 'ended', state: 'ended' });
    // The person still holds the group: their Boundary sign-ins are theirs to keep.
    expect(withBoundary.boundary.people).toEqual([]);
    expect(store.jobs.filter((job) => job.kind === 'revoke' && job.state !== 'done')).toEqual([]);
  });

  it('keeps a membership two targets share until the last of their grants ends, and says which one keeps it', async () => {
    const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]));
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(deps);
    const second = await approved(deps, 120, 'prod-db');
    // Entra already holds the membership for the first grant; the second call is told it exists.
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    await drain(deps);
    expect((await deps.requests.find(second))?.state).toBe('active');
    // Both are PIM grants on one assignment: Entra's own end moves to the later of the two.
    expect(deps.access.calls.filter((call) => call.op === 'extend')).toEqual([
      {
        op: 'extend',
        groupId: makeTarget().grant.groupId,
        principalId: PRINCIPAL,
        endsAt: fields(await deps.requests.find(second))?.endsAt,
      },
    ]);

    await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect(await deps.requests.find(first)).toMatchObject({ state: 'ended', keptBy: second });
    expect(deps.access.calls.filter((call) => call.op === 'revoke')).toEqual([]);

    await endAccess(deps, { requestId: second, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect((await deps.requests.find(second))?.state).toBe('ended');
    expect(fields(await deps.requests.find(second))?.keptBy).toBeUndefined();
    expect(deps.access.calls.filter((call) => call.op === 'revoke')).toHaveLength(1);
  });

  it('cuts an approved duration to a maximum the policy lowered since, and grants no longer than that', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps, 240);
    const lowered = { ...deps, policy: makePolicy([makeTarget({ duration: { defaultMinutes: 60, maxMinutes: 60, choices: [] } })]) };
    await drain(lowered);
    expect(deps.access.calls[0]).toMatchObject({ op: 'grant', durationMinutes: 60 });
    expect(await deps.requests.find(id)).toMatchObject({ state: 'active', durationMinutes: 60 });
    expect(fields(await deps.requests.find(id))?.endsAt).toBe((fields(await deps.requests.find(id))?.grantedAt ?? 0) + 60 * MINUTE);
  });

  it('checks PIM eligibility again at grant time when the policy now requires it', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    const strict = {
      ...deps,
      policy: makePolicy([makeTarget({ grant: { kind: 'pim_group', groupId: makeTarget().grant.groupId, requireEligibility: true } })]),
    };
    deps.access.eligible = false;
    await drain(strict);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'failed',
      failure: 'the requester is no longer eligible for this group in PIM',
    });
    expect(deps.access.calls.filter((call) => call.op === 'grant')).toEqual([]);
  });

  it('ends the person’s Boundary sign-ins once Entra confirmed the end, and records what it ended', async () => {
    const { deps } = setUpJobs();
    const boundary = new FakeBoundarySignOuts();
    const withBoundary = { ...deps, boundary };
    const id = await approved(deps);
    await drain(withBoundary);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    expect((await drain(withBoundary)).filter((outcome) => !outcome.startsWith('notify'))).toEqual(['revoke:done', 'sign_out:done']);
    expect(boundary.people).toEqual([{ principalId: PRINCIPAL, email: '' }]);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'ended',
      signOut: { tokensRevoked: 2, sessionsEnded: 1, otherAccounts: 0 },
    });
    expect(deps.notifier.told.map((told) => told.event)).toContain('signed_out');
  });

  it('keeps trying to end Boundary sign-ins, tells the approvers after five failures, and never delays the Entra end', async () => {
    const { deps } = setUpJobs();
    const boundary = new FakeBoundarySignOuts();
    boundary.answers = Array.from({ length: 6 }, () => ({ ok: false as const, kind: 'transient' as const, message: '503 from Boundary' }));
    const withBoundary = { ...deps, boundary };
    const id = await approved(deps);
    await drain(withBoundary);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(withBoundary);
    expect((await deps.requests.find(id))?.state).toBe('ended');
    for (let attempt = 0; attempt < 8; attempt++) {
      deps.clock.advance(5 * MINUTE);
      await drain(withBoundary);
    }
    expect(deps.notifier.told.filter((told) => told.event === 'revoke_failing')).toHaveLength(1);
    expect(fields(await deps.requests.find(id))?.signOut).toBeDefined();
  });

  it('leaves Boundary alone when another grant still covers the membership', async () => {
    const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]));
    const boundary = new FakeBoundarySignOuts();
    const withBoundary = { ...deps, boundary };
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(withBoundary);
    await approved(deps, 120, 'prod-db');
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    await drain(withBoundary);
    await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    await drain(withBoundary);
    expect(boundary.people).toEqual([]);
  });

  it('lets an admin revoke and nobody else', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    expect(await endAccess(deps, { requestId: id, actorId: APPROVER_1, reason: 'revoked' })).toEqual({ ok: false, code: 'not_allowed' });
    expect(await endAccess(deps, { requestId: id, actorId: ADMIN, reason: 'revoked' })).toMatchObject({ ok: true });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked' });
  });

  it('keeps retrying a failing revocation, raises it with the approvers once, and never gives up', async () => {
    const { deps, store } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    deps.access.revokeAnswers = Array.from({ length: 9 }, () => ({
      ok: false as const,
      kind: 'permanent' as const,
      code: 'Authorization_RequestDenied',
      message: '403',
    }));
    for (let attempt = 1; attempt <= 9; attempt++) {
      await drain(deps);
      deps.clock.advance(10 * MINUTE);
    }
    expect(deps.notifier.told.filter((told) => told.event === 'revoke_failing')).toHaveLength(1);
    expect(store.audit.filter((event) => event.action === 'revoke_failing')).toMatchObject([{ detail: { attempts: REVOKE_ALERT_AFTER } }]);
    expect((await deps.requests.find(id))?.state).toBe('active');
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'released' });
    expect(store.jobs.filter((job) => job.state === 'dead')).toEqual([]);
  });
});

describe('notify jobs', () => {
  it('retry a failing notification and give up after the last attempt', async () => {
    const { deps, store } = setUpJobs();
    await submitted(deps);
    deps.notifier.answers = Array.from({ length: NOTIFY_MAX_ATTEMPTS }, () => ({
      ok: false as const,
      kind: 'transient' as const,
      message: 'slack down',
    }));
    for (let attempt = 0; attempt < NOTIFY_MAX_ATTEMPTS; attempt++) {
      await drain(deps);
      deps.clock.advance(10 * MINUTE);
    }
    expect(store.jobs[0]).toMatchObject({ state: 'dead', attempts: NOTIFY_MAX_ATTEMPTS, lastError: 'slack down' });
  });
});

describe('the sweep', () => {
  it('times out pending requests at their timeout, once', async () => {
    const { deps } = setUpJobs();
    const id = await submitted(deps);
    expect(await nextSweepAt(deps)).toBe(T0 + 240 * MINUTE);
    deps.clock.advance(240 * MINUTE - 1);
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
    deps.clock.advance(1);
    expect(await sweep(deps)).toEqual({ timedOut: 1, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
    expect((await deps.requests.find(id))?.state).toBe('timed_out');
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
  });

  it('warns once before the end, then ends the grant through a revoke job', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    const endsAt = fields(await deps.requests.find(id))?.endsAt ?? 0;
    expect(await nextSweepAt(deps)).toBe(endsAt - 10 * MINUTE);
    deps.clock.advance(endsAt - 10 * MINUTE - deps.clock.now());
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 1, realerted: 0, reminded: 0, escalated: 0 });
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
    expect(await nextSweepAt(deps)).toBe(endsAt);
    deps.clock.advance(10 * MINUTE);
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 1, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'expired' });
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'approved', 'granted', 'expiring_soon', 'ended']);
    expect(await nextSweepAt(deps)).toBeUndefined();
  });

  it('ends at most 100 grants a sweep and leaves the rest due, so jobs run between sweeps however many fall due', async () => {
    const { deps } = setUpJobs();
    const target = makeTarget();
    for (let index = 0; index < 150; index++) {
      const opened = openRequest({
        id: `req_${index}`,
        requesterId: REQUESTER,
        principalId: `principal-${index}`,
        target,
        reason: 'Investigating INC-42',
        durationMinutes: 60,
        pendingTimeoutMinutes: 240,
        now: T0,
      });
      await deps.requests.create(opened, T0);
      let request = opened.request;
      for (const decide of [
        (r: typeof request) => approve(r, target, APPROVER_1, T0),
        (r: typeof request) => journalGrantCall(r, target.grant, T0),
        (r: typeof request) =>
          confirmGrant(r, { kind: target.grant.kind, groupId: target.grant.groupId, principalId: `principal-${index}` }, T0),
      ]) {
        const change = decide(request);
        if (!change.ok) throw new Error(change.code);
        await deps.requests.apply(request, change, T0);
        request = change.request;
      }
    }
    deps.clock.advance(60 * MINUTE);
    expect(await sweep(deps)).toMatchObject({ expired: 100 });
    expect(await nextSweepAt(deps)).toBeLessThanOrEqual(deps.clock.now());
    expect(await sweep(deps)).toMatchObject({ expired: 50 });
    expect(await sweep(deps)).toMatchObject({ expired: 0 });
  });

  it('catches up on everything that fell due while the bot was down', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    deps.clock.advance(3 * 60 * MINUTE);
    expect(await sweep(deps)).toEqual({ timedOut: 0, expired: 1, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('ended');
  });
});

describe('the sweep chases a request that waits', () => {
  const DIRECTOR = 'U0DIRECTOR1';
  const chasing = makePolicy([
    makeTarget({
      approvers: {
        channel: 'C0APPROVALS',
        users: [APPROVER_1],
        required: 1,
        remindAfterMinutes: 15,
        escalate: { afterMinutes: 60, users: [DIRECTOR] },
      },
    }),
  ]);

  it('reminds at 15m, 45m and 105m, escalates at 1h, and stops both once the request is decided', async () => {
    const { deps } = setUpJobs(chasing);
    const id = await submitted(deps);
    const swept: string[] = [];
    for (const minutes of [15, 45, 60, 105]) {
      expect(await nextSweepAt(deps)).toBe(T0 + minutes * MINUTE);
      deps.clock.advance(T0 + minutes * MINUTE - deps.clock.now());
      const { reminded, escalated } = await sweep(deps);
      swept.push(`${minutes}m: ${reminded} reminded, ${escalated} escalated`);
      expect(await sweep(deps)).toMatchObject({ reminded: 0, escalated: 0 });
    }
    expect(swept).toEqual([
      '15m: 1 reminded, 0 escalated',
      '45m: 1 reminded, 0 escalated',
      '60m: 0 reminded, 1 escalated',
      '105m: 1 reminded, 0 escalated',
    ]);
    await drain(deps);
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'reminder', 'reminder', 'escalated', 'reminder']);

    const decided = await decideRequest(deps, { requestId: id, actorId: DIRECTOR, decision: 'deny' });
    expect(decided).toMatchObject({ ok: true, request: { state: 'denied' } });
    expect(await nextSweepAt(deps)).toBeUndefined();
    deps.clock.advance(4 * 60 * MINUTE);
    expect(await sweep(deps)).toMatchObject({ reminded: 0, escalated: 0, timedOut: 0 });
  });

  it('sends one reminder, not each one missed, after the bot was down, and none for a request that timed out meanwhile', async () => {
    const { deps } = setUpJobs(chasing);
    await submitted(deps);
    deps.clock.advance(100 * MINUTE);
    expect(await sweep(deps)).toMatchObject({ reminded: 1, escalated: 1 });
    expect(await sweep(deps)).toMatchObject({ reminded: 0, escalated: 0 });
    deps.clock.advance(5 * 60 * MINUTE);
    expect(await sweep(deps)).toMatchObject({ timedOut: 1, reminded: 0, escalated: 0 });
  });

  it('decides a reminder another writer got to first again on what it wrote, so it goes out once', async () => {
    const { deps, store } = setUpJobs(chasing);
    const id = await submitted(deps);
    deps.clock.advance(15 * MINUTE);
    const [listed] = await store.listDue({ kind: 'reminder' }, deps.clock.now(), 10);
    if (!listed) throw new Error('nothing due');
    // Another replica's sweep writes the same reminder between this sweep's read and its write.
    store.beforeNextApply = () => {
      const change = remindApprovers(listed, chasing.targets[0], deps.clock.now());
      if (!change.ok) throw new Error(change.code);
      store.requests.set(id, change.request);
      store.audit.push({ ...change.audit, requestId: id, at: deps.clock.now() });
    };
    expect(await sweep(deps)).toMatchObject({ reminded: 0 });
    expect(store.audit.filter((event) => event.action === 'reminded')).toHaveLength(1);
  });
});

describe('the journal decides, not today’s policy', () => {
  const OLD_GROUP = makeTarget().grant.groupId;
  const NEW_GROUP = '6f1d8a0e-3c2b-4e5f-9a7d-1b2c3d4e5f60';
  const moved = makePolicy([makeTarget({ grant: { kind: 'group_membership', groupId: NEW_GROUP } })]);

  it('never retries a grant into the group a policy edit moved the target to: it fails and cleans up the journaled group', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    // The first call lands in the old group, but its answer is lost; then the policy moves the target.
    deps.access.grantAnswers = [{ ok: false, kind: 'transient', message: 'socket hang up' }];
    await drain(deps);
    deps.access.present.add(`${OLD_GROUP}/${PRINCIPAL}`);
    // Somebody's standing membership of the new group, which must never be taken for the bot's.
    deps.access.present.add(`${NEW_GROUP}/${PRINCIPAL}`);
    deps.policy = moved;
    deps.clock.advance(1000);
    await drain(deps);

    const request = await deps.requests.find(id);
    expect(request).toMatchObject({ state: 'failed', cleanup: { result: 'removed' } });
    expect(fields(request)?.failure).toMatch(/policy moved this target to another group/);
    expect(deps.access.calls.map((call) => [call.op, call.groupId])).toEqual([
      ['grant', OLD_GROUP],
      ['revoke', OLD_GROUP],
    ]);
    expect([...deps.access.present]).toEqual([`${NEW_GROUP}/${PRINCIPAL}`]);
    expect(deps.notifier.told.map((told) => told.event)).toContain('failed');
  });

  it('records as granted the group the journaled call went to', async () => {
    const { deps } = setUpJobs();
    const id = await approved(deps);
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ grant: { groupId: OLD_GROUP }, grantCall: { groupId: OLD_GROUP } });
  });
});

describe('grants and removals of one membership never interleave', () => {
  const twoTargets = () => makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]);
  const MEMBERSHIP = `${makeTarget().grant.groupId}/${PRINCIPAL}`;

  it('counts "already exists" as its own when another grant’s end kept the membership for it while its call was on the way', async () => {
    const { deps } = setUpJobs(twoTargets());
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(deps);
    const second = await approved(deps, 60, 'prod-db');
    const grant = deps.access.grant.bind(deps.access);
    deps.access.grant = async (order) => {
      // The first grant ends while the second's call is on its way, then Entra answers that the membership exists.
      await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
      await drain(deps);
      deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
      return grant(order);
    };
    await drain(deps);

    expect(await deps.requests.find(first)).toMatchObject({ state: 'ended', keptBy: second, removal: 'kept' });
    expect(await deps.requests.find(second)).toMatchObject({ state: 'active' });
    expect(deps.access.present.has(MEMBERSHIP)).toBe(true);
    await endAccess(deps, { requestId: second, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect(deps.access.present.has(MEMBERSHIP)).toBe(false);
    expect(await deps.requests.find(second)).toMatchObject({ state: 'ended', removal: 'removed' });
  });

  it('waits while another grant’s removal of the same membership is being retried, instead of calling it already held', async () => {
    const { deps } = setUpJobs(twoTargets());
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(deps);
    await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    deps.access.revokeAnswers = [{ ok: false, kind: 'transient', message: '503' }];
    await drain(deps);
    const second = await approved(deps, 60, 'prod-db');
    // Were the call sent now, Entra would answer that the membership (the first grant's) exists.
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    await drain(deps);
    expect((await deps.requests.find(second))?.state).toBe('approved');
    expect(deps.access.calls.filter((call) => call.op === 'grant')).toHaveLength(1);

    for (let second = 0; second < 5; second++) {
      deps.clock.advance(1000);
      await drain(deps);
    }
    // The first end, retried, found the second grant journaled and kept the membership for it.
    expect(await deps.requests.find(first)).toMatchObject({ state: 'ended', keptBy: second });
    expect(await deps.requests.find(second)).toMatchObject({ state: 'active' });
    expect(deps.access.present.has(MEMBERSHIP)).toBe(true);
    await endAccess(deps, { requestId: second, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect(deps.access.present.has(MEMBERSHIP)).toBe(false);
  });

  it('asks again when the end that "already exists" saw confirmed its removal meanwhile, and grants anew', async () => {
    const { deps } = setUpJobs(twoTargets());
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(deps);
    const second = await approved(deps, 60, 'prod-db');
    const grant = deps.access.grant.bind(deps.access);
    let calls = 0;
    deps.access.grant = async (order) => {
      calls += 1;
      if (calls > 1) return grant(order);
      // Entra answers "exists" (the first grant's membership), and the first grant's removal lands right after.
      const ending = await deps.requests.find(first);
      if (ending?.state !== 'active') throw new Error('no first grant');
      await deps.requests.apply(
        ending,
        {
          ok: true,
          request: {
            ...ending,
            state: 'ended',
            endedAt: deps.clock.now(),
            removal: 'removed',
            ending: { reason: 'released', by: REQUESTER, at: deps.clock.now() },
            endReason: 'released',
            version: ending.version + 1,
          },
          audit: { action: 'ended', actor: 'system', from: 'active', to: 'ended', detail: {} },
          jobs: [],
        },
        deps.clock.now(),
      );
      deps.access.present.delete(MEMBERSHIP);
      return { ok: true, alreadyPresent: true };
    };
    await drain(deps);
    expect((await deps.requests.find(second))?.state).toBe('approved');
    deps.clock.advance(2000);
    await drain(deps);
    expect(await deps.requests.find(second)).toMatchObject({ state: 'active' });
    expect(deps.access.present.has(MEMBERSHIP)).toBe(true);
  });

  it('cleans up a membership another grant’s end kept for a grant that then failed for good', async () => {
    const { deps } = setUpJobs(twoTargets());
    const first = await approved(deps, 60, 'prod-ssh');
    await drain(deps);
    const second = await approved(deps, 60, 'prod-db');
    deps.access.grant = async () => {
      await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
      await drain(deps);
      return { ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403' };
    };
    await drain(deps);
    expect(await deps.requests.find(first)).toMatchObject({ state: 'ended', keptBy: second });
    expect(await deps.requests.find(second)).toMatchObject({ state: 'failed', cleanup: { result: 'removed' } });
    expect(deps.access.present.has(MEMBERSHIP)).toBe(false);
  });
});
