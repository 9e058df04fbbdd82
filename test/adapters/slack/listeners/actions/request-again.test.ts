import { afterEach, describe, expect, it } from 'vitest';
import { renderDirectNews } from '../../../../../src/adapters/slack/blocks/notifications.js';
import { ACTION, INPUT, VIEW } from '../../../../../src/adapters/slack/ids.js';
import type { RequestAgainOutcome } from '../../../../../src/application/request-again.js';
import { REQUESTER, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** The ended-access DM the requester clicks Request again on. */
async function endedDm(h: ListenerHarness) {
  const news = renderDirectNews(requestIn('ended'), 'ended', TARGET);
  if (!news) throw new Error('no DM for an ended request');
  await h.app.client.chat.postMessage({ channel: REQUESTER, ...news });
  return h.sim.waitFor(() => h.sim.person(REQUESTER).dms().at(-1), 2000, 'the DM');
}

describe('Request again', () => {
  it('opens the request form pre-filled from the request the button names, for the person who clicked', async () => {
    const outcome: RequestAgainOutcome = {
      ok: true,
      targets: [TARGET],
      selected: TARGET,
      prefill: { reason: 'Rotate the TLS keys on web-1', durationMinutes: 120 },
    };
    const useCases = fakeUseCases({ requestAgain: async () => outcome, warmUpIdentity: async () => {} });
    harness = await startListeners(useCases);
    const sam = harness.sim.person(REQUESTER);

    expect(await sam.click(ACTION.requestAgain, { message: await endedDm(harness) })).toMatchObject({ acked: true });
    const modal = await sam.waitForModal();
    expect(modal.definition.callback_id).toBe(VIEW.request);
    expect(modal.values[INPUT.reason]?.[INPUT.value]).toMatchObject({ value: 'Rotate the TLS keys on web-1' });
    expect(modal.values[`${INPUT.durationPrefix}prod-ssh`]?.[INPUT.value]).toMatchObject({ selected_option: { value: '120' } });
    expect(useCases.calls[0]).toEqual(['requestAgain', { requestId: 'req_TEST', actorId: REQUESTER }]);
  });

  it('answers privately, without a form, when the target is no longer in the policy', async () => {
    harness = await startListeners(
      fakeUseCases({ requestAgain: async () => ({ ok: false, code: 'target_removed', targetId: 'prod-ssh' }) }),
    );
    const sam = harness.sim.person(REQUESTER);

    await sam.click(ACTION.requestAgain, { message: await endedDm(harness) });
    const [reply] = await harness.sim.waitFor(() => sam.ephemerals().length > 0 && sam.ephemerals(), 2000, 'the reply');
    expect(reply?.text).toBe(
      'The target of this request (`prod-ssh`) is no longer in the policy. Type `/jit` to see what you may ask for.',
    );
    expect(sam.modal).toBeUndefined();
  });
});
