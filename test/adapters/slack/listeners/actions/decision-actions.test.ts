import { afterEach, describe, expect, it } from 'vitest';
import { renderRequestCard } from '../../../../../src/adapters/slack/blocks/request-card.js';
import { ACTION, VIEW } from '../../../../../src/adapters/slack/ids.js';
import { APPROVER_1, requestIn } from '../../../../support/fixtures.js';
import { fakeUseCases, type ListenerHarness, startListeners, TARGET } from '../../../../support/slack-listeners.js';

let harness: ListenerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const card = () => renderRequestCard(requestIn('pending'), TARGET).blocks;

describe('Approve and Deny on the card', () => {
  it('records an approval before the ack and tells the approver nothing more', async () => {
    const useCases = fakeUseCases({ decide: async () => ({ ok: true, request: requestIn('approved'), previous: requestIn('pending') }) });
    harness = await startListeners(useCases);
    const message = await harness.postCard(card());

    expect(await harness.sim.person(APPROVER_1).click(ACTION.approve, { message })).toMatchObject({ acked: true });
    expect(useCases.calls).toEqual([['decide', { requestId: 'req_TEST', actorId: APPROVER_1, decision: 'approve' }]]);
    expect(harness.sim.person(APPROVER_1).ephemerals()).toEqual([]);
  });

  it('tells only the approver why an approval changed nothing', async () => {
    harness = await startListeners(fakeUseCases({ decide: async () => ({ ok: false, code: 'not_an_approver' }) }));
    const message = await harness.postCard(card());

    await harness.sim.person(APPROVER_1).click(ACTION.approve, { message });
    const [reply] = await harness.sim.waitFor(
      () => harness?.sim.person(APPROVER_1).ephemerals().length === 1 && harness.sim.person(APPROVER_1).ephemerals(),
    );
    expect(reply?.text).toBe(
      'Only the approvers listed for this target in the policy, and the members of its approver groups, can decide on it.',
    );
  });

  it('opens the deny modal, naming the target, when a denial would be accepted', async () => {
    const useCases = fakeUseCases({ previewDecision: async () => ({ ok: true, request: requestIn('pending') }), targetOf: () => TARGET });
    harness = await startListeners(useCases);
    const message = await harness.postCard(card());

    await harness.sim.person(APPROVER_1).click(ACTION.deny, { message });
    const modal = await harness.sim.person(APPROVER_1).waitForModal();
    expect(modal.definition.callback_id).toBe(VIEW.denyReason);
    expect(useCases.calls.map(([name]) => name)).toEqual(['previewDecision', 'targetOf']);
  });
});
