// Break-glass on the real bot against the Slack and Graph simulators: access taken at once where the target
// allows it, alerted in the approvers' and the security channel, reviewed by someone else (never the person,
// under any Slack account of theirs), alerted again when ignored for an hour, and refused where not offered.

import { afterEach, describe, expect, it } from 'vitest';
import { MANAGERS, policyYaml, prodDb } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

const SECURITY = 'C0SECURITY';
const MINUTE = 60_000;
// Sam may approve prod-db too: the policy cannot stop them reviewing their own break-glass, the bot must.
const BREAK_GLASS_POLICY = policyYaml({
  targets: [
    prodDb({
      approvers: { users: [...MANAGERS, PEOPLE.requester.slack, 'U0SAMALT01'], required: 1 },
      breakGlass: { max: '1h', alertChannel: SECURITY },
    }),
  ],
});

let world: World | undefined;
afterEach(async () => {
  expect(await stopWorld(world)).toEqual([]);
  world = undefined;
});

async function breakTheGlass(w: World): Promise<{ alert: SimMessage; securityAlert: SimMessage }> {
  w.slack.addChannel({ id: SECURITY, name: 'security', members: [PEOPLE.admin.slack] });
  w.slack.workspace.channels.get(APPROVALS)?.members.add(PEOPLE.requester.slack);
  const sam = w.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit');
  await sam.waitForModal();
  await sam.fill('how', 'break_glass');
  const submitted = await sam.submit({ reason: 'Orders database down, INC-7 <!here>', 'duration_prod-db': '120' });
  expect(submitted.errors).toEqual({});
  const alert = await w.slack.waitFor(() => w.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the alert');
  const securityAlert = await w.slack.waitFor(() => w.slack.person(PEOPLE.admin.slack).channel(SECURITY)[0], 5000, 'the security alert');
  return { alert, securityAlert };
}

describe('break-glass on the real bot', () => {
  it('grants at once capped at break_glass.max, alerts both channels, refuses the person themself and takes another approver’s review', async () => {
    world = await startWorld({ policy: BREAK_GLASS_POLICY });
    const w = world;
    // A second Slack account of Sam's, listed as an approver, whose email is an alias of Sam's Entra account.
    const sam = w.graph.directory.users.get(PEOPLE.requester.entra);
    if (!sam) throw new Error('no Sam in the simulated tenant');
    sam.proxyAddresses = [`SMTP:${PEOPLE.requester.email}`, 'smtp:samuel@contoso.example'];
    w.slack.addUser({ id: 'U0SAMALT01', name: 'samuel', email: 'samuel@contoso.example' });
    w.slack.workspace.channels.get(APPROVALS)?.members.add('U0SAMALT01');

    const { alert, securityAlert } = await breakTheGlass(w);
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the grant, without any approval');
    for (const card of [alert, securityAlert]) {
      await w.slack.waitFor(() => card.text.endsWith('not reviewed, active'), 5000, 'the alert to show the grant');
      const shown = JSON.stringify(card.blocks);
      expect(shown).toContain('<@U0SRE0001> broke the glass');
      expect(shown).toContain('Orders database down, INC-7 &lt;!here&gt;');
      expect(shown).toContain('jit_break_glass_ack');
      expect(shown).toContain('jit_revoke');
    }
    const db = sqliteOf(w.bot);
    expect(db.prepare('SELECT duration_minutes FROM requests').pluck().get()).toBe(60);

    for (const [who, refusal] of [
      [
        PEOPLE.requester.slack,
        'You broke the glass yourself, so you cannot acknowledge it; another approver of this target or an admin has to.',
      ],
      [
        'U0SAMALT01',
        'You cannot acknowledge this break-glass: your Slack email is an address of the Entra account that would receive the access (sam.sre@contoso.example). Another approver has to.',
      ],
    ] as const) {
      const person = w.slack.person(who);
      await person.click('jit_break_glass_ack', { message: alert });
      await w.slack.waitFor(() => person.ephemerals().length > 0, 3000, 'the refusal');
      expect(person.ephemerals()[0]?.text).toBe(refusal);
    }
    expect(db.prepare('SELECT break_glass_reviewed_by FROM requests').pluck().get()).toBeNull();

    const li = w.slack.person(PEOPLE.approver2.slack);
    await li.openHome();
    await w.slack.waitFor(() => JSON.stringify(li.home?.definition ?? {}).includes('Break-glass to review'), 3000, 'Li’s Home');
    await li.click('jit_break_glass_ack', { message: alert });
    for (const card of [alert, securityAlert]) {
      await w.slack.waitFor(() => card.text.endsWith(': reviewed, active'), 5000, 'the alert to show the review');
      expect(JSON.stringify(card.blocks)).not.toContain('jit_break_glass_ack');
      expect(JSON.stringify(card.blocks)).toContain('acknowledged by <@U0MANAGER2>');
    }
    await w.slack.waitFor(() => !JSON.stringify(li.home?.definition ?? {}).includes('Break-glass to review'), 3000, 'Li’s Home cleared');

    const trail = db.prepare('SELECT action, actor, state_before, state_after FROM audit_events ORDER BY seq').all();
    expect(trail).toEqual([
      { action: 'break_glass', actor: PEOPLE.requester.slack, state_before: null, state_after: 'approved' },
      { action: 'grant_call_sent', actor: 'system', state_before: 'approved', state_after: 'approved' },
      { action: 'granted', actor: 'system', state_before: 'approved', state_after: 'active' },
      { action: 'break_glass_acknowledged', actor: PEOPLE.approver2.slack, state_before: 'active', state_after: 'active' },
    ]);
  });

  it('alerts both channels again, naming the approvers, when nobody reviews it within the hour', async () => {
    world = await startWorld({ policy: BREAK_GLASS_POLICY });
    const w = world;
    await breakTheGlass(w);
    const maria = w.slack.person(PEOPLE.approver1.slack);
    const ada = w.slack.person(PEOPLE.admin.slack);
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 5000, 'the grant');

    await w.advance(59 * MINUTE);
    expect(maria.channel(APPROVALS)).toHaveLength(1);
    await w.advance(MINUTE);
    const again = await w.slack.waitFor(() => maria.channel(APPROVALS)[1], 5000, 'the second alert');
    const securityAgain = await w.slack.waitFor(() => ada.channel(SECURITY)[1], 5000, 'the second security alert');
    for (const card of [again, securityAgain]) {
      const shown = JSON.stringify(card.blocks);
      expect(shown).toContain('Still not reviewed');
      // Sam's second account has no Slack account in this world: an approver Slack does not know is not named.
      expect(shown).toContain('<@U0MANAGER1> <@U0MANAGER2>: please review this break-glass.');
      expect(shown).toContain('jit_break_glass_ack');
    }
    await w.advance(2 * 60 * MINUTE);
    expect(maria.channel(APPROVALS)).toHaveLength(2);
    expect(sqliteOf(w.bot).prepare("SELECT COUNT(*) FROM audit_events WHERE action = 'break_glass_realerted'").pluck().get()).toBe(1);
  });

  it('refuses a forged submission that claims break-glass for a target without it, and grants nothing', async () => {
    world = await startWorld({ policy: policyYaml({ targets: [prodDb({ approvers: { users: MANAGERS } })] }) });
    const w = world;
    const sam = w.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit');
    const modal = await sam.waitForModal();
    expect(JSON.stringify(modal.definition)).not.toContain('break_glass');
    // What a crafted view_submission would carry: the modal never offered the choice.
    modal.values.how = { value: { type: 'radio_buttons', selected_option: { value: 'break_glass' } } };

    const submitted = await sam.submit({ reason: 'Orders database down, INC-7' });

    expect(submitted.errors).toEqual({ target: 'This target offers no break-glass access; ask the approvers instead.' });
    const db = sqliteOf(w.bot);
    expect(db.prepare('SELECT COUNT(*) FROM requests').pluck().get()).toBe(0);
    expect(w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
  });
});
