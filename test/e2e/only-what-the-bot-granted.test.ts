// The real bot against the simulators: it never removes access it did not grant, keeps a membership two of its
// grants share until the last one ends, leaves a PIM assignment it did not make, and cleans up after a grant
// whose answer was lost.

import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { policyYaml, prodDb } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import type { World } from '../support/world.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, PIM_GROUP, startWorld, stopWorld } from '../support/world.js';

let world: World | undefined;
const MINUTE = 60_000;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

// Two targets behind one Entra group, one approval each.
const REPLICA = prodDb({ id: 'prod-db-replica', name: 'Production database replicas', duration: { default: '1h', max: '2h' } });
const SHARED_GROUP_POLICY = policyYaml({ targets: [prodDb(), REPLICA] });

function states(w: World): Record<string, string> {
  const rows = sqliteOf(w.bot).prepare('SELECT target_id AS target, state FROM requests').all() as { target: string; state: string }[];
  return Object.fromEntries(rows.map((row) => [row.target, row.state]));
}

async function askAndApprove(w: World, targetId: string): Promise<void> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  const before = w.slack.person(PEOPLE.approver1.slack).channel(APPROVALS).length;
  await sam.slash('/jit', targetId);
  await sam.waitForModal();
  expect((await sam.submit({ reason: 'Investigating incident INC-42 on db-1' })).errors).toEqual({});
  const card = await w.slack.waitFor(() => w.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[before], 5000, 'the card');
  await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
}

