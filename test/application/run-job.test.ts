import { describe, expect, it } from 'vitest';
import { endAccess } from '../../src/application/end-access.js';
import { backoffMs, NOTIFY_MAX_ATTEMPTS, REVOKE_ALERT_AFTER } from '../../src/application/run-job.js';
import { nextSweepAt, sweep } from '../../src/application/sweep.js';
import { ADMIN, APPROVER_1, makePolicy, makeTarget, REQUESTER, T0 } from '../support/fixtures.js';
import { approved, drain, PRINCIPAL, setUpJobs, submitted } from '../support/job-harness.js';

const MINUTE = 60_000;

describe('the grant job', () => {
  it('grants for the approved duration and starts the clock when the grant is confirmed', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps, 120);
    deps.clock.advance(1500);
    expect(await drain(deps)).toEqual(['notify:done', 'grant:done', 'notify:done', 'notify:done']);
    expect(deps.access.calls).toEqual([
      {
        op: 'grant',
        groupId: makeTarget().grant.groupId,
        principalId: PRINCIPAL,
        durationMinutes: 120,
        justification: `Investigating incident INC-42 (jit-access-bot ${id})`,
      },
    ]);
    expect(deps.requests.find(id)).toMatchObject({
      state: 'active',
      grantedAt: T0 + 1500,
      endsAt: T0 + 1500 + 120 * MINUTE,
      grant: { principalId: PRINCIPAL },
    });
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'approved', 'granted']);
  });

  it('waits as long as Graph asks on a transient failure, then grants', async () => {
    const { deps, store } = setUpJobs();
    const id = approved(deps);
    deps.access.grantAnswers = [{ ok: false, kind: 'transient', message: 'TooManyRequests', retryAfterMs: 7000 }];
    await drain(deps);
    expect(deps.requests.find(id)?.state).toBe('approved');
    expect(store.jobs.find((job) => job.kind === 'grant')).toMatchObject({
      state: 'queued',
      runAt: T0 + 7000,
      lastError: 'TooManyRequests',
      attempts: 1,
    });
    deps.clock.advance(7000);
    await drain(deps);
    expect(deps.requests.find(id)?.state).toBe('active');
  });

  it('backs off exponentially without Retry-After, up to five minutes', () => {
    expect([1, 2, 3, 4, 10, 20].map((attempts) => backoffMs(attempts))).toEqual([1000, 2000, 4000, 8000, 300_000, 300_000]);
    expect(backoffMs(3, 0)).toBe(0);
  });

  it('fails the request with the cause on a permanent refusal, and tells everyone', async () => {
    const { deps, store } = setUpJobs();
    const id = approved(deps);
    deps.access.grantAnswers = [
      {
        ok: false,
        kind: 'permanent',
        code: 'Authorization_RequestDenied',
        message: '403 Authorization_RequestDenied: Insufficient privileges',
      },
    ];
    await drain(deps);
    expect(deps.requests.find(id)).toMatchObject({ state: 'failed', failure: '403 Authorization_RequestDenied: Insufficient privileges' });
    expect(store.jobs.find((job) => job.kind === 'grant')?.state).toBe('done');
    expect(deps.notifier.told.map((told) => told.event)).toContain('failed');
  });

  it('fails a request whose target left the policy, without calling Graph', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    const withoutTarget = { ...deps, policy: makePolicy([makeTarget({ id: 'other' })]) };
    await drain(withoutTarget);
    expect(deps.requests.find(id)).toMatchObject({ state: 'failed', failure: 'the target was removed from the policy before the grant' });
    expect(deps.access.calls).toEqual([]);
  });

  it('counts an assignment left by an earlier, interrupted run as the grant', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    expect(await drain(deps)).toContain('grant:done');
    expect(deps.requests.find(id)?.state).toBe('active');
  });

  it('runs a claimed job again when its worker died before finishing', async () => {
    const { deps, store } = setUpJobs();
    approved(deps);
    const [lost] = deps.jobs.claimDue(deps.clock.now(), 1, 30_000);
    expect(deps.jobs.claimDue(deps.clock.now(), 10, 30_000).map((job) => job.id)).not.toContain(lost?.id);
    deps.clock.advance(30_000);
    expect(deps.jobs.claimDue(deps.clock.now(), 10, 30_000).map((job) => job.id)).toContain(lost?.id);
    expect(store.jobs.find((job) => job.id === lost?.id)?.attempts).toBe(2);
  });
});

