// Slack user groups among a target's approvers, and approvers who left Slack, on the real bot against the Slack and
// Graph simulators: a member of the group approves and the grant happens; the requester, a member too, cannot
// approve their own request under either of their Slack accounts; a member removed from the group is refused once
// the bot's five minutes of trust in the old list are over; a group Slack does not have is told to the admins while
// the listed approvers still decide; Slack's Tier 2 rate limit is waited out; a deactivated approver is skipped.

import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { MANAGERS, policyYaml, prodDb, prodSsh } from '../../simulators/policies.js';
import { AdjustableClock, addPerson, sqliteOf } from '../../simulators/sandbox.js';
import { manifestBotScopes } from '../../simulators/slack/manifest-scopes.js';
import { SlackSimulator } from '../../simulators/slack/slack-simulator.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

const ONCALL = 'S0ONCALL01';
const OLIVIA = { slack: 'U0OLIVIA01', entra: '77777777-7777-4777-8777-777777777701', email: 'olivia.oncall@contoso.example' };
// Sam's second Slack account, whose email is an alias of Sam's Entra mailbox.
const SAM_AGAIN = 'U0SAMALT01';
const MINUTE = 60_000;
const REASON = 'Investigating incident INC-42 on db-1';

const GROUP_POLICY = policyYaml({ targets: [prodDb({ approvers: { users: [PEOPLE.approver1.slack], groups: [ONCALL] } })] });

let world: World | undefined;
afterEach(async () => {
  expect(await stopWorld(world)).toEqual([]);
  world = undefined;
});

/**
 * The sandbox with usergroups:read added to the bot's scopes, as the README asks of a deployment whose policy
 * lists groups, and the group ONCALL of Olivia, Sam and Sam's second account. `slackClock`: the Slack simulator's
 * own clock, which the rate-limit test moves apart from the bot's.
 */
async function groupWorld(policy = GROUP_POLICY): Promise<{ w: World; slackClock: AdjustableClock }> {
  const slackClock = new AdjustableClock();
  const slack = new SlackSimulator({ scopes: [...manifestBotScopes(), 'usergroups:read'], now: () => slackClock.now() });
  world = await startWorld({ policy, slack });
  const w = world;
  addPerson(w, OLIVIA);
  w.slack.addUser({ id: SAM_AGAIN, name: 'samuel', email: 'samuel@contoso.example' });
  const sam = w.graph.directory.users.get(PEOPLE.requester.entra);
  if (!sam) throw new Error('no Sam in the simulated tenant');
  sam.proxyAddresses = [`SMTP:${PEOPLE.requester.email}`, 'smtp:samuel@contoso.example'];
  for (const member of [OLIVIA.slack, PEOPLE.requester.slack, SAM_AGAIN]) w.slack.workspace.channels.get(APPROVALS)?.members.add(member);
  w.slack.addUserGroup({ id: ONCALL, handle: 'db-oncall', members: [OLIVIA.slack, PEOPLE.requester.slack, SAM_AGAIN] });
  return { w, slackClock };
}

const cards = (w: World): SimMessage[] =>
  w.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);

/** Sam asks for a target through the modal; returns its card. */
async function ask(w: World, targetId = 'prod-db'): Promise<SimMessage> {
  const before = cards(w).length;
  const sam = w.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit', targetId);
  await sam.waitForModal();
  expect((await sam.submit({ reason: REASON })).errors).toEqual({});
  return w.slack.waitFor(() => cards(w)[before], 10_000, 'the card');
}

/** What `who` is told privately after clicking Approve on the card. */
async function approveAs(w: World, who: string, card: SimMessage): Promise<string | undefined> {
  const person = w.slack.person(who);
  const seen = person.ephemerals().length;
  await person.click('jit_approve', { message: card });
  return w.slack.waitFor(() => person.ephemerals()[seen]?.text, 10_000, `what ${who} is told`);
}

const stateOf = (w: World) => sqliteOf(w.bot).prepare('SELECT state FROM requests ORDER BY created_at DESC').pluck().get();
const adminDms = (w: World) =>
  w.slack
    .person(PEOPLE.admin.slack)
    .dms()
    .map((message) => message.text);

