import { describe, expect, it } from 'vitest';
import { requestAgain } from '../../src/application/request-again.js';
import { FakeRequestRepository } from '../support/fakes.js';
import { makePolicy, OUTSIDER, REQUESTER, requestIn } from '../support/fixtures.js';

function depsWith(...requests: ReturnType<typeof requestIn>[]) {
  const repository = new FakeRequestRepository();
  for (const request of requests) repository.requests.set(request.id, request);
  return { requests: repository, policy: makePolicy() };
}

describe('requestAgain', () => {
  it('pre-fills the form from the stored request the button names', async () => {
    const deps = depsWith(requestIn('ended', { id: 'req_OLD', durationMinutes: 120, reason: 'Rotate the TLS keys on web-1' }));
    expect(await requestAgain(deps, { requestId: 'req_OLD', actorId: REQUESTER })).toMatchObject({
      ok: true,
      selected: { id: 'prod-ssh' },
      prefill: { reason: 'Rotate the TLS keys on web-1', durationMinutes: 120 },
    });
  });

  it('refuses a request id it does not know, and a request of someone else', async () => {
    const deps = depsWith(requestIn('denied', { id: 'req_OLD' }));
    expect(await requestAgain(deps, { requestId: 'req_NOPE', actorId: REQUESTER })).toEqual({ ok: false, code: 'unknown_request' });
    expect(await requestAgain(deps, { requestId: 'req_OLD', actorId: OUTSIDER })).toEqual({ ok: false, code: 'not_the_requester' });
  });
});
