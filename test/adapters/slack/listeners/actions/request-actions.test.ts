import { afterEach, describe, expect, it } from 'vitest';
import { renderHome } from '../../../../../src/adapters/slack/blocks/home-tab.js';
import { ACTION } from '../../../../../src/adapters/slack/ids.js';
import { grantedIn, REQUESTER, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const changed = async () => ({ ok: true as const, request: requestIn('active'), previous: requestIn('active') });

async function homeWith(h: ListenerHarness, data: Parameters<typeof renderHome>[0]) {
  await h.app.client.views.publish({ user_id: REQUESTER, view: renderHome(data) });
}

describe('Cancel, End access now and Revoke', () => {
  it('ends the requester’s own access as released when they click End access now on the Home tab', async () => {
    const useCases = fakeUseCases({ endAccess: changed });
    harness = await startListeners(useCases);
    const base = {
      viewerId: REQUESTER,
      isAdmin: false,
      myPending: [],
      awaitingMe: [],
      allActive: [],
      allActiveCount: 0,
      breakGlassToReview: [],
      extensionsAwaitingMe: [],
      targetOf: () => TARGET,
    };
    await homeWith(harness, { ...base, myActive: [grantedIn()] });

    expect(await harness.sim.person(REQUESTER).click(ACTION.endAccess, 'home')).toMatchObject({ acked: true });
    expect(useCases.calls).toEqual([['endAccess', { requestId: 'req_TEST', actorId: REQUESTER, reason: 'released' }]]);
  });

  it('tells the requester by DM why a Cancel on the Home tab changed nothing', async () => {
    harness = await startListeners(fakeUseCases({ cancel: async () => ({ ok: false, code: 'wrong_state', state: 'approved' }) }));
    const base = {
      viewerId: REQUESTER,
      isAdmin: false,
      myActive: [],
      awaitingMe: [],
      allActive: [],
      allActiveCount: 0,
      breakGlassToReview: [],
      extensionsAwaitingMe: [],
      targetOf: () => TARGET,
    };
    await homeWith(harness, { ...base, myPending: [requestIn('pending')] });

    await harness.sim.person(REQUESTER).click(ACTION.cancel, 'home');
    const [dm] = await harness.sim.waitFor(() => harness?.sim.person(REQUESTER).dms().length === 1 && harness.sim.person(REQUESTER).dms());
    expect(dm?.text).toBe('Nothing changed: this request was already approved.');
  });
});