describe('approval by a member of a Slack user group', () => {
  it('mentions the group on the card, and a member’s approval grants the access', async () => {
    const { w } = await groupWorld();
    const card = await ask(w);
    expect(JSON.stringify(card.blocks)).toContain(`*Approvers*\\n<@${PEOPLE.approver1.slack}>, <!subteam^${ONCALL}>`);

    await w.slack.person(OLIVIA.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the grant');
    await w.slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the card to say active');
    expect(JSON.stringify(card.blocks)).toContain(`approved by <@${OLIVIA.slack}>`);
  });

  it('never lets the requester approve their own request as a member of the group, under either of their Slack accounts', async () => {
    const { w } = await groupWorld();
    const card = await ask(w);
    expect(await approveAs(w, PEOPLE.requester.slack, card)).toBe('You cannot decide on your own request; another approver has to.');
    expect(await approveAs(w, SAM_AGAIN, card)).toBe(
      'You cannot approve this request: your Slack email is an address of the Entra account that would receive the access (sam.sre@contoso.example). Another approver has to.',
    );
    expect(stateOf(w)).toBe('pending');
    expect(card.history).toHaveLength(0);
  });

  it('refuses a member removed from the group once the five minutes the bot trusts its list are over', async () => {
    const { w } = await groupWorld();
    const card = await ask(w);
    w.slack.setUserGroupMembers(ONCALL, [PEOPLE.requester.slack, SAM_AGAIN]);
    await w.advance(5 * MINUTE);

    expect(await approveAs(w, OLIVIA.slack, card)).toBe(
      'Only the approvers listed for this target in the policy, and the members of its approver groups, can decide on it.',
    );
    expect(stateOf(w)).toBe('pending');
    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the listed approver’s grant');
  });

  it('tells the admins of a group Slack does not have, and the listed approvers still decide', async () => {
    const { w } = await groupWorld(
      policyYaml({ targets: [prodDb({ approvers: { users: [PEOPLE.approver1.slack], groups: ['S0NOSUCH01'] } })] }),
    );
    const card = await ask(w);
    const told = await w.slack.waitFor(() => adminDms(w)[0], 10_000, 'the admins told');
    expect(told).toContain(
      "The policy's approver group S0NOSUCH01 of target prod-db cannot be read: Slack has no user group with this id (deleted, or a typo in the policy) (no_such_subteam).",
    );
    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the grant');
    expect(adminDms(w)).toHaveLength(1);
  });

  it('waits out Slack’s rate limit on usergroups.users.list, and the member’s approval still grants', async () => {
    const { w, slackClock } = await groupWorld();
    const card = await ask(w);
    await w.slack.waitFor(() => w.slack.calls.some((call) => call.method === 'usergroups.users.list'), 10_000, 'the card’s lookup');
    // Past the card's lookup on Slack's clock, another client of the app fills a minute's 20 calls (Tier 2).
    slackClock.offset += 61_000;
    const filledFrom = slackClock.now();
    const other = new WebClient(w.slack.botToken, {
      slackApiUrl: w.slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    for (let call = 0; call < 20; call++) await other.usergroups.users.list({ usergroup: ONCALL });
    // The bot's list of the group has expired, and Slack's minute frees a place about three seconds from now.
    await w.advance(5 * MINUTE);
    slackClock.offset += filledFrom + 57_000 - slackClock.now();

    await w.slack.person(OLIVIA.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('active'), 15_000, 'the grant after the rate limit');
    const lookups = w.slack.calls.filter((call) => call.method === 'usergroups.users.list');
    expect(lookups.map((call) => call.error ?? 'ok').slice(21)).toEqual(['http_429', 'ok']);
  });
});

describe('approvers who left Slack', () => {
  const DEPARTED_POLICY = policyYaml({
    targets: [prodDb({ approvers: { users: MANAGERS, required: 1 } }), prodSsh({ approvers: { users: MANAGERS, required: 2 } })],
  });

  it('skips a deactivated approver on the card, tells the admins once, and the request still goes to the others', async () => {
    world = await startWorld({ policy: DEPARTED_POLICY });
    const w = world;
    w.slack.deactivateUser(PEOPLE.approver2.slack);
    const card = await ask(w, 'prod-db');
    const shown = JSON.stringify(card.blocks);
    expect(shown).toContain(`*Approvers*\\n<@${PEOPLE.approver1.slack}>`);
    expect(shown).not.toContain(PEOPLE.approver2.slack);
    await w.slack.waitFor(() => adminDms(w)[0], 10_000, 'the admins told');
    expect(adminDms(w)[0]).toContain(
      `Approver ${PEOPLE.approver2.slack} of target prod-db has left Slack or was deactivated: the bot no longer names them or waits for them.`,
    );

    const why = await w.slack.person(PEOPLE.requester.slack).slash('/jit', 'why prod-db');
    expect(JSON.stringify(why.payload)).toContain(`*Who may approve:* <@${PEOPLE.approver1.slack}> — in`);

    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the grant');
    expect(adminDms(w)).toHaveLength(1);
  });

  it('says on the card, and tells the admins, when those left cannot meet the quorum, which stays as it is', async () => {
    world = await startWorld({ policy: DEPARTED_POLICY });
    const w = world;
    w.slack.deactivateUser(PEOPLE.approver2.slack);
    const card = await ask(w, 'prod-ssh');
    expect(JSON.stringify(card.blocks)).toContain(
      'This request needs 2 approval(s), but only 1 approver(s) other than the requester are still in Slack: it cannot be approved until the policy names more.',
    );
    await w.slack.waitFor(() => adminDms(w).some((text) => text.includes('needs 2 approvals')), 10_000, 'the admins told');

    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.history.length > 0 && JSON.stringify(card.blocks).includes('1 of 2'), 10_000, 'one approval of two');
    expect(stateOf(w)).toBe('pending');
  });
});
