// The real bot with a ServiceNow instance in the world: a standard change opened for each grant of a target with
// change_record, closed at each kind of end with its close code, never opened twice, and an outage that delays
// only the record (or, where the change is required, the grant, with a message saying why).

import { afterEach, describe, expect, it } from 'vitest';
import { changeRecordPolicy } from '../../simulators/policies.js';
import { ServiceNowSimulator } from '../../simulators/servicenow/servicenow-simulator.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

const MINUTE = 60_000;
const CREATE = 'POST /api/sn_chg_rest/change/standard/';
const ANY_CALL = /\/api\/sn_chg_rest\//;

let world: World | undefined;
let servicenow: ServiceNowSimulator;

async function start(required: boolean): Promise<World> {
  servicenow = await ServiceNowSimulator.start();
  world = await startWorld({ policy: changeRecordPolicy(required), servicenow });
  return world;
}

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  await servicenow.stop();
  expect(violations).toEqual([]);
});

async function requestAndApprove(w: World, reason = 'Rotating the database credentials'): Promise<SimMessage> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  const approver = w.slack.person(PEOPLE.approver1.slack);
  await sam.slash('/jit');
  await sam.waitForModal();
  await sam.submit({ reason });
  const card = await w.slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the approval card');
  await approver.click('jit_approve', { message: card });
  return card;
}

const threadTexts = (w: World, card: SimMessage) =>
  w.slack
    .person(PEOPLE.approver1.slack)
    .thread(card)
    .map((message) => message.text);
const onlyChange = () => {
  expect(servicenow.changes).toHaveLength(1);
  const [change] = servicenow.changes;
  if (!change) throw new Error('no change');
  return change;
};

/** Each way a grant ends, through the bot's own surfaces. */
const ENDINGS = {
  expired: async (w: World) => {
    await w.advance(30 * MINUTE);
  },
  released: async (w: World) => {
    const sam = w.slack.person(PEOPLE.requester.slack);
    const granted = await w.slack.waitFor(() => sam.dms().find((message) => message.text.includes('is active until')), 5000, 'the DM');
    await sam.click('jit_end_access', { message: granted });
  },
  revoked: async (w: World) => {
    const ada = w.slack.person(PEOPLE.admin.slack);
    await ada.openHome();
    await w.slack.waitFor(() => JSON.stringify(ada.home?.definition ?? {}).includes('jit_revoke'), 3000, 'the admin list');
    await ada.click('jit_revoke', 'home');
  },
};

