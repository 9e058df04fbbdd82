// kill -9 of the real bot process while a request waits, its reminder falling due while the bot is down, then a
// restart: the reminder is neither lost nor doubled, and the next one comes the doubled wait after it.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { MANAGERS, policyYaml, prodDb } from '../../simulators/policies.js';
import { type Simulators, startSimulators } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;
const REMINDED_POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '10m' },
  targets: [prodDb({ approvers: { users: MANAGERS, required: 1, remindAfter: '15m' } })],
});

let sims: Simulators;
let bot: BotProcess | undefined;
let offset = 0;

async function advance(ms: number): Promise<void> {
  offset += ms;
  sims.graph.advance(ms);
  await bot?.advance(ms);
}

beforeEach(async () => {
  offset = 0;
  sims = await startSimulators({ policy: REMINDED_POLICY });
  bot = await spawnBotProcess(sims, offset);
});

afterEach(async () => {
  await bot?.kill9();
  bot = undefined;
  await sims.slack.stop();
  await sims.graph.stop();
});

describe('reminders across a restart', () => {
  it('posts a reminder that fell due while the bot was down once after it restarts, and the next 30 minutes later', async () => {
    const { slack } = sims;
    const maria = slack.person(PEOPLE.approver1.slack);
    const sam = slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit');
    await sam.waitForModal();
    await sam.submit({ reason: 'Rotating the database credentials' });
    const card = await slack.waitFor(() => maria.channel(APPROVALS)[0], 10_000, 'the card');
    const reminders = (parent: SimMessage) => maria.thread(parent).filter((message) => message.text.startsWith('Reminder:'));

    await advance(10 * MINUTE);
    await bot?.kill9();
    bot = undefined;
    await advance(10 * MINUTE);
    bot = await spawnBotProcess(sims, offset);

    await slack.waitFor(() => reminders(card).length === 1, 10_000, 'the reminder missed while the bot was down');
    await advance(29 * MINUTE);
    expect(reminders(card)).toHaveLength(1);
    await advance(MINUTE);
    await slack.waitFor(() => reminders(card).length === 2, 10_000, 'the next reminder, 30 minutes after the first');
    await advance(MINUTE);
    expect(reminders(card)).toHaveLength(2);
  });
});
