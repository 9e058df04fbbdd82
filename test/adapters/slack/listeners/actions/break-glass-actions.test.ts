import { afterEach, describe, expect, it } from 'vitest';
import { renderBreakGlassAlert } from '../../../../../src/adapters/slack/blocks/break-glass-alert.js';
import { ACTION } from '../../../../../src/adapters/slack/ids.js';
import { APPROVER_1, grantedIn, REQUESTER, T0 } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const broken = () => grantedIn('active', { approvals: [], breakGlass: { at: T0 } });
const alert = () => renderBreakGlassAlert(broken(), TARGET).blocks;

describe('Acknowledge on a break-glass alert', () => {
  it('records the review before the ack and tells the reviewer nothing more', async () => {
    const reviewed = grantedIn('active', { approvals: [], breakGlass: { at: T0, review: { by: APPROVER_1, at: T0 + 1 } } });
    const useCases = fakeUseCases({ acknowledgeBreakGlass: async () => ({ ok: true, request: reviewed, previous: broken() }) });
    harness = await startListeners(useCases);
    const message = await harness.postCard(alert());

    expect(await harness.sim.person(APPROVER_1).click(ACTION.acknowledgeBreakGlass, { message })).toMatchObject({ acked: true });
    expect(useCases.calls).toEqual([['acknowledgeBreakGlass', { requestId: 'req_TEST', actorId: APPROVER_1 }]]);
    expect(harness.sim.person(APPROVER_1).ephemerals()).toEqual([]);
  });

  it('tells the person who broke the glass, and only them, that someone else has to review it', async () => {
    harness = await startListeners(fakeUseCases({ acknowledgeBreakGlass: async () => ({ ok: false, code: 'self_review' }) }));
    const message = await harness.postCard(alert());
    harness.sim.workspace.channels.get(message.channel)?.members.add(REQUESTER);

    await harness.sim.person(REQUESTER).click(ACTION.acknowledgeBreakGlass, { message });
    const [reply] = await harness.sim.waitFor(
      () => harness?.sim.person(REQUESTER).ephemerals().length === 1 && harness.sim.person(REQUESTER).ephemerals(),
    );
    expect(reply?.text).toBe(
      'You broke the glass yourself, so you cannot acknowledge it; another approver of this target or an admin has to.',
    );
  });

  it('names the Entra account when the reviewer’s Slack email belongs to the person who broke the glass', async () => {
    harness = await startListeners(
      fakeUseCases({ acknowledgeBreakGlass: async () => ({ ok: false, code: 'same_entra_account', account: 'sam@contoso.example' }) }),
    );
    const message = await harness.postCard(alert());

    await harness.sim.person(APPROVER_1).click(ACTION.acknowledgeBreakGlass, { message });
    const [reply] = await harness.sim.waitFor(
      () => harness?.sim.person(APPROVER_1).ephemerals().length === 1 && harness.sim.person(APPROVER_1).ephemerals(),
    );
    expect(reply?.text).toBe(
      'You cannot acknowledge this break-glass: your Slack email is an address of the Entra account that would receive the access (sam@contoso.example). Another approver has to.',
    );
  });
});
