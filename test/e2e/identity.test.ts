// The real bot against the simulators, with people who are not quite who they seem: guests and outsiders on
// either side, a second Slack account carrying an alias of the requester's mailbox, and emails whose
// characters mean something in a Graph $filter.

import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MANAGERS, policyYaml, prodDb } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

const REASON = 'Investigating incident INC-42 on db-1';
const PARTNER_TEAM = 'T0PARTNER1';

// One target closed to guests and one open to them, behind the same group; one approval each.
const guestPolicy = (approvers: readonly string[] = MANAGERS) =>
  policyYaml({
    targets: [
      prodDb({ approvers: { users: approvers } }),
      prodDb({ id: 'vendor-portal', name: 'Vendor portal', approvers: { users: approvers }, allowGuests: true }),
    ],
  });
const GUEST_POLICY = guestPolicy();

const cards = (w: World): SimMessage[] =>
  w.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);

/** Submits a request through the modal; returns the inline errors, and the card when there was none. */
async function ask(w: World, who: string, targetId: string): Promise<{ errors: Record<string, string>; card?: SimMessage }> {
  const before = cards(w).length;
  const person = w.slack.person(who);
  await person.slash('/jit', targetId);
  await person.waitForModal();
  const { errors } = await person.submit({ reason: REASON });
  if (Object.keys(errors).length > 0) {
    await person.close();
    return { errors };
  }
  const card = await w.slack.waitFor(() => cards(w)[before], 5000, 'the card');
  return { errors, card };
}

const GUESTS = [
  {
    kind: 'a Slack guest',
    slack: 'U0GUEST001',
    seed: (w: World) => {
      w.slack.workspace.addGuest({ id: 'U0GUEST001', name: 'gail', email: 'gail@contoso.example' }, { singleChannel: true });
      w.graph.addUser({ id: '66666666-6666-4666-8666-666666666601', userPrincipalName: 'gail@contoso.example' });
    },
    because: 'a guest or external user in Slack',
  },
  {
    kind: 'a Slack Connect user from another organisation',
    slack: 'W0PARTNER1',
    seed: (w: World) => {
      w.slack.workspace.addExternalUser({ id: 'W0PARTNER1', name: 'pat', email: 'pat@contoso.example' }, { teamId: PARTNER_TEAM });
      w.graph.addUser({ id: '66666666-6666-4666-8666-666666666602', userPrincipalName: 'pat@contoso.example' });
    },
    because: 'a guest or external user in Slack',
  },
  {
    kind: 'an Entra guest account',
    slack: 'U0ENTRAGST',
    seed: (w: World) => {
      w.slack.addUser({ id: 'U0ENTRAGST', name: 'erin', email: 'erin@partner.example' });
      w.graph.addUser({
        id: '66666666-6666-4666-8666-666666666603',
        userPrincipalName: 'erin_partner.example#EXT#@contoso.example',
        mail: 'erin@partner.example',
        userType: 'Guest',
      });
    },
    because: 'a guest account in Entra',
  },
];

describe('guests and outsiders', () => {
  it.each(GUESTS)('refuses $kind a target closed to guests, and sends a target open to guests to the approvers', async (guest) => {
    world = await startWorld({ policy: GUEST_POLICY });
    guest.seed(world);

    const refused = await ask(world, guest.slack, 'prod-db');
    expect(refused.errors.target).toMatch(/^This target is not open to guests/);
    expect(refused.errors.target).toContain(guest.because);
    expect(cards(world)).toEqual([]);

    const allowed = await ask(world, guest.slack, 'vendor-portal');
    expect(allowed.errors).toEqual({});
    expect(allowed.card?.text).toContain('Vendor portal');
    await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: allowed.card as SimMessage });
    await world.slack.waitFor(() => allowed.card?.text.endsWith('active'), 5000, 'the grant');
  });
});

