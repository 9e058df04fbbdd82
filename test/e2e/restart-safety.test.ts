// kill -9 of the real bot process at points of the lifecycle — including between Graph's success and the
// database write — then a restart: no grant is lost, none is duplicated, and no access is left behind.

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { PROD_DB_POLICY } from '../../simulators/policies.js';
import { addPerson, crowdMember, type Simulators, startSimulators } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;
// Direct membership: every effect is visible in the Graph simulator's group at once.

let sims: Simulators;
let bot: BotProcess | undefined;
let offset = 0;

async function startBotProcess(): Promise<void> {
  bot = await spawnBotProcess(sims, offset);
}

async function kill9(): Promise<void> {
  await bot?.kill9();
  bot = undefined;
}

/** Moves time for Graph and for the bot process (if one runs); by default waits until the bot is idle again. */
async function advance(ms: number, options: { wait: boolean } = { wait: true }): Promise<void> {
  offset += ms;
  sims.graph.advance(ms);
  await bot?.advance(ms, options);
}

function store() {
  return new Database(sims.databaseFile, { readonly: true });
}

function states(): Record<string, string> {
  const db = store();
  try {
    return Object.fromEntries(
      (db.prepare('SELECT id, state FROM requests').all() as { id: string; state: string }[]).map((row) => [row.id, row.state]),
    );
  } finally {
    db.close();
  }
}

/** Successful membership adds: exactly one per grant, however often its job ran. */
function successfulAdds(): number {
  return sims.graph.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/members/$ref') && entry.status === 204).length;
}

async function requestAndApprove(reason: string, requester: string = PEOPLE.requester.slack): Promise<SimMessage> {
  const { slack } = sims;
  const sam = slack.person(requester);
  const cards = () => slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
  const before = cards().length;
  await sam.slash('/jit');
  await sam.waitForModal();
  await sam.submit({ reason });
  const card = await slack.waitFor(() => cards().length > before && cards()[before], 10_000, 'the card');
  await slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
  return card;
}

beforeEach(async () => {
  offset = 0;
  sims = await startSimulators({ policy: PROD_DB_POLICY });
  await startBotProcess();
});

afterEach(async () => {
  await kill9();
  await sims.slack.stop();
  await sims.graph.stop();
});

describe('restart after kill -9', () => {
  it('grants exactly once when killed between Graph’s success and the database write', async () => {
    // Graph takes its time answering; the bot dies while the grant is in flight. Graph still carries it out.
    sims.graph.injectFault({ route: `POST /v1.0/groups/${MEMBER_GROUP}/members/$ref`, latencyMs: 400 });
    await requestAndApprove('Kill me mid-grant, please');
    await sims.slack.waitFor(() => sims.graph.log.some((entry) => entry.path.endsWith('/members/$ref')), 5000, 'the grant request');
    await kill9();
    await sims.slack.waitFor(() => sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'Graph to finish the grant');
    expect(Object.values(states())).toEqual(['approved']);

    await startBotProcess();
    await sims.slack.waitFor(() => Object.values(states())[0] === 'active', 10_000, 'the grant to be recorded');
    expect(successfulAdds()).toBe(1);
    expect(sims.graph.log.filter((entry) => entry.path.endsWith('/members/$ref')).map((entry) => entry.status)).toEqual([204, 400]);
  });

  it('revokes exactly once when killed between Graph’s removal and the database write', async () => {
    await requestAndApprove('Kill me mid-revoke, please');
    await sims.slack.waitFor(() => Object.values(states())[0] === 'active', 10_000, 'the grant');
    sims.graph.injectFault({ route: `DELETE /v1.0/groups/${MEMBER_GROUP}/members`, latencyMs: 400 });
    await advance(30 * MINUTE, { wait: false });
    await sims.slack.waitFor(() => sims.graph.log.some((entry) => entry.method === 'DELETE'), 5000, 'the revoke request');
    await kill9();
    await sims.slack.waitFor(() => !sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'Graph to finish the removal');
    expect(Object.values(states())).toEqual(['active']);

    await startBotProcess();
    await sims.slack.waitFor(() => Object.values(states())[0] === 'ended', 10_000, 'the end to be recorded');
    expect(sims.graph.log.filter((entry) => entry.method === 'DELETE').map((entry) => entry.status)).toEqual([204, 404]);
  });

  it('revokes on restart a grant that ended while the bot was down', async () => {
    await requestAndApprove('The bot will be down at the end');
    await sims.slack.waitFor(() => Object.values(states())[0] === 'active', 10_000, 'the grant');
    await kill9();
    await advance(45 * MINUTE);
    expect(sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
    await startBotProcess();
    await sims.slack.waitFor(() => !sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the catch-up revocation');
    await sims.slack.waitFor(() => Object.values(states())[0] === 'ended', 5000, 'the end to be recorded');
  });

  it('loses no request and leaves no access behind when killed again and again while work is under way', async () => {
    const reasons = Array.from({ length: 6 }, (_, index) => `Repeated crash drill number ${index + 1}`);
    const crowd = reasons.map((_, index) => crowdMember(index));
    for (const person of crowd) addPerson(sims, person);
    const members = () => crowd.filter((person) => sims.graph.isMember(MEMBER_GROUP, person.entra)).length;
    sims.graph.injectFault({ route: /members/, latencyMs: 150, times: Number.POSITIVE_INFINITY });
    for (const [index, reason] of reasons.entries()) {
      await requestAndApprove(reason, crowd[index]?.slack);
      // Die at a different moment of the work each time.
      await new Promise((resolve) => setTimeout(resolve, 40 * index));
      await kill9();
      await startBotProcess();
    }
    await sims.slack.waitFor(() => Object.values(states()).every((state) => state === 'active'), 20_000, 'every grant');
    expect(Object.keys(states())).toHaveLength(reasons.length);
    expect(members()).toBe(reasons.length);
    expect(successfulAdds()).toBe(reasons.length);

    await advance(30 * MINUTE);
    await kill9();
    await startBotProcess();
    await sims.slack.waitFor(() => Object.values(states()).every((state) => state === 'ended'), 20_000, 'every end');
    expect(members()).toBe(0);
    const db = store();
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state <> 'done'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'granted'").get()).toEqual({ n: reasons.length });
    } finally {
      db.close();
    }
  }, 90_000);
});
