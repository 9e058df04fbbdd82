import { afterEach, describe, expect, it } from 'vitest';
import { INPUT } from '../../../../../src/adapters/slack/ids.js';
import { makeTarget, REQUESTER } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('picking another target in the modal', () => {
  it('swaps the duration choices for the new target', async () => {
    const db = makeTarget({
      id: 'prod-db',
      name: 'Production database',
      duration: { defaultMinutes: 30, maxMinutes: 60, choices: [30, 60] },
    });
    harness = await startListeners(
      fakeUseCases({
        requestOptions: (_userId, targetId) => ({ targets: [TARGET, db], selected: targetId === 'prod-db' ? db : TARGET }),
        warmUpIdentity: async () => {},
      }),
    );
    const sam = harness.sim.person(REQUESTER);
    await sam.slash('/jit');
    await sam.waitForModal();

    await sam.fill(INPUT.target, 'prod-db');
    const blockIds = await harness.sim.waitFor(() => {
      const ids = ((sam.modal?.definition.blocks ?? []) as { block_id?: string }[]).map((block) => block.block_id);
      return ids.includes(`${INPUT.durationPrefix}prod-db`) && ids;
    });
    expect(blockIds).not.toContain(`${INPUT.durationPrefix}prod-ssh`);
  });
});
