import { afterEach, describe, expect, it } from 'vitest';
import { renderRequestCard } from '../../../../../src/adapters/slack/blocks/request-card.js';
import { ACTION } from '../../../../../src/adapters/slack/ids.js';
import type { DecideOutcome } from '../../../../../src/application/decide-request.js';
import { APPROVER_1, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function denyWith(decide: () => DecideOutcome, comment: string) {
  const useCases = fakeUseCases({
    previewDecision: async () => ({ ok: true, request: requestIn('pending') }),
    targetOf: () => TARGET,
    decide: async () => decide(),
  });
  harness = await startListeners(useCases);
  const message = await harness.postCard(renderRequestCard(requestIn('pending'), TARGET).blocks);
  const maria = harness.sim.person(APPROVER_1);
  await maria.click(ACTION.deny, { message });
  await maria.waitForModal();
  const submitted = await maria.submit({ comment });
  return { useCases, submitted, maria };
}

describe('the deny modal’s submission', () => {
  it('denies with the trimmed reason and closes the modal', async () => {
    const { useCases, submitted } = await denyWith(
      () => ({ ok: true, request: requestIn('denied'), previous: requestIn('pending') }),
      '  not today  ',
    );

    expect(submitted).toEqual({ ack: { acked: true, payload: {} }, errors: {} });
    await harness?.sim.waitFor(() => useCases.calls.some(([name]) => name === 'decide'));
    expect(useCases.calls.at(-1)).toEqual([
      'decide',
      { requestId: 'req_TEST', actorId: APPROVER_1, decision: 'deny', comment: 'not today' },
    ]);
  });

  it('tells the approver by DM when someone else decided first', async () => {
    const { maria } = await denyWith(() => ({ ok: false, code: 'wrong_state', state: 'denied' }), 'no');

    const [dm] = await (harness?.sim.waitFor(() => maria.dms().length === 1 && maria.dms()) ?? []);
    expect(dm?.text).toBe('Nothing changed: this request was already denied.');
  });
});
