import { afterEach, describe, expect, it } from 'vitest';
import { REQUESTER } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('opening the Home tab', () => {
  it('has the Home publisher publish the opener’s tab, and nobody else’s', async () => {
    harness = await startListeners(fakeUseCases({}));

    expect(await harness.sim.person(REQUESTER).openHome()).toMatchObject({ acked: true });
    await harness.sim.waitFor(() => harness?.published.length === 1);
    expect(harness.published).toEqual([[REQUESTER]]);
  });
});
