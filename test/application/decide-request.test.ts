import { describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/application/decide-request.js';
import { recordRequest } from '../../src/application/record-request.js';
import { approve } from '../../src/domain/access-request.js';
import { APPROVER_1, APPROVER_2, makePolicy, makeTarget, T0 } from '../support/fixtures.js';
import { GOOD_REQUEST, setUpRequests } from '../support/request-deps.js';

describe('decideRequest', () => {
  it('approves and orders exactly one grant', async () => {
    const deps = setUpRequests();
    await recordRequest(deps, GOOD_REQUEST);
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
    const deps = setUpRequests([makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } })]);
    await recordRequest(deps, GOOD_REQUEST);
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
    const deps = setUpRequests();
    await recordRequest(deps, GOOD_REQUEST);
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
    const deps = setUpRequests();
    await recordRequest(deps, GOOD_REQUEST);
    const withoutTarget = { ...deps, policy: makePolicy([makeTarget({ id: 'other' })]) };
    expect(await decideRequest(withoutTarget, { requestId: 'req_0001', actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'target_removed',
    });
  });

  it('refuses an unknown request', async () => {
    expect(await decideRequest(setUpRequests(), { requestId: 'req_9999', actorId: APPROVER_1, decision: 'deny' })).toEqual({
      ok: false,
      code: 'unknown_request',
    });
  });
});
