// The real bot against the Slack, Graph and PagerDuty simulators: a requester on call approved at once, every
// other case left to the approvers, and the incident a target asks for checked in the form.

import { afterEach, describe, expect, it } from 'vitest';
import { PagerDutySimulator } from '../../simulators/pagerduty/pagerduty-simulator.js';
import { MANAGERS, policyYaml, prodDb, prodSsh } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
let pagerDuty: PagerDutySimulator | undefined;

afterEach(async () => {
  const violations = await stopWorld(world);
  await pagerDuty?.stop();
  world = undefined;
  pagerDuty = undefined;
  expect(violations).toEqual([]);
});

const REASON = 'Investigating incident INC-42 on db-1';
// prod-db: up to 2h, approved at once up to 1h for the primary schedule's first level; prod-ssh asks for an incident.
const POLICY = policyYaml({
  targets: [
    prodDb({ approvers: { users: MANAGERS }, autoApprove: { scheduleIds: ['PSCHED01'], maxLevel: 1, max: '1h' } }),
    prodSsh({ approvers: { users: MANAGERS }, incident: 'required' }),
  ],
});

/** The world with PagerDuty: a primary and another schedule, one escalation policy, and the requester as a user. */
async function start(): Promise<{ w: World; pd: PagerDutySimulator; sam: string }> {
  const pd = await PagerDutySimulator.start();
  pagerDuty = pd;
  pd.addSchedule({ id: 'PSCHED01', name: 'Databases primary' });
  pd.addSchedule({ id: 'PSCHED99', name: 'Front end' });
  pd.addEscalationPolicy({ id: 'PEPOLICY1', name: 'Databases' });
  const sam = pd.addUser({ id: 'PSAM001', name: 'Sam SRE', email: PEOPLE.requester.email }).id;
  const w = await startWorld({ policy: POLICY, pagerDuty: pd });
  world = w;
  return { w, pd, sam };
}

const cards = (w: World): SimMessage[] =>
  w.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
const actions = (message: SimMessage): string[] =>
  [...JSON.stringify(message.blocks).matchAll(/"action_id":"(\w+)"/g)].map((m) => m[1] ?? '');

/** Submits the form for `targetId`; returns the inline errors, and the card when there were none. */
async function ask(
  w: World,
  targetId: string,
  values: Record<string, string>,
): Promise<{ errors: Record<string, string>; card?: SimMessage }> {
  const requester = w.slack.person(PEOPLE.requester.slack);
  await requester.slash('/jit', targetId);
  await requester.waitForModal();
  const { errors } = await requester.submit({ reason: REASON, ...values });
  if (Object.keys(errors).length > 0) {
    await requester.close();
    return { errors };
  }
  return { errors, card: await w.slack.waitFor(() => cards(w)[0], 5000, 'the card') };
}

function audit(w: World): { action: string; actor: string; detail: Record<string, unknown> }[] {
  return sqliteOf(w.bot)
    .prepare('SELECT action, actor, detail FROM audit_events ORDER BY seq')
    .all()
    .map((row) => {
      const { action, actor, detail } = row as { action: string; actor: string; detail: string };
      return { action, actor, detail: JSON.parse(detail) as Record<string, unknown> };
    });
}