describe('the revoke job', () => {
  it('ends a released grant through the revoke job, using what was granted even if the policy changed since', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    await drain(deps);
    const moved = {
      ...deps,
      policy: makePolicy([makeTarget({ grant: { kind: 'group_membership', groupId: '99999999-9999-4999-8999-999999999999' } })]),
    };
    expect(endAccess(moved, { requestId: id, actorId: REQUESTER, reason: 'released' })).toMatchObject({
      ok: true,
      request: { state: 'active' },
    });
    await drain(moved);
    expect(deps.access.calls.at(-1)).toEqual({ op: 'revoke', groupId: makeTarget().grant.groupId, principalId: PRINCIPAL });
    expect(deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'released' });
  });

  it('lets an admin revoke and nobody else', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    await drain(deps);
    expect(endAccess(deps, { requestId: id, actorId: APPROVER_1, reason: 'revoked' })).toEqual({ ok: false, code: 'not_allowed' });
    expect(endAccess(deps, { requestId: id, actorId: ADMIN, reason: 'revoked' })).toMatchObject({ ok: true });
    await drain(deps);
    expect(deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked' });
  });

  it('keeps retrying a failing revocation, raises it with the approvers once, and never gives up', async () => {
    const { deps, store } = setUpJobs();
    const id = approved(deps);
    await drain(deps);
    endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
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
    expect(deps.requests.find(id)?.state).toBe('active');
    await drain(deps);
    expect(deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'released' });
    expect(store.jobs.filter((job) => job.state === 'dead')).toEqual([]);
  });
});

describe('notify jobs', () => {
  it('retry a failing notification and give up after the last attempt', async () => {
    const { deps, store } = setUpJobs();
    submitted(deps);
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
  it('times out pending requests at their timeout, once', () => {
    const { deps } = setUpJobs();
    const id = submitted(deps);
    expect(nextSweepAt(deps)).toBe(T0 + 240 * MINUTE);
    deps.clock.advance(240 * MINUTE - 1);
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0 });
    deps.clock.advance(1);
    expect(sweep(deps)).toEqual({ timedOut: 1, expired: 0, warned: 0 });
    expect(deps.requests.find(id)?.state).toBe('timed_out');
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0 });
  });

  it('warns once before the end, then ends the grant through a revoke job', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    await drain(deps);
    const endsAt = deps.requests.find(id)?.endsAt ?? 0;
    expect(nextSweepAt(deps)).toBe(endsAt - 10 * MINUTE);
    deps.clock.advance(endsAt - 10 * MINUTE - deps.clock.now());
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 1 });
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 0, warned: 0 });
    expect(nextSweepAt(deps)).toBe(endsAt);
    deps.clock.advance(10 * MINUTE);
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 1, warned: 0 });
    await drain(deps);
    expect(deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'expired' });
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'approved', 'granted', 'expiring_soon', 'ended']);
    expect(nextSweepAt(deps)).toBeUndefined();
  });

  it('catches up on everything that fell due while the bot was down', async () => {
    const { deps } = setUpJobs();
    const id = approved(deps);
    await drain(deps);
    deps.clock.advance(3 * 60 * MINUTE);
    expect(sweep(deps)).toEqual({ timedOut: 0, expired: 1, warned: 0 });
    await drain(deps);
    expect(deps.requests.find(id)?.state).toBe('ended');
  });
});
