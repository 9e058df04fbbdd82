import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { SETTLING_MS } from '../../src/application/reconcile.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  expect(await stopWorld(world)).toEqual([]);
});

async function grantDatabaseAccess(): Promise<SimMessage> {
  const sam = world.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit', 'prod-db');
  await sam.waitForModal();
  await sam.submit({ reason: 'Repair the orders table after INC-77' });
  const card = await world.slack.waitFor(() => world.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
  await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
  await world.slack.person(PEOPLE.approver2.slack).click('jit_approve', { message: card });
  await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
  return card;
}

describe('reconciliation with Graph', () => {
  it('closes a grant whose membership someone removed by hand, and says so in the thread', async () => {
    const card = await grantDatabaseAccess();
    world.graph.directory.groups.get(MEMBER_GROUP)?.members.delete(PEOPLE.requester.entra);
    // Graph's member index may lag a change: reconciliation looks only at grants settled for a few minutes.
    await world.advance(SETTLING_MS);
    const report = await world.bot.reconcile();
    expect(report.removedOutside).toHaveLength(1);
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the card');
    expect(JSON.stringify(card.blocks)).toContain('removed outside the bot');
    const thread = () =>
      world.slack
        .person(PEOPLE.approver1.slack)
        .thread(card)
        .map((message) => message.text);
    await world.slack.waitFor(
      () => thread().includes('Access for <@U0SRE0001> was removed outside the bot'),
      3000,
      'the report in the thread',
    );
  });

  it('reports, and leaves alone, a membership someone added by hand after the bot confirmed its removal', async () => {
    const card = await grantDatabaseAccess();
    const sam = world.slack.person(PEOPLE.requester.slack);
    const grantedDm = await world.slack.waitFor(
      () => sam.dms().find((message) => message.text.includes('is active until')),
      5000,
      'the DM',
    );
    await sam.click('jit_end_access', { message: grantedDm });
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end');
    // A manager makes the person a permanent member in the Entra portal.
    world.graph.directory.groups.get(MEMBER_GROUP)?.members.add(PEOPLE.requester.entra);
    await world.advance(SETTLING_MS);

    const report = await world.bot.reconcile();
    expect(report.lingering).toEqual([]);
    expect(report.addedSince).toHaveLength(1);
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
    expect((await world.bot.reconcile()).addedSince).toEqual(report.addedSince);
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
  });
});
