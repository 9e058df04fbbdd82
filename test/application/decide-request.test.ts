import { describe, expect, it } from 'vitest';
import { cancelRequest } from '../../src/application/cancel-request.js';
import { decideRequest } from '../../src/application/decide-request.js';
import { recordRequest } from '../../src/application/record-request.js';
import { approve } from '../../src/domain/access-request.js';
import { FakeClock, FakeEntraDirectory, FakeRequestRepository, FakeSlackProfiles, SequentialIds } from '../support/fakes.js';
import { APPROVER_1, APPROVER_2, makePolicy, makeTarget, OUTSIDER, REQUESTER, T0 } from '../support/fixtures.js';
import { knowPeople } from '../support/job-harness.js';

function setUp(targets = [makeTarget()]) {
  const deps = {
    requests: new FakeRequestRepository(),
    policy: makePolicy(targets),
    clock: new FakeClock(T0),
    ids: new SequentialIds(),
    profiles: new FakeSlackProfiles(),
    directory: new FakeEntraDirectory(),
  };
  knowPeople(deps.profiles, deps.directory, [APPROVER_1, APPROVER_2, OUTSIDER]);
  return deps;
}

const goodInput = {
  requesterId: REQUESTER,
  principalId: '11111111-1111-4111-8111-111111111111',
  targetId: 'prod-ssh',
  reason: 'Investigating incident INC-42',
  durationMinutes: 60,
};

describe('recordRequest', () => {
  it('stores a pending request with its audit event and a notification job', async () => {
    const deps = setUp();
    const outcome = await recordRequest(deps, { ...goodInput, reason: '  Investigating incident INC-42  ' });
    expect(outcome).toMatchObject({
      ok: true,
      request: { id: 'req_0001', state: 'pending', reason: 'Investigating incident INC-42', pendingUntil: T0 + 240 * 60_000 },
    });
    expect(deps.requests.audit.map((event) => event.action)).toEqual(['requested']);
    expect(deps.requests.jobs).toMatchObject([{ kind: 'notify', event: 'requested', requestId: 'req_0001', state: 'queued', runAt: T0 }]);
  });

  it.each([
    [{ targetId: 'nope' }, 'unknown_target'],
    [{ requesterId: OUTSIDER }, 'not_a_requester'],
    [{ reason: '   ' }, 'reason_missing'],
    [{ reason: 'because' }, 'reason_too_short'],
    [{ durationMinutes: 480 }, 'duration_too_long'],
    [{ durationMinutes: 45 }, 'duration_not_offered'],
  ])('refuses %j with %s and stores nothing', async (change, code) => {
    const deps = setUp([makeTarget({ requesters: { users: [REQUESTER] } })]);
    expect(await recordRequest(deps, { ...goodInput, ...change })).toEqual({ ok: false, code });
    expect(deps.requests.requests.size).toBe(0);
  });
});

describe('decideRequest', () => {
  it('approves and orders exactly one grant', async () => {
    const deps = setUp();
    await recordRequest(deps, goodInput);
    expect(await decideRequest(deps, { requestId: 'req_0001', actorId: APPROVER_1, decision: 'approve' })).toMatchObject({
      ok: true,
      request: { state: 'approved' },
    });
    expect(await decideRequest(deps, { requestId: 'req_0001', actorId: APPROVER_2, decision: 'approve' })).toMatchObject({
      ok: false,
      code: 'wrong_state',
      state: 'approved',
      decidedBy: APPROVER_1,
    });
    expect(deps.requests.jobs.filter((job) => job.kind === 'grant')).toHaveLength(1);
  });

  it('decides again on the fresh request when another approver wrote first, so quorum is never lost', async () => {
    const deps = setUp([makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } })]);
    await recordRequest(deps, goodInput);
    // APPROVER_1's approval lands between APPROVER_2's read and write.
    deps.requests.beforeNextApply = () => {
      const stored = deps.requests.requests.get('req_0001');
      if (!stored) throw new Error('missing');
      const first = approve(
        stored,
        makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } }),
        APPROVER_1,
        T0,
      );
      if (first.ok) deps.requests.requests.set('req_0001', first.request);
    };
    const outcome = await decideRequest(deps, { requestId: 'req_0001', actorId: APPROVER_2, decision: 'approve' });
    expect(outcome).toMatchObject({
      ok: true,
      request: { state: 'approved', approvals: [{ approverId: APPROVER_1 }, { approverId: APPROVER_2 }] },
    });
    expect(deps.requests.jobs.filter((job) => job.kind === 'grant')).toHaveLength(1);
  });

  it('times a request out when an approver clicks after the pending timeout', async () => {
    const deps = setUp();
    await recordRequest(deps, goodInput);
    deps.clock.advance(240 * 60_000);
    expect(await decideRequest(deps, { requestId: 'req_0001', actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'wrong_state',
      state: 'timed_out',
    });
    expect((await deps.requests.find('req_0001'))?.state).toBe('timed_out');
    expect(deps.requests.jobs.filter((job) => job.kind === 'grant')).toHaveLength(0);
  });

  it('refuses when the target has since been removed from the policy', async () => {
    const deps = setUp();
    await recordRequest(deps, goodInput);
    const withoutTarget = { ...deps, policy: makePolicy([makeTarget({ id: 'other' })]) };
    expect(await decideRequest(withoutTarget, { requestId: 'req_0001', actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'target_removed',
    });
  });

  it('refuses an unknown request', async () => {
    expect(await decideRequest(setUp(), { requestId: 'req_9999', actorId: APPROVER_1, decision: 'deny' })).toEqual({
      ok: false,
      code: 'unknown_request',
    });
  });

  it('lets the requester cancel while pending', async () => {
    const deps = setUp();
    await recordRequest(deps, goodInput);
    expect(await cancelRequest(deps, { requestId: 'req_0001', actorId: APPROVER_1 })).toEqual({ ok: false, code: 'not_the_requester' });
    expect(await cancelRequest(deps, { requestId: 'req_0001', actorId: REQUESTER })).toMatchObject({
      ok: true,
      request: { state: 'cancelled' },
    });
  });
});
