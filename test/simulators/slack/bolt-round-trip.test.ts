import type { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import { createBoltApp } from '../../../src/adapters/slack/bolt-app.js';
import { createLogger } from '../../../src/logger.js';

let sim: SlackSimulator;
let app: App;

const REQUESTER = 'U0SRE0001';
const APPROVER = 'U0MANAGER1';
const CHANNEL = 'C0APPROVALS';

beforeEach(async () => {
  sim = new SlackSimulator();
  sim.addUser({ id: REQUESTER, name: 'sam', email: 'sam@example.com' });
  sim.addUser({ id: APPROVER, name: 'maria', email: 'maria@example.com' });
  sim.addChannel({ id: CHANNEL, name: 'approvals', members: [APPROVER] });
  await sim.start();

  ({ app } = createBoltApp({
    botToken: sim.botToken,
    appToken: sim.appToken,
    apiUrl: sim.apiUrl,
    log: createLogger('silent'),
    retries: 0,
  }));

  app.command('/jit', async ({ ack, body, client }) => {
    await ack();
    await client.views.open({
      trigger_id: body.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'jit_request',
        title: { type: 'plain_text', text: 'Request access' },
        submit: { type: 'plain_text', text: 'Request' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'value' },
          },
        ],
      },
    });
  });
  app.view('jit_request', async ({ ack, view, body, client }) => {
    const reason = view.state.values.reason?.value?.value ?? '';
    if (reason.trim().length < 10) {
      await ack({ response_action: 'errors', errors: { reason: 'Say a little more' } });
      return;
    }
    await ack();
    await client.chat.postMessage({
      channel: CHANNEL,
      text: `Request from <@${body.user.id}>`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `<@${body.user.id}> asks: ${reason}` } },
        {
          type: 'actions',
          block_id: 'decision',
          elements: [
            { type: 'button', action_id: 'jit_approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req_1', style: 'primary' },
          ],
        },
      ],
    });
  });
  app.action('jit_approve', async ({ ack, body, client }) => {
    await ack();
    if (body.type !== 'block_actions' || !body.channel || !body.message) return;
    await client.chat.update({
      channel: body.channel.id,
      ts: body.message.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Approved by <@${body.user.id}>` } }],
    });
  });

  await app.init();
  await app.start();
});

afterEach(async () => {
  await app.stop();
  await sim.waitFor(() => sim.openConnections === 0, 2000, 'the socket to close');
  await sim.stop();
});

describe('the Slack simulator driving the real Bolt app over Socket Mode', () => {
  it('carries a slash command, a modal submission with inline errors, and a button click', async () => {
    const requester = sim.person(REQUESTER);
    const approver = sim.person(APPROVER);

    expect(await requester.slash('/jit')).toEqual({ acked: true, payload: {} });
    const modal = await requester.waitForModal();
    expect(modal.definition.callback_id).toBe('jit_request');

    const refused = await requester.submit({ reason: '  short ' });
    expect(refused.errors).toEqual({ reason: 'Say a little more' });
    expect(requester.modal?.id).toBe(modal.id);

    const accepted = await requester.submit({ reason: 'Rotate the TLS certificate on web-1' });
    expect(accepted).toEqual({ ack: { acked: true, payload: {} }, errors: {} });
    expect(requester.modal).toBeUndefined();

    const [card] = await sim.waitFor(() => approver.channel(CHANNEL).length === 1 && approver.channel(CHANNEL), 3000, 'the card');
    if (!card) throw new Error('no card');
    expect(card.text).toBe(`Request from <@${REQUESTER}>`);

    await approver.click('jit_approve', { message: card });
    await sim.waitFor(() => card.text.startsWith('Approved'), 3000, 'the card update');
    expect(card.text).toBe(`Approved by <@${APPROVER}>`);
    expect(card.history).toHaveLength(1);
    expect(sim.violations).toEqual([]);
  });

  it('reconnects Bolt after the socket drops and after a refresh request', async () => {
    expect(sim.connectionsOpened).toBe(1);
    sim.refreshSockets();
    await sim.waitFor(() => sim.connectionsOpened === 2 && sim.openConnections === 1, 15_000, 'a reconnect after refresh');
    sim.dropSockets();
    await sim.waitFor(() => sim.connectionsOpened === 3 && sim.openConnections === 1, 15_000, 'a reconnect after a drop');

    expect(await sim.person(REQUESTER).slash('/jit')).toEqual({ acked: true, payload: {} });
    expect(sim.violations).toEqual([]);
  }, 40_000);
});