describe('approval by PagerDuty on-call', () => {
  it('approves and grants a requester on call at once; the card says why and keeps Revoke, which an approver uses', async () => {
    const { w, pd, sam } = await start();
    pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01' });
    const { card } = await ask(w, 'prod-db', {});
    if (!card) throw new Error('no card');
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 8000, 'the grant');
    await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the card to show active access');
    expect(JSON.stringify(card.blocks)).toContain('Approved at once by PagerDuty on-call (schedule PSCHED01)');
    expect(actions(card)).toEqual(['jit_revoke']);
    expect(audit(w).slice(0, 2)).toMatchObject([
      { action: 'requested', actor: PEOPLE.requester.slack },
      { action: 'auto_approved', actor: 'PagerDuty on-call (schedule PSCHED01)', detail: { scheduleId: 'PSCHED01', escalationLevel: 1 } },
    ]);

    await w.slack.person(PEOPLE.approver2.slack).click('jit_revoke', { message: card });
    await w.slack.waitFor(() => card.text.endsWith('ended'), 8000, 'the card to show the end');
    expect(w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(JSON.stringify(card.blocks)).toContain(`revoked by <@${PEOPLE.approver2.slack}>`);
    const metrics = await (await fetch(`http://127.0.0.1:${w.bot.httpPort}/metrics`)).text();
    expect(metrics).toContain('jit_auto_approvals_total 1');
  });

  it.each([
    { case: 'off call', arrange: () => undefined, duration: {}, because: 'off_call' },
    {
      case: 'on call above max_level',
      arrange: (pd: PagerDutySimulator, sam: string) =>
        pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01', escalationLevel: 2 }),
      duration: {},
      because: 'level_too_high',
    },
    {
      // PagerDuty is asked for the listed schedule only, so an on-call for another does not come back at all.
      case: 'on call for a schedule the target does not list',
      arrange: (pd: PagerDutySimulator, sam: string) =>
        pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED99' }),
      duration: {},
      because: 'off_call',
    },
    {
      case: 'on call, asking for longer than auto_approve.max',
      arrange: (pd: PagerDutySimulator, sam: string) =>
        pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01' }),
      duration: { 'duration_prod-db': '120' },
      because: 'too_long',
    },
    {
      case: 'whose email only a look-alike PagerDuty user contains',
      arrange: (pd: PagerDutySimulator) => {
        pd.store.users.delete('PSAM001');
        const lookAlike = pd.addUser({ name: 'Xsam', email: `x${PEOPLE.requester.email}` }).id;
        pd.putOnCall({ userId: lookAlike, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01' });
      },
      duration: {},
      because: 'not_in_pagerduty',
    },
    {
      case: 'while PagerDuty is down',
      arrange: (pd: PagerDutySimulator, sam: string) => {
        pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01' });
        pd.injectFault({ route: 'GET /oncalls', status: 503, times: Number.POSITIVE_INFINITY });
      },
      duration: {},
      because: 'pagerduty_failed',
    },
    {
      case: 'while PagerDuty answers slower than 3 s',
      arrange: (pd: PagerDutySimulator, sam: string) => {
        pd.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', scheduleId: 'PSCHED01' });
        pd.injectFault({ route: 'GET /users', latencyMs: 4000 });
      },
      duration: {},
      because: 'pagerduty_failed',
    },
  ])('leaves a requester $case to the approvers, who can still approve', async ({ arrange, duration, because }) => {
    const { w, pd, sam } = await start();
    arrange(pd, sam);
    const { card } = await ask(w, 'prod-db', duration);
    if (!card) throw new Error('no card');
    await w.slack.waitFor(() => audit(w).some((event) => event.action === 'auto_approval_declined'), 10_000, 'the on-call check');
    expect(audit(w).find((event) => event.action === 'auto_approval_declined')?.detail.because).toBe(because);
    expect(actions(card)).toEqual(['jit_approve', 'jit_deny']);

    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 8000, 'the grant');
  });
});

describe('the incident a target asks for', () => {
  it.each([
    ['an unknown incident', '9999', /^PagerDuty has no such incident/],
    ['a resolved incident', '1200', /^Incident #1200 is resolved in PagerDuty/],
  ])('refuses %s on its field, and sends nothing to the approvers', async (_case, typed, message) => {
    const { w, pd } = await start();
    pd.addIncident({ number: 1200, title: 'Disk full on db-2', status: 'resolved' });
    const { errors } = await ask(w, 'prod-ssh', { incident: typed });
    expect(errors).toEqual({ incident: expect.stringMatching(message) });
    expect(cards(w)).toEqual([]);
  });

  it('refuses inline when PagerDuty does not answer in time', async () => {
    const { w, pd } = await start();
    pd.addIncident({ number: 1234, title: 'Checkout latency above 2 s' });
    pd.injectFault({ route: 'GET /incidents/', latencyMs: 2500 });
    const { errors } = await ask(w, 'prod-ssh', { incident: '1234' });
    expect(errors).toEqual({ incident: 'PagerDuty did not answer, try again.' });
  });

  it('shows an open incident’s number and title on the card and records it in the audit trail', async () => {
    const { w, pd } = await start();
    const incident = pd.addIncident({ number: 1234, title: 'Checkout latency above 2 s' });
    const { card } = await ask(w, 'prod-ssh', { incident: '#1234' });
    expect(JSON.stringify(card?.blocks)).toContain('*PagerDuty incident*\\n#1234 Checkout latency above 2 s');
    expect(audit(w)[0]?.detail.incident).toEqual({ id: incident.id, number: 1234, title: 'Checkout latency above 2 s' });
  });
});
