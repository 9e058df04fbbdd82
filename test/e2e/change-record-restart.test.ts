// kill -9 of the real bot process the moment ServiceNow has made a change, before the bot could record it, then
// a restart: the change opened for the request is found again by its correlation id, never opened twice.

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { changeRecordPolicy } from '../../simulators/policies.js';
import { type Simulators, startSimulators } from '../../simulators/sandbox.js';
import { ServiceNowSimulator } from '../../simulators/servicenow/servicenow-simulator.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE } from '../support/world.js';

const MINUTE = 60_000;

let sims: Simulators;
let servicenow: ServiceNowSimulator;
let bot: BotProcess | undefined;
let offset = 0;

function requestRow(): { id: string; state: string; change_sys_id: string | null; change_state: string | null } | undefined {
  const db = new Database(sims.databaseFile, { readonly: true });
  try {
    return db.prepare('SELECT id, state, change_sys_id, change_state FROM requests').get() as ReturnType<typeof requestRow>;
  } finally {
    db.close();
  }
}

beforeEach(async () => {
  offset = 0;
  servicenow = await ServiceNowSimulator.start();
  sims = await startSimulators({ policy: changeRecordPolicy(false), servicenow });
  bot = await spawnBotProcess(sims, offset);
});

afterEach(async () => {
  await bot?.kill9();
  await sims.slack.stop();
  await sims.graph.stop();
  await servicenow.stop();
});

describe('restart after kill -9 while a change record is made', () => {
  it('opens the change once when killed between ServiceNow’s create and the bot’s record, and closes it at the end', async () => {
    const { slack } = sims;
    const dying = bot;
    // ServiceNow makes the change and its answer is lost (the connection dropped), and the bot dies at that
    // moment: the answer never reaches its database. Killed after an answer sent, the bot could record it first
    // on a busy machine, where the simulator waits for the core between its answer and the kill.
    servicenow.loseAnswerAfterWrite('POST /api/sn_chg_rest/change/standard/');
    servicenow.onRequest = (record) => {
      if (record.method === 'POST' && record.path.includes('/change/standard/') && dying?.child.pid !== undefined) {
        process.kill(dying.child.pid, 'SIGKILL');
      }
    };
    const sam = slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit');
    await sam.waitForModal();
    await sam.submit({ reason: 'Kill me while the change is made' });
    const card = await slack.waitFor(() => slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 10_000, 'the card');
    await slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await slack.waitFor(() => dying?.child.exitCode !== null || dying?.child.signalCode !== null, 10_000, 'the bot to die');
    await slack.waitFor(() => slack.openConnections === 0, 5000, 'the dead socket to close');
    servicenow.onRequest = undefined;
    bot = undefined;

    expect(servicenow.changes).toHaveLength(1);
    const row = requestRow();
    expect(row).toMatchObject({ change_sys_id: null });

    bot = await spawnBotProcess(sims, offset);
    await slack.waitFor(
      () => requestRow()?.change_state === 'implement' && requestRow()?.state === 'active',
      15_000,
      'the change recorded',
    );
    expect(servicenow.changes).toHaveLength(1);
    expect(servicenow.log.filter((entry) => entry.method === 'POST')).toHaveLength(1);
    expect(requestRow()?.change_sys_id).toBe(servicenow.changes[0]?.sys_id);
    expect(sims.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);

    offset += 30 * MINUTE;
    sims.graph.advance(30 * MINUTE);
    await bot.advance(30 * MINUTE);
    await slack.waitFor(() => requestRow()?.change_state === 'closed', 15_000, 'the change closed at the end');
    expect(servicenow.changes).toEqual([expect.objectContaining({ state: '3', close_code: 'successful', correlation_id: row?.id })]);
  }, 60_000);
});