describe('ServiceNow change records', () => {
  it.each([
    ['expired', 'successful'],
    ['released', 'successful'],
    ['revoked', 'successful_issues'],
  ] as const)(
    'opens a change at the grant, shows its number, and closes it when the access is %s with close code %s',
    async (end, closeCode) => {
      const w = await start(false);
      const card = await requestAndApprove(w);
      await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
      await w.slack.waitFor(() => servicenow.changes[0]?.state === '-1', 5000, 'the change in Implement');
      const change = onlyChange();
      expect(change.type).toBe('standard');
      expect(change.short_description).toBe(`Just-in-time access for ${PEOPLE.requester.email} to Production databases (30m)`);
      expect(change.justification).toContain('Reason: Rotating the database credentials');
      expect(change.justification).toContain(`Approved by: Slack user ${PEOPLE.approver1.slack}`);
      await w.slack.waitFor(
        () => JSON.stringify(card.blocks).includes(`${change.number} · Implement`),
        5000,
        'the card to show the change',
      );
      await w.slack.waitFor(() => threadTexts(w, card).some((text) => text.includes(change.number)), 5000, 'the change in the thread');

      await ENDINGS[end](w);
      await w.slack.waitFor(() => servicenow.changes[0]?.state === '3', 5000, 'the change to be closed');
      expect(onlyChange()).toMatchObject({ correlation_id: change.correlation_id, close_code: closeCode });
      expect(onlyChange().close_notes).toMatch(new RegExp(`^Outcome: ${end}\\.`));
      await w.slack.waitFor(() => JSON.stringify(card.blocks).includes(`${change.number} · Closed`), 5000, 'the card to show it closed');
      await w.slack.waitFor(() => threadTexts(w, card).some((text) => text.includes('is closed')), 5000, 'the close in the thread');
    },
  );

  it('closes the change as unsuccessful when Graph refuses the grant', async () => {
    const w = await start(false);
    w.graph.injectFault({ route: `POST /v1.0/groups/${MEMBER_GROUP}/members/$ref`, status: 403 });
    const card = await requestAndApprove(w);
    await w.slack.waitFor(() => card.text.endsWith('failed'), 5000, 'the grant to fail');
    await w.slack.waitFor(() => servicenow.changes[0]?.state === '3', 5000, 'the change to be closed');
    expect(onlyChange()).toMatchObject({ close_code: 'unsuccessful' });
    expect(onlyChange().close_notes).toMatch(/^Outcome: failed\./);
  });

  it('opens one change only when the answer to its create is lost after ServiceNow made it', async () => {
    const w = await start(false);
    servicenow.loseAnswerAfterWrite(CREATE);
    const card = await requestAndApprove(w);
    await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
    await w.slack.waitFor(() => servicenow.log.some((entry) => entry.path.includes('/standard/')), 5000, 'the lost create');
    await w.advance(5000);
    await w.slack.waitFor(() => servicenow.changes[0]?.state === '-1', 5000, 'the change in Implement');
    const change = onlyChange();
    expect(servicenow.log.filter((entry) => entry.method === 'POST').length).toBe(1);
    await w.slack.waitFor(() => JSON.stringify(card.blocks).includes(change.number), 5000, 'the card to show the change');
  });

  it('grants at once during a ServiceNow outage when the change is not required, says so in the thread, and records the change once ServiceNow is back', async () => {
    const w = await start(false);
    servicenow.injectFault({ route: ANY_CALL, status: 503, times: Number.POSITIVE_INFINITY });
    const card = await requestAndApprove(w);
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the grant');
    await w.slack.waitFor(
      () => threadTexts(w, card).includes('The ServiceNow change record is not up to date yet'),
      5000,
      'the outage in the thread',
    );
    expect(
      JSON.stringify(
        w.slack
          .person(PEOPLE.approver1.slack)
          .thread(card)
          .map((message) => message.blocks),
      ),
    ).toContain('Access is not held up by it');
    expect(servicenow.changes).toEqual([]);

    servicenow.faults.clear();
    await w.advance(5 * MINUTE);
    await w.slack.waitFor(() => servicenow.changes[0]?.state === '-1', 5000, 'the change once ServiceNow is back');
    await w.slack.waitFor(() => JSON.stringify(card.blocks).includes(`${onlyChange().number} · Implement`), 5000, 'the card');
    const metrics = await (await fetch(`http://127.0.0.1:${w.bot.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^jit_change_record_failures_total [1-9]\d*$/m);
  });

  it('holds a grant whose change is required during a ServiceNow outage, tells the requester and the approvers why, and grants once the change exists', async () => {
    const w = await start(true);
    servicenow.injectFault({ route: ANY_CALL, status: 503, times: Number.POSITIVE_INFINITY });
    const card = await requestAndApprove(w);
    const sam = w.slack.person(PEOPLE.requester.slack);
    await w.slack.waitFor(
      () => sam.dms().some((message) => message.text.includes('waits for its ServiceNow change record')),
      5000,
      'the requester to be told',
    );
    await w.slack.waitFor(
      () => threadTexts(w, card).includes('The ServiceNow change record is not up to date yet'),
      5000,
      'the approvers to be told',
    );
    expect(
      JSON.stringify(
        w.slack
          .person(PEOPLE.approver1.slack)
          .thread(card)
          .map((message) => message.blocks),
      ),
    ).toContain('the grant waits');
    await w.advance(3000);
    expect(w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(card.text.endsWith('approved')).toBe(true);

    servicenow.faults.clear();
    await w.advance(5 * MINUTE);
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the grant once the change exists');
    await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the card to show the grant');
    expect(onlyChange()).toMatchObject({ state: '-1', correlation_id: expect.stringMatching(/\S/) });
  });

  it('tells the admins when ServiceNow refuses the integration user, and keeps trying', async () => {
    const w = await start(false);
    servicenow.injectFault({ route: 'GET /api/sn_chg_rest/change', status: 401 });
    const card = await requestAndApprove(w);
    const ada = w.slack.person(PEOPLE.admin.slack);
    await w.slack.waitFor(
      () =>
        ada.dms().some((message) => message.text.includes('ServiceNow refused the bot') && message.text.includes('SERVICENOW_PASSWORD')),
      5000,
      'the admins to be told',
    );
    await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant, not held up');
    await w.advance(MINUTE);
    await w.slack.waitFor(() => servicenow.changes[0]?.state === '-1', 5000, 'the change once the refusal is over');
  });
});