describe('an approver who is the requester under another Slack account', () => {
  it('cannot approve when their Slack email is an alias of the requester’s Entra account, and is told why', async () => {
    world = await startWorld({ policy: GUEST_POLICY });
    // Sam's mailbox has aliases: an Exchange proxy address and an alternate email.
    const sam = world.graph.directory.users.get(PEOPLE.requester.entra);
    if (!sam) throw new Error('no Sam in the simulated tenant');
    sam.proxyAddresses = [`SMTP:${PEOPLE.requester.email}`, 'smtp:samuel@contoso.example'];
    sam.otherMails = ['sam@home.example'];
    // Two more Slack accounts, listed as approvers, whose emails are those aliases.
    world.slack.addUser({ id: 'U0SAMALT01', name: 'samuel', email: 'samuel@contoso.example' });
    world.slack.addUser({ id: 'U0SAMALT02', name: 'sam-home', email: 'sam@home.example' });
    for (const alias of ['U0SAMALT01', 'U0SAMALT02']) world.slack.workspace.channels.get(APPROVALS)?.members.add(alias);
    writePolicyWithApprovers(world, ['U0SAMALT01', 'U0SAMALT02', PEOPLE.approver1.slack]);
    await world.bot.reloadPolicy();

    const { card } = await ask(world, PEOPLE.requester.slack, 'prod-db');
    if (!card) throw new Error('no card');
    for (const alias of ['U0SAMALT01', 'U0SAMALT02']) {
      const approver = world.slack.person(alias);
      await approver.click('jit_approve', { message: card });
      await world.slack.waitFor(() => approver.ephemerals().length > 0, 3000, 'the refusal');
      expect(approver.ephemerals()[0]?.text).toBe(
        'You cannot approve this request: your Slack email is an address of the Entra account that would receive the access (sam.sre@contoso.example). Another approver has to.',
      );
    }
    expect(card.history).toHaveLength(0);
    expect(JSON.stringify(card.blocks)).toContain('jit_approve');
    expect(sqliteOf(world.bot).prepare('SELECT state FROM requests').pluck().get()).toBe('pending');

    await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
  });
});

describe('an approver the bot cannot find in Entra', () => {
  it('cannot approve when their Slack email matches no Entra account, and is told why; a known approver can', async () => {
    world = await startWorld({ policy: GUEST_POLICY });
    // A Slack account whose email Entra does not know: it might be anyone, the requester included.
    world.slack.addUser({ id: 'U0UNKNOWN1', name: 'kim', email: 'kim@elsewhere.example' });
    world.slack.workspace.channels.get(APPROVALS)?.members.add('U0UNKNOWN1');
    writePolicyWithApprovers(world, ['U0UNKNOWN1', PEOPLE.approver1.slack]);
    await world.bot.reloadPolicy();

    const { card } = await ask(world, PEOPLE.requester.slack, 'prod-db');
    if (!card) throw new Error('no card');
    const unknown = world.slack.person('U0UNKNOWN1');
    await unknown.click('jit_approve', { message: card });
    await world.slack.waitFor(() => unknown.ephemerals().length > 0, 3000, 'the refusal');
    expect(unknown.ephemerals()[0]?.text).toBe(
      'You cannot approve this request: no Entra account has your Slack email, so the bot cannot prove you are not the requester. Ask your identity team to link your Slack email to your Entra account; meanwhile another approver has to.',
    );
    expect(card.history).toHaveLength(0);
    expect(sqliteOf(world.bot).prepare('SELECT state FROM requests').pluck().get()).toBe('pending');

    await world.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
  });
});

describe('emails with characters that mean something in a $filter', () => {
  it('finds the account of a person whose email has a quote in it', async () => {
    world = await startWorld({ policy: GUEST_POLICY });
    world.slack.addUser({ id: 'U0ONEIL001', name: 'oneil', email: "o'neil@contoso.example" });
    world.graph.addUser({
      id: '66666666-6666-4666-8666-666666666604',
      userPrincipalName: 'oneil@contoso.example',
      mail: "o'neil@contoso.example",
    });
    const { errors, card } = await ask(world, 'U0ONEIL001', 'prod-db');
    expect(errors).toEqual({});
    expect(JSON.stringify(card?.blocks)).toContain('oneil@contoso.example');
  });

  it('never lets an encoded quote in a Slack email rewrite the filter to reach someone else’s account', async () => {
    world = await startWorld({ policy: GUEST_POLICY });
    // Decoded once and unescaped, this would read: mail eq 'nobody' or mail eq 'sam.sre@contoso.example'.
    const crafted = `nobody%27%20or%20mail%20eq%20%27${PEOPLE.requester.email}`;
    world.slack.addUser({ id: 'U0CRAFTED1', name: 'mallory', email: crafted });
    const { errors } = await ask(world, 'U0CRAFTED1', 'prod-db');
    expect(errors.target).toMatch(/^No Entra account matches your Slack email/);
    expect(cards(world)).toEqual([]);
    expect(sqliteOf(world.bot).prepare('SELECT COUNT(*) FROM requests').pluck().get()).toBe(0);
    const filters = world.graph.log
      .filter((entry) => entry.path === '/v1.0/users')
      .map((entry) => new URLSearchParams(entry.query).get('$filter'));
    expect(filters).toContain(`mail eq '${crafted}'`);
  });
});

function writePolicyWithApprovers(w: World, approvers: string[]): void {
  writeFileSync(w.policyFile, guestPolicy(approvers));
}
