import { afterEach, describe, expect, it } from 'vitest';
import { VIEW } from '../../../../../src/adapters/slack/ids.js';
import { REQUESTER, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('/jit', () => {
  it('opens the request modal and looks the person up while they type', async () => {
    const useCases = fakeUseCases({ requestOptions: () => ({ targets: [TARGET], selected: TARGET }), warmUpIdentity: async () => {} });
    harness = await startListeners(useCases);

    expect(await harness.sim.person(REQUESTER).slash('/jit')).toEqual({ acked: true, payload: {} });
    expect((await harness.sim.person(REQUESTER).waitForModal()).definition.callback_id).toBe(VIEW.request);
    await harness.sim.waitFor(() => useCases.calls.some(([name]) => name === 'warmUpIdentity'));
  });

  it('answers /jit list in the ack with the person’s requests', async () => {
    const useCases = fakeUseCases({ listRequests: async () => [requestIn('active')], targetOf: () => TARGET });
    harness = await startListeners(useCases);

    const ack = await harness.sim.person(REQUESTER).slash('/jit', 'list');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral', text: 'You have 1 request(s).' });
    expect(useCases.calls[0]).toEqual(['listRequests', REQUESTER]);
  });

  it('answers an unknown target with the help, naming what it did not understand', async () => {
    harness = await startListeners(fakeUseCases({ targetOf: () => undefined }));

    const ack = await harness.sim.person(REQUESTER).slash('/jit', 'nope');
    expect(String(ack.payload?.text)).toMatch(/^I don't know `nope`\. Here is what I understand:/);
    expect(harness.sim.person(REQUESTER).modal).toBeUndefined();
  });
});

describe('/jit why', () => {
  it('answers privately in the ack with the target’s rules as they apply to the person', async () => {
    const useCases = fakeUseCases({
      explainTarget: async () => ({ known: false, asked: 'nope', requestable: [TARGET] }),
    });
    harness = await startListeners(useCases);

    const ack = await harness.sim.person(REQUESTER).slash('/jit', 'why nope');
    expect(ack.payload).toMatchObject({
      response_type: 'ephemeral',
      text: "I don't know `nope`. You may ask for:\n• `prod-ssh` — Production servers (SSH)",
    });
    expect(useCases.calls).toEqual([['explainTarget', REQUESTER]]);
    expect(harness.sim.person(REQUESTER).modal).toBeUndefined();
  });

  it('asks the use case about the named target, whatever the case of the word why', async () => {
    const asked: string[] = [];
    harness = await startListeners(
      fakeUseCases({
        explainTarget: async (_userId, targetId) => {
          asked.push(targetId);
          return { known: false, asked: targetId, requestable: [] };
        },
      }),
    );

    await harness.sim.person(REQUESTER).slash('/jit', 'Why prod-ssh');
    await harness.sim.person(REQUESTER).slash('/jit', 'why');
    expect(asked).toEqual(['prod-ssh', '']);
  });
});
