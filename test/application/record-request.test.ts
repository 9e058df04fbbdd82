import { describe, expect, it } from 'vitest';
import { recordRequest } from '../../src/application/record-request.js';
import { makeTarget, OUTSIDER, REQUESTER, T0 } from '../support/fixtures.js';
import { GOOD_REQUEST, setUpRequests } from '../support/request-deps.js';

describe('recordRequest', () => {
  it('stores a pending request with its audit event and a notification job', async () => {
    const deps = setUpRequests();
    const outcome = await recordRequest(deps, { ...GOOD_REQUEST, reason: '  Investigating incident INC-42  ' });
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
    const deps = setUpRequests([makeTarget({ requesters: { users: [REQUESTER] } })]);
    expect(await recordRequest(deps, { ...GOOD_REQUEST, ...change })).toEqual({ ok: false, code });
    expect(deps.requests.requests.size).toBe(0);
  });
});
