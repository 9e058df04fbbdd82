import { afterEach, describe, expect, it } from 'vitest';
import { INPUT } from '../../../../../src/adapters/slack/ids.js';
import type { RequestAccessOutcome } from '../../../../../src/application/request-access.js';
import { REQUESTER, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function submitWith(answer: RequestAccessOutcome, reason: string) {
  const useCases = fakeUseCases({
    requestOptions: () => ({ targets: [TARGET], selected: TARGET }),
    warmUpIdentity: async () => {},
    requestAccess: async () => answer,
    targetOf: () => TARGET,
  });
  harness = await startListeners(useCases);
  const sam = harness.sim.person(REQUESTER);
  await sam.slash('/jit');
  await sam.waitForModal();
  return { useCases, sam, submitted: await sam.submit({ reason }) };
}

describe('the request modal’s submission', () => {
  it('sends the form to the use case and closes the modal when the request is stored', async () => {
    const { useCases, submitted, sam } = await submitWith({ ok: true, request: requestIn('pending') }, 'Investigating incident INC-42');

    expect(submitted.errors).toEqual({});
    expect(sam.modal).toBeUndefined();
    expect(useCases.calls.find(([name]) => name === 'requestAccess')?.[1]).toEqual({
      requesterId: REQUESTER,
      targetId: 'prod-ssh',
      reason: 'Investigating incident INC-42',
      durationMinutes: 60,
    });
  });

  it('shows a refusal inline under the field it concerns, keeping the modal open', async () => {
    const { submitted, sam } = await submitWith({ ok: false, field: 'reason', code: 'reason_too_short' }, 'short reason');

    expect(Object.keys(submitted.errors)).toEqual([INPUT.reason]);
    expect(sam.modal).toBeDefined();
  });
});