describe('the bot removes only what it granted', () => {
  it('answers a person who is already a member inline, sends no card, and leaves the membership alone', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    world.graph.addDirectMember(MEMBER_GROUP, PEOPLE.requester.entra);
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-db');
    await sam.waitForModal();
    const { errors } = await sam.submit({ reason: 'Investigating incident INC-42 on db-1' });
    expect(errors.target).toMatch(/^You already have standing access to this target/);
    expect(world.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)).toEqual([]);
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
  });

  it('fails as "already held" when the membership appears between the request and the grant, and never removes it', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-db');
    await sam.waitForModal();
    await sam.submit({ reason: 'Investigating incident INC-42 on db-1' });
    const card = await world.slack.waitFor(() => world?.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
    // Someone adds Sam by hand in Entra while the request waits.
    world.graph.addDirectMember(MEMBER_GROUP, PEOPLE.requester.entra);
    await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => states(world as World)['prod-db'] === 'failed', 5000, 'the failure');
    const failure = sqliteOf(world.bot).prepare('SELECT failure FROM requests').pluck().get();
    expect(failure).toMatch(/^already held/);
    await world.advance(3 * 60 * MINUTE);
    await world.bot.reconcile();
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
  });

  it('keeps a membership two targets share until the last grant ends', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    await askAndApprove(world, 'prod-db');
    await world.slack.waitFor(() => states(world as World)['prod-db'] === 'active', 5000, 'the first grant');
    await askAndApprove(world, 'prod-db-replica');
    await world.slack.waitFor(() => states(world as World)['prod-db-replica'] === 'active', 5000, 'the second grant');

    await world.advance(31 * MINUTE);
    await world.slack.waitFor(() => states(world as World)['prod-db'] === 'ended', 5000, 'the first end');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
    // Reconciliation sees the covering grant and raises no false "removed outside the bot".
    const report = await world.bot.reconcile();
    expect(report).toMatchObject({ removedOutside: [], lingering: [] });
    expect(states(world)['prod-db-replica']).toBe('active');

    await world.advance(30 * MINUTE);
    await world.slack.waitFor(() => states(world as World)['prod-db-replica'] === 'ended', 5000, 'the second end');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
  });

  it('counts a membership whose add answer was lost as its own, and removes it at the end', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    world.graph.loseResponseAfterWrite(/members\/\$ref/, { times: 1 });
    await askAndApprove(world, 'prod-db');
    for (let attempt = 0; attempt < 5 && states(world)['prod-db'] !== 'active'; attempt++) await world.advance(2000);
    expect(states(world)['prod-db']).toBe('active');
    await world.advance(31 * MINUTE);
    await world.slack.waitFor(() => states(world as World)['prod-db'] === 'ended', 5000, 'the end');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
  });

  it('removes what a lost-answer grant created when the retry then fails for good', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    world.graph.loseResponseAfterWrite(/members\/\$ref/, { times: 1 });
    await askAndApprove(world, 'prod-db');
    await world.slack.waitFor(() => world?.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the lost write');
    world.graph.injectFault({ route: 'POST /v1.0/groups', status: 403, times: Number.POSITIVE_INFINITY });
    for (let attempt = 0; attempt < 5 && states(world)['prod-db'] !== 'failed'; attempt++) await world.advance(2000);
    expect(states(world)['prod-db']).toBe('failed');
    await world.slack.waitFor(() => !world?.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the cleanup');
    expect(sqliteOf(world.bot).prepare('SELECT cleanup_result FROM requests').pluck().get()).toBe('removed');
  });

  // Both stores: the journal the retry follows is what each of them keeps.
  it.each([
    ['SQLite', async () => undefined],
    ['PostgreSQL', async () => (await freshPostgresDatabase()).url],
  ])(
    'on %s, never follows a policy edit with a retried grant: the lost-answer membership is removed and the new group left alone',
    async (_store, database) => {
      const OTHER_GROUP = '7c2e9b1d-4f3a-4d6b-8e5c-2a1b0c9d8e7f';
      const databaseUrl = await database();
      world = await startWorld({ policy: SHARED_GROUP_POLICY, ...(databaseUrl && { databaseUrl }) });
      const stateOf = async (w: World) => (await w.bot.requests.listByRequester(PEOPLE.requester.slack, 1))[0]?.state;
      world.graph.addGroup({ id: OTHER_GROUP, displayName: 'Production databases (new)' });
      // The person is a permanent member of the group the policy will move the target to.
      world.graph.addDirectMember(OTHER_GROUP, PEOPLE.requester.entra);
      world.graph.loseResponseAfterWrite(/members\/\$ref/, { times: 1 });
      await askAndApprove(world, 'prod-db');
      await world.slack.waitFor(() => world?.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the lost write');

      writeFileSync(
        world.policyFile,
        policyYaml({ targets: [prodDb({ grant: { kind: 'group_membership', groupId: OTHER_GROUP } }), REPLICA] }),
      );
      expect(await world.bot.reloadPolicy()).toEqual({ ok: true });
      for (let attempt = 0; attempt < 5 && (await stateOf(world)) !== 'failed'; attempt++) await world.advance(2000);

      expect(await stateOf(world)).toBe('failed');
      await world.slack.waitFor(() => !world?.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the cleanup');
      expect(world.graph.isMember(OTHER_GROUP, PEOPLE.requester.entra)).toBe(true);
      const calls = world.graph.log.filter((request) => request.path.includes(OTHER_GROUP) && request.method !== 'GET');
      expect(calls).toEqual([]);
      const sam = world.slack.person(PEOPLE.requester.slack);
      await world.slack.waitFor(
        () => sam.dms().find((message) => JSON.stringify(message.blocks).includes('the policy moved this target to another group')),
        5000,
        'the requester told why',
      );
    },
  );

  it('ends a PIM grant without removing the permanent assignment an admin made after the bot’s expired, and says so', async () => {
    world = await startWorld();
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    await sam.submit({ reason: 'Investigating incident INC-42 on web-1', 'duration_prod-ssh': '60' });
    const approver = world.slack.person(PEOPLE.approver1.slack);
    const card = await world.slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the card');
    await approver.click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');

    // Entra ends the bot's assignment on time; before the bot gets to the end, an admin makes a permanent one.
    world.graph.advance(60 * MINUTE);
    world.graph.directory.expireAssignments(world.graph.now());
    const { assignment: admins } = world.graph.addStandingAssignment({ groupId: PIM_GROUP, principalId: PEOPLE.requester.entra });
    await world.advance(60 * MINUTE);

    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end');
    expect(world.graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(true);
    expect(world.graph.directory.assignments).toEqual([admins]);
    const removals = world.graph.log.filter((entry) => (entry.body as { action?: string } | undefined)?.action === 'adminRemove');
    expect(removals).toEqual([]);
    await world.slack.waitFor(
      () =>
        approver
          .thread(card)
          .some((message) => JSON.stringify(message.blocks).includes('another PIM assignment that the bot did not make')),
      5000,
      'the thread to say who holds the access',
    );
    expect(sqliteOf(world.bot).prepare('SELECT held_by FROM requests').pluck().get()).toBe(admins.assignmentScheduleId);
  });
});

describe('reconciliation after a failed grant', () => {
  it('removes a direct membership a failed grant left behind, and says so in the thread', async () => {
    world = await startWorld({ policy: SHARED_GROUP_POLICY });
    // The add takes effect, but the bot is answered 403: the grant fails at once, with no cleanup of its own.
    world.graph.loseResponseAfterWrite(/members\/\$ref/, { answer: 403, times: 1 });
    await askAndApprove(world, 'prod-db');
    await world.slack.waitFor(() => states(world as World)['prod-db'] === 'failed', 5000, 'the failure');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);

    const report = await world.bot.reconcile();
    const id = sqliteOf(world.bot).prepare('SELECT id FROM requests').pluck().get();
    expect(report.cleanedUp).toEqual([id]);
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(sqliteOf(world.bot).prepare('SELECT cleanup_result FROM requests').pluck().get()).toBe('removed');
    const card = world.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0];
    if (!card) throw new Error('no card');
    await world.slack.waitFor(
      () =>
        world?.slack
          .person(PEOPLE.approver1.slack)
          .thread(card)
          .some((message) => JSON.stringify(message.blocks).includes('The bot removed the membership its earlier call had created')),
      5000,
      'the thread to say so',
    );
    // Checked once: the next pass leaves the request alone.
    expect((await world.bot.reconcile()).cleanedUp).toEqual([]);
  });
});
