import { afterEach, describe, expect, it } from 'vitest';
import { EXTENSION_POLICY } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, PIM_GROUP, startWorld, stopWorld, type World } from '../support/world.js';

const MINUTE = 60_000;
let world: World | undefined;

afterEach(async () => {
  expect(await stopWorld(world)).toEqual([]);
  world = undefined;
});

/** Asks for `target` for `minutes`, has the first manager approve it, and waits for the grant. */
async function grantedRequest(w: World, target: 'prod-ssh' | 'prod-db', minutes: number, group: string): Promise<SimMessage> {
  const { slack, graph } = w;
  const requester = slack.person(PEOPLE.requester.slack);
  await requester.slash('/jit');
  await requester.waitForModal();
  if (target === 'prod-db') {
    await requester.fill('target', 'prod-db');
    const hasBlock = () => JSON.stringify(requester.modal?.definition.blocks).includes('duration_prod-db');
    await slack.waitFor(hasBlock, 3000, 'the modal update');
  }
  await requester.submit({ reason: 'Migrating the orders table', [`duration_${target}`]: String(minutes) });
  const approver = slack.person(PEOPLE.approver1.slack);
  const card = await slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the approval card');
  await approver.click('jit_approve', { message: card });
  await slack.waitFor(() => graph.isMember(group, PEOPLE.requester.entra), 5000, 'the grant');
  await slack.waitFor(() => card.text.endsWith('active'), 5000, 'the card to show active access');
  return card;
}

/** The requester's latest expiry warning DM. */
function latestWarning(w: World): SimMessage | undefined {
  return w.slack
    .person(PEOPLE.requester.slack)
    .dms()
    .filter((message) => message.text.includes(' ends '))
    .at(-1);
}

async function askForMore(w: World, warning: SimMessage, minutes: number, reason = 'The migration needs another hour'): Promise<void> {
  const requester = w.slack.person(PEOPLE.requester.slack);
  await requester.click('jit_extend', { message: warning });
  const modal = await requester.waitForModal();
  expect(modal.definition.callback_id).toBe('jit_extend');
  await requester.submit({ extension_minutes: String(minutes), reason });
}

const auditActions = (w: World): string[] =>
  sqliteOf(w.bot).prepare('SELECT action FROM audit_events ORDER BY seq').pluck().all() as string[];

