// kill -9 of the real bot process in the middle of the Boundary step, right after Boundary deleted one of the
// person's tokens, then a restart: the step completes (every token of the person deleted, every session of theirs
// ended), nobody else's sign-ins are touched, one checklist. What the killed bot had sent before it died is not
// asserted: it depends on how soon the kill lands, which a busy machine decides.

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { ONE_MINUTE_POLICY } from '../../simulators/policies.js';
import { type Simulators, startSimulators } from '../../simulators/sandbox.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;

let sims: Simulators;
let boundary: BoundarySimulator;
let bot: BotProcess | undefined;
let offset = 0;

beforeEach(async () => {
  offset = 0;
  boundary = await BoundarySimulator.start();
  sims = await startSimulators({ policy: ONE_MINUTE_POLICY, boundary });
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

/** Successful deletions (204) of auth tokens, counted by token id: a second try Boundary answers 404 is harmless. */
function tokenDeletions(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of boundary.log) {
    if (entry.method !== 'DELETE' || entry.status !== 204 || !entry.path.startsWith('/v1/auth-tokens/')) continue;
    const id = decodeURIComponent(entry.path.slice('/v1/auth-tokens/'.length));
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describe('restart after kill -9 during the Boundary step', () => {
  it('finishes the sign-outs after a restart, touches nobody else’s tokens or sessions, and posts one checklist', async () => {
    const sam = boundary.addUser({ name: 'sam' });
    const account = boundary.addAccount(sam.id, { subject: PEOPLE.requester.entra });
    const [first, second, last] = [boundary.signIn(account.id), boundary.signIn(account.id), boundary.signIn(account.id)];
    const samTokens = [first.id, second.id, last.id];
    // Sessions opened with the first and the last token (deleting a token cancels its sessions), and one tied to
    // no token, which only a cancel ends.
    const samSessions = [
      boundary.addSession(sam.id, { authTokenId: first.id }),
      boundary.addSession(sam.id, { authTokenId: last.id }),
      boundary.addSession(sam.id),
    ].map((session) => session.id);
    const otto = boundary.addUser({ name: 'otto' });
    const ottoToken = boundary.signIn(boundary.addAccount(otto.id, { subject: PEOPLE.outsider.entra }).id).id;
    const ottoSession = boundary.addSession(otto.id, { authTokenId: ottoToken }).id;

    const { slack } = sims;
    const requester = slack.person(PEOPLE.requester.slack);
    await requester.slash('/jit');
    await requester.waitForModal();
    await requester.submit({ reason: 'Kill me in the middle of the Boundary step' });
    const approver = slack.person(PEOPLE.approver1.slack);
    const card = await slack.waitFor(() => approver.channel(APPROVALS)[0], 10_000, 'the card');
    await approver.click('jit_approve', { message: card });
    await slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the grant');

    // The bot is killed the moment Boundary has answered the first token deletion. The kill lands a moment
    // later, so on a busy machine the next deletion may already be on its way; either way the step is cut short.
    const victim = bot;
    boundary.onRequest = (record) => {
      if (record.method === 'DELETE' && record.status === 204) {
        boundary.onRequest = undefined;
        victim?.child.kill('SIGKILL');
      }
    };
    await advance(MINUTE);
    // Killed here rather than through kill9, which sends its own signal: wait for the death and the dead socket.
    await slack.waitFor(() => victim?.child.signalCode === 'SIGKILL', 20_000, 'the kill');
    bot = undefined;
    await slack.waitFor(() => slack.openConnections === 0, 10_000, 'the dead socket to close');
    expect(signedOutAt()).toBeNull();
    expect(sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);

    bot = await spawnBotProcess(sims, offset);
    await slack.waitFor(() => signedOutAt() !== null, 30_000, 'the Boundary step after the restart');
    const checklists = () => approver.thread(card).filter((message) => JSON.stringify(message.blocks).includes('(verified)'));
    await slack.waitFor(() => checklists().length > 0, 20_000, 'the checklist');

    // Each of Sam's tokens was deleted, by one bot or the other, and nobody else's ever was.
    expect(tokenDeletions()).toEqual(Object.fromEntries(samTokens.map((id) => [id, 1])));
    expect(boundary.tokensOf(sam.id)).toEqual([]);
    expect(boundary.tokensOf(otto.id).map((token) => token.id)).toEqual([ottoToken]);
    // Every session Sam had running has ended; Otto's runs on.
    expect(samSessions.map((id) => boundary.sessionStatus(id)).filter((status) => status === 'active' || status === 'pending')).toEqual([]);
    expect(boundary.sessionStatus(ottoSession)).toBe('active');
    // Once the restarted bot has nothing left to do, there is still one checklist, in the thread and in the DM.
    await bot.advance(1000);
    expect(checklists()).toHaveLength(1);
    expect(requester.dms().filter((message) => JSON.stringify(message.blocks).includes('(verified)'))).toHaveLength(1);
  }, 120_000);
});
