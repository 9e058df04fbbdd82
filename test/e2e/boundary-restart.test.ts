// kill -9 of the real bot process in the middle of the Boundary step, right after Boundary deleted one of the
// person's tokens, then a restart: the step completes, nobody else's sign-ins are touched, one checklist.

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { type Simulators, startSimulators } from '../../simulators/sandbox.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;
const POLICY = `version: 1
admins: [U0ADMIN01]
targets:
  - id: prod-db
    name: Production databases
    grant: { kind: group_membership, group_id: ${MEMBER_GROUP} }
    duration: { default: 1m, max: 2h }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1] }
`;

let sims: Simulators;
let boundary: BoundarySimulator;
let bot: BotProcess | undefined;
let offset = 0;

beforeEach(async () => {
  offset = 0;
  boundary = await BoundarySimulator.start();
  sims = await startSimulators({ policy: POLICY, boundary });
  bot = await spawnBotProcess(sims, offset);
});

afterEach(async () => {
  await bot?.kill9();
  bot = undefined;
  await sims.slack.stop();
  await sims.graph.stop();
  await boundary.stop();
});

/** Moves time for Graph, Boundary and the bot process, without waiting for the bot (it may be killed meanwhile). */
async function advance(ms: number): Promise<void> {
  offset += ms;
  sims.graph.advance(ms);
  boundary.advance(ms);
  await bot?.advance(ms, { wait: false });
}

function signedOutAt(): number | null {
  const db = new Database(sims.databaseFile, { readonly: true });
  try {
    return db.prepare('SELECT signed_out_at FROM requests').pluck().get() as number | null;
  } finally {
    db.close();
  }
}

describe('restart after kill -9 during the Boundary step', () => {
  it('finishes the sign-outs after a restart, touches nobody else’s tokens, and posts one checklist', async () => {
    const sam = boundary.addUser({ name: 'sam' });
    const account = boundary.addAccount(sam.id, { subject: PEOPLE.requester.entra });
    const samTokens = [boundary.signIn(account.id), boundary.signIn(account.id), boundary.signIn(account.id)].map((token) => token.id);
    const otto = boundary.addUser({ name: 'otto' });
    const ottoToken = boundary.signIn(boundary.addAccount(otto.id, { subject: PEOPLE.outsider.entra }).id).id;

    const { slack } = sims;
    const requester = slack.person(PEOPLE.requester.slack);
    await requester.slash('/jit');
    await requester.waitForModal();
    await requester.submit({ reason: 'Kill me in the middle of the Boundary step' });
    const approver = slack.person(PEOPLE.approver1.slack);
    const card = await slack.waitFor(() => approver.channel(APPROVALS)[0], 10_000, 'the card');
    await approver.click('jit_approve', { message: card });
    await slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the grant');

    // The bot dies the moment Boundary has answered the first token deletion.
    const victim = bot;
    boundary.onRequest = (record) => {
      if (record.method === 'DELETE' && record.status === 204) {
        boundary.onRequest = undefined;
        victim?.child.kill('SIGKILL');
      }
    };
    await advance(MINUTE);
    // Killed here rather than through kill9, which sends its own signal: wait for the death and the dead socket.
    await slack.waitFor(() => victim?.child.signalCode === 'SIGKILL', 10_000, 'the kill');
    bot = undefined;
    await slack.waitFor(() => slack.openConnections === 0, 5000, 'the dead socket to close');
    const deletes = () => boundary.log.filter((entry) => entry.method === 'DELETE');
    expect(deletes().map((entry) => entry.status)).toEqual([204]);
    expect(boundary.tokensOf(sam.id)).toHaveLength(2);
    expect(signedOutAt()).toBeNull();
    expect(sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);

    bot = await spawnBotProcess(sims, offset);
    await slack.waitFor(() => signedOutAt() !== null, 10_000, 'the Boundary step after the restart');
    const checklists = () => approver.thread(card).filter((message) => JSON.stringify(message.blocks).includes('(verified)'));
    await slack.waitFor(() => checklists().length > 0, 5000, 'the checklist');
    expect(boundary.tokensOf(sam.id)).toEqual([]);
    expect(boundary.tokensOf(otto.id).map((token) => token.id)).toEqual([ottoToken]);
    // Only Sam's tokens were ever deleted, each once; none was asked for twice.
    expect(
      deletes()
        .map((entry) => entry.path.split('/').pop())
        .sort(),
    ).toEqual([...samTokens].sort());
    // Settle, then make sure no second checklist follows.
    await bot.advance(1000);
    expect(checklists()).toHaveLength(1);
    expect(requester.dms().filter((message) => JSON.stringify(message.blocks).includes('(verified)'))).toHaveLength(1);
  }, 60_000);
});