describe('extending a grant', () => {
  it('moves the end and Entra’s expiry once an approver approves the extension in the card’s thread', async () => {
    world = await startWorld({ policy: EXTENSION_POLICY });
    const { slack, graph } = world;
    const approver = slack.person(PEOPLE.approver1.slack);
    const card = await grantedRequest(world, 'prod-ssh', 60, PIM_GROUP);
    const entraEnd = () => graph.directory.assignments.find((assignment) => assignment.principalId === PEOPLE.requester.entra)?.endDateTime;
    const firstEnd = entraEnd() ?? 0;

    await world.advance(50 * MINUTE);
    const warning = await slack.waitFor(() => latestWarning(world as World), 5000, 'the expiry warning');
    expect(JSON.stringify(warning.blocks)).toContain('jit_extend');
    await askForMore(world, warning, 60);

    const ask = await slack.waitFor(
      () => approver.thread(card).find((message) => message.text.includes('asks to extend')),
      5000,
      'the extension in the thread',
    );
    expect(JSON.stringify(ask.blocks)).toContain('The migration needs another hour');
    await approver.click('jit_extension_approve', { message: ask });

    await slack.waitFor(() => ask.text.includes('extended by 1h'), 5000, 'the extension message to say it was granted');
    expect(JSON.stringify(ask.blocks)).not.toContain('jit_extension_approve');
    await slack.waitFor(() => entraEnd() === firstEnd + 60 * MINUTE, 5000, 'Entra’s expiry to move');
    expect(graph.log.some((entry) => (entry.body as { action?: string } | undefined)?.action === 'adminExtend')).toBe(true);

    // Past the first end, the access stays; the warning comes again before the new end, then the access ends.
    await world.advance(15 * MINUTE);
    expect(graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(true);
    await world.advance(46 * MINUTE);
    await slack.waitFor(() => (latestWarning(world as World)?.ts ?? '') !== warning.ts, 5000, 'the second expiry warning');
    await world.advance(10 * MINUTE);
    await slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the card to show the end');
    expect(graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(auditActions(world)).toEqual([
      'requested',
      'approved',
      'grant_call_sent',
      'granted',
      'expiry_warned',
      'extension_requested',
      'extended',
      'extension_in_entra',
      'expiry_warned',
      'end_requested',
      'ended',
    ]);
  });

  it('refuses the requester’s own approval of their extension', async () => {
    const policy = EXTENSION_POLICY.replace(
      'users: [U0MANAGER1, U0MANAGER2], required: 1 }',
      'users: [U0MANAGER1, U0SRE0001], required: 1 }',
    );
    world = await startWorld({ policy });
    const { slack } = world;
    slack.workspace.channels.get(APPROVALS)?.members.add(PEOPLE.requester.slack);
    const requester = slack.person(PEOPLE.requester.slack);
    const card = await grantedRequest(world, 'prod-ssh', 60, PIM_GROUP);
    await world.advance(50 * MINUTE);
    const warning = await slack.waitFor(() => latestWarning(world as World), 5000, 'the expiry warning');
    await askForMore(world, warning, 30);
    const ask = await slack.waitFor(
      () => requester.thread(card).find((message) => message.text.includes('asks to extend')),
      5000,
      'the extension in the thread',
    );

    await requester.click('jit_extension_approve', { message: ask });
    await slack.waitFor(() => requester.ephemerals()[0], 5000, 'the refusal');
    expect(requester.ephemerals()[0]?.text).toBe('You cannot decide on your own request; another approver has to.');
    expect(JSON.stringify(ask.blocks)).toContain('jit_extension_approve');
    expect(auditActions(world)).not.toContain('extended');
  });

  it('grants an auto extension at once up to max_total, and refuses one past it', async () => {
    world = await startWorld({ policy: EXTENSION_POLICY });
    const { slack, graph } = world;
    const requester = slack.person(PEOPLE.requester.slack);
    await grantedRequest(world, 'prod-db', 120, MEMBER_GROUP);

    await world.advance(110 * MINUTE);
    const first = await slack.waitFor(() => latestWarning(world as World), 5000, 'the expiry warning');
    await askForMore(world, first, 60);
    await slack.waitFor(() => requester.dms().some((message) => message.text.includes('is extended until')), 5000, 'the extension DM');

    // The warning comes again before the new end, without Extend: 3h are all the policy allows.
    await world.advance(61 * MINUTE);
    const second = await slack.waitFor(
      () => (latestWarning(world as World)?.ts !== first.ts ? latestWarning(world as World) : undefined),
      5000,
      'the second warning',
    );
    expect(JSON.stringify(second.blocks)).not.toContain('jit_extend');
    expect(graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);

    // The first warning still shows Extend: the click is refused, the end stays.
    await requester.click('jit_extend', { message: first });
    await slack.waitFor(() => requester.ephemerals()[0], 5000, 'the refusal');
    expect(requester.ephemerals()[0]?.text).toBe(
      'This access already lasts as long as the policy allows in total. Request it again with `/jit` when it ends.',
    );
    await world.advance(10 * MINUTE);
    await slack.waitFor(() => !graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the end at 3h');
    expect(auditActions(world).filter((action) => action === 'extended')).toHaveLength(1);
  });

  it('refuses an extension asked after the grant ended, pointing to a new request', async () => {
    world = await startWorld({ policy: EXTENSION_POLICY });
    const { slack, graph } = world;
    const requester = slack.person(PEOPLE.requester.slack);
    const card = await grantedRequest(world, 'prod-db', 120, MEMBER_GROUP);
    await world.advance(110 * MINUTE);
    const warning = await slack.waitFor(() => latestWarning(world as World), 5000, 'the expiry warning');
    await world.advance(10 * MINUTE);
    await slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end');

    await requester.click('jit_extend', { message: warning });
    await slack.waitFor(() => requester.ephemerals()[0], 5000, 'the refusal');
    expect(requester.ephemerals()[0]?.text).toBe(
      'This access has ended (or is ending), so it can no longer be extended. *Request again* with `/jit`.',
    );
    expect(requester.modal).toBeUndefined();
    expect(graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
  });
});
