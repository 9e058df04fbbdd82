import { describe, expect, it } from 'vitest';
import { cancelRequest } from '../../src/application/cancel-request.js';
import { recordRequest } from '../../src/application/record-request.js';
import { APPROVER_1, REQUESTER } from '../support/fixtures.js';
import { GOOD_REQUEST, setUpRequests } from '../support/request-deps.js';

describe('cancelRequest', () => {
  it('lets the requester cancel while pending', async () => {
    const deps = setUpRequests();
    await recordRequest(deps, GOOD_REQUEST);
    expect(await cancelRequest(deps, { requestId: 'req_0001', actorId: APPROVER_1 })).toEqual({ ok: false, code: 'not_the_requester' });
    expect(await cancelRequest(deps, { requestId: 'req_0001', actorId: REQUESTER })).toMatchObject({
      ok: true,
      request: { state: 'cancelled' },
    });
  });
});
