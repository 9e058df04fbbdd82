// Chasing a request that waits, on the real bot against the simulators, with the fake clock: its approvers are
// reminded in the card's thread after remind_after and again after the doubled wait, never once it is decided
// (on SQLite and on PostgreSQL); after escalate.after the people it escalates to are told, in the thread and by
// DM with a link to the card, and may approve where they were refused before; and an approver's Home tab shows
// an extension waiting for them, which they approve from there.

import { afterEach, describe, expect, it } from 'vitest';
import { MANAGERS, policyYaml, prodDb } from '../../simulators/policies.js';
import type { TestDatabase } from '../../simulators/postgres-server.js';
import { addPerson, sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

const MINUTE = 60_000;
const DIRECTOR = { slack: 'U0DIRECTOR1', entra: '66666666-6666-4666-8666-666666666666', email: 'dana.director@contoso.example' };
const CHASED_POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '10m' },
  targets: [
    prodDb({
      approvers: { users: MANAGERS, required: 1, remindAfter: '15m', escalate: { after: '1h', users: [DIRECTOR.slack] } },
      extension: { maxTotal: '3h', approval: 'approvers' },
    }),
  ],
});

let world: World | undefined;
let database: TestDatabase | undefined;
afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  await database?.drop();
  database = undefined;
  expect(violations).toEqual([]);
});

async function requested(w: World): Promise<SimMessage> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit');
  await sam.waitForModal();
  expect((await sam.submit({ reason: 'Rotating the database credentials' })).errors).toEqual({});
  return w.slack.waitFor(() => w.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the approval card');
}

const reminders = (w: World, card: SimMessage) =>
  w.slack
    .person(PEOPLE.approver1.slack)
    .thread(card)
    .filter((message) => message.text.startsWith('Reminder:'));

describe('reminders', () => {
  it.each(['SQLite', 'PostgreSQL'])(
    'on %s, come in the thread after remind_after, again after twice as long, and never after the decision',
    async (store) => {
      if (store === 'PostgreSQL') database = await freshPostgresDatabase();
      const databaseUrl = database?.url;
      world = await startWorld({ policy: CHASED_POLICY, ...(databaseUrl && { databaseUrl }) });
      const w = world;
      const card = await requested(w);

      await w.advance(14 * MINUTE);
      expect(reminders(w, card)).toEqual([]);
      await w.advance(MINUTE);
      const [first] = await w.slack.waitFor(() => reminders(w, card).length === 1 && reminders(w, card), 10_000, 'the first reminder');
      expect(JSON.stringify(first?.blocks)).toContain('<@U0MANAGER1> <@U0MANAGER2>: please approve or deny it.');

      await w.advance(29 * MINUTE);
      expect(reminders(w, card)).toHaveLength(1);
      await w.advance(MINUTE);
      await w.slack.waitFor(() => reminders(w, card).length === 2, 10_000, 'the second reminder, 30 minutes after the first');

      await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
      await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the grant');
      await w.advance(2 * 60 * MINUTE);
      expect(reminders(w, card)).toHaveLength(2);
      // The escalation, due at 1h, never came either: the request was decided at 45m.
      expect(
        w.slack
          .person(PEOPLE.approver1.slack)
          .thread(card)
          .some((message) => message.text.startsWith('Escalated')),
      ).toBe(false);
    },
  );
});

describe('escalation', () => {
  it('makes escalate.users approvers after escalate.after: refused before, told in the thread and by DM with a link, and approving after', async () => {
    world = await startWorld({ policy: CHASED_POLICY });
    const w = world;
    addPerson(w, DIRECTOR);
    w.slack.workspace.channels.get(APPROVALS)?.members.add(DIRECTOR.slack);
    const dana = w.slack.person(DIRECTOR.slack);
    const card = await requested(w);

    await dana.click('jit_approve', { message: card });
    await w.slack.waitFor(() => dana.ephemerals().length > 0, 5000, 'the refusal');
    expect(dana.ephemerals()[0]?.text).toMatch(/^You may decide on this request once it escalates to you, <!date\^\d+\^/);

    // As the clock would go: the reminders at 15m and 45m, then the escalation at 1h.
    for (const minutes of [15, 30, 15]) await w.advance(minutes * MINUTE);
    const notice = await w.slack.waitFor(
      () => dana.thread(card).find((message) => message.text.startsWith('Escalated')),
      10_000,
      'the escalation in the thread',
    );
    expect(JSON.stringify(notice.blocks)).toContain('nobody decided within 1h, so <@U0DIRECTOR1> may now approve or deny this request too');
    const [dm] = await w.slack.waitFor(() => dana.dms().length > 0 && dana.dms(), 10_000, 'the DM to the director');
    const link = `https://sim.slack.test/archives/${card.channel}/p${card.ts.replace('.', '')}`;
    expect(JSON.stringify(dm?.blocks)).toContain(`<${link}|Open the request>`);
    await dana.openHome();
    await w.slack.waitFor(() => JSON.stringify(dana.home?.definition ?? {}).includes('jit_approve'), 10_000, 'the request on Dana’s Home');

    await dana.click('jit_approve', 'home');
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the grant Dana approved');
    const trail = sqliteOf(w.bot)
      .prepare("SELECT action, actor, detail FROM audit_events WHERE action IN ('reminded', 'escalated', 'approved') ORDER BY seq")
      .all() as { action: string; actor: string; detail: string }[];
    expect(trail.map(({ action, actor }) => `${action} by ${actor}`)).toEqual([
      'reminded by system',
      'reminded by system',
      'escalated by system',
      'approved by U0DIRECTOR1',
    ]);
    expect(JSON.parse(trail[2]?.detail ?? '{}')).toMatchObject({ users: [DIRECTOR.slack], afterMinutes: 60 });
  });
});

describe('the Home tab', () => {
  it('shows an approver the extension waiting for them, who approves it from there', async () => {
    world = await startWorld({ policy: CHASED_POLICY });
    const w = world;
    const sam = w.slack.person(PEOPLE.requester.slack);
    const card = await requested(w);
    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('active'), 10_000, 'the grant');

    await w.advance(20 * MINUTE);
    const warning = await w.slack.waitFor(() => sam.dms().find((message) => message.text.includes(' ends ')), 10_000, 'the expiry warning');
    await sam.click('jit_extend', { message: warning });
    await sam.waitForModal();
    expect((await sam.submit({ extension_minutes: '60', reason: 'The <rotation> needs another hour' })).errors).toEqual({});

    const li = w.slack.person(PEOPLE.approver2.slack);
    await li.openHome();
    const shown = () => JSON.stringify(li.home?.definition ?? {});
    await w.slack.waitFor(() => shown().includes('Extensions waiting for your decision'), 10_000, 'the extension on Li’s Home');
    expect(shown()).toContain('<@U0SRE0001> asks for *Production databases* 1h longer');
    expect(shown()).toContain('The &lt;rotation&gt; needs another hour');

    await li.click('jit_extension_approve', 'home');
    await w.slack.waitFor(() => sam.dms().some((message) => message.text.includes('is extended until')), 10_000, 'the extension');
    await w.slack.waitFor(() => !shown().includes('Extensions waiting'), 10_000, 'Li’s Home without the extension');
  });
});
