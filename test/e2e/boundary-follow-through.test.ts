// At the end of a grant, once Entra confirms the membership gone, the real bot ends the person's Boundary
// sign-ins and sessions on the Boundary simulator, verifies it, and posts one checklist in the card's thread and
// the requester's DM: for both kinds of target, for every way a grant ends, and through a Boundary outage that
// spans the end without delaying Entra. The clocks of the bot, Graph and Boundary move together.

import { afterEach, describe, expect, it } from 'vitest';
import { BoundarySimulator, type SimSession, type SimUser } from '../../simulators/boundary/boundary-simulator.js';
import { policyYaml, prodDb, prodSsh } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { SETTLING_MS } from '../../src/application/reconcile.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, PIM_GROUP, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
let boundary: BoundarySimulator | undefined;
const MINUTE = 60_000;
// Entra keeps a PIM assignment at least 5 minutes (ActiveDurationTooShort): an early end waits for that mark.
const PIM_MINIMUM = 5 * MINUTE + 1000;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  await boundary?.stop();
  boundary = undefined;
  expect(violations).toEqual([]);
});

const POLICY = policyYaml({
  settings: { expiryWarning: '1m' },
  targets: [
    prodSsh({
      boundary: { managedGroup: 'Production - Boundary on Azure', targetIds: ['ttcp_1234567890'] },
      duration: { default: '15m', max: '1h' },
    }),
    prodDb({ boundary: { managedGroup: 'Production databases', targetIds: ['ttcp_1234567890'] }, duration: { default: '10m', max: '2h' } }),
  ],
});

const TARGETS = {
  // Longer than reconciliation waits for Graph's index to settle (SETTLING_MS), so that it can find a removal.
  'prod-ssh': { kind: 'pim_group', group: PIM_GROUP, minutes: 15 },
  'prod-db': { kind: 'group_membership', group: MEMBER_GROUP, minutes: 10 },
} as const;
type TargetId = keyof typeof TARGETS;

interface Seeded {
  sam: SimUser;
  samSessions: SimSession[];
  other: SimUser;
  otherToken: string;
  otherSession: SimSession;
}

/**
 * Sam signed in to Boundary from two machines, with a session through the first and one still pending; someone
 * else is signed in too, with a session, and must be left alone.
 */
function seed(sim: BoundarySimulator): Seeded {
  const sam = sim.addUser({ name: 'sam' });
  const account = sim.addAccount(sam.id, { subject: PEOPLE.requester.entra, email: PEOPLE.requester.email });
  const laptop = sim.signIn(account.id);
  sim.signIn(account.id);
  const samSessions = [sim.addSession(sam.id, { authTokenId: laptop.id }), sim.addSession(sam.id, { status: 'pending' })];
  const other = sim.addUser({ name: 'otto' });
  const otherToken = sim.signIn(sim.addAccount(other.id, { subject: PEOPLE.outsider.entra }).id);
  const otherSession = sim.addSession(other.id, { authTokenId: otherToken.id });
  return { sam, samSessions, other, otherToken: otherToken.id, otherSession };
}

async function start(): Promise<{ w: World; sim: BoundarySimulator; seeded: Seeded }> {
  boundary = await BoundarySimulator.start();
  const seeded = seed(boundary);
  world = await startWorld({ policy: POLICY, boundary });
  return { w: world, sim: boundary, seeded };
}

async function grant(w: World, targetId: TargetId): Promise<SimMessage> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit', targetId);
  await sam.waitForModal();
  await sam.submit({ reason: 'Investigating incident INC-42 on db-1' });
  const approver = w.slack.person(PEOPLE.approver1.slack);
  const card = await w.slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the card');
  await approver.click('jit_approve', { message: card });
  await w.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
  return card;
}

const checklists = (messages: SimMessage[]) =>
  messages.map((message) => JSON.stringify(message.blocks)).filter((text) => text.includes('(verified)'));
const threadChecklists = (w: World, card: SimMessage) => checklists(w.slack.person(PEOPLE.approver1.slack).thread(card));

/** Each way a grant ends, through the bot's own surfaces (or Entra, for a removal by hand). */
const ENDINGS = {
  'its expiry': async (w: World, targetId: TargetId) => {
    await w.advance(TARGETS[targetId].minutes * MINUTE);
  },
  'the requester’s “I’m done”': async (w: World, targetId: TargetId) => {
    const sam = w.slack.person(PEOPLE.requester.slack);
    const granted = await w.slack.waitFor(() => sam.dms().find((message) => message.text.includes('is active until')), 5000, 'the DM');
    await sam.click('jit_end_access', { message: granted });
    if (targetId === 'prod-ssh') await w.advance(PIM_MINIMUM);
  },
  'an admin’s revoke': async (w: World, targetId: TargetId) => {
    const ada = w.slack.person(PEOPLE.admin.slack);
    await ada.openHome();
    await w.slack.waitFor(() => JSON.stringify(ada.home?.definition ?? {}).includes('jit_revoke'), 3000, 'the admin list');
    await ada.click('jit_revoke', 'home');
    if (targetId === 'prod-ssh') await w.advance(PIM_MINIMUM);
  },
  'a removal found by reconciliation': async (w: World, targetId: TargetId) => {
    const { directory } = w.graph;
    if (targetId === 'prod-db') directory.groups.get(MEMBER_GROUP)?.members.delete(PEOPLE.requester.entra);
    const assignment = directory.activeAssignment(PIM_GROUP, PEOPLE.requester.entra, 'member');
    if (targetId === 'prod-ssh' && assignment) directory.removeAssignment(assignment);
    await w.advance(SETTLING_MS);
    expect((await w.bot.reconcile()).removedOutside).toHaveLength(1);
  },
} as const;

describe('Boundary follow-through', () => {
  it('tells the person how to sign in to Boundary when the access is granted', async () => {
    const { w, sim } = await start();
    await grant(w, 'prod-db');
    const sam = w.slack.person(PEOPLE.requester.slack);
    const granted = await w.slack.waitFor(() => sam.dms().find((message) => message.text.includes('is active until')), 5000, 'the DM');
    expect(JSON.stringify(granted.blocks)).toContain(`boundary authenticate oidc -auth-method-id ${sim.oidcAuthMethodId}`);
    expect(JSON.stringify(granted.blocks)).toContain('boundary connect -target-id ttcp_1234567890');
  });

  describe.each(Object.entries(TARGETS).map(([id, target]) => [target.kind, id as TargetId] as const))(
    'for a %s target',
    (_kind, targetId) => {
      it.each(Object.keys(ENDINGS) as (keyof typeof ENDINGS)[])(
        'ends on %s with every sign-in and session of the person gone, verified, and one checklist',
        async (ending) => {
          const { w, sim, seeded } = await start();
          const card = await grant(w, targetId);
          await ENDINGS[ending](w, targetId);

          await w.slack.waitFor(() => threadChecklists(w, card).length > 0, 5000, 'the checklist in the thread');
          await w.bot.scheduler.idle();
          expect(w.graph.isMember(TARGETS[targetId].group, PEOPLE.requester.entra)).toBe(false);
          expect(threadChecklists(w, card)).toEqual([
            expect.stringContaining('Entra membership removed :white_check_mark: · Boundary: 2 sign-ins revoked, 2 sessions ended'),
          ]);
          expect(checklists(w.slack.person(PEOPLE.requester.slack).dms())).toHaveLength(1);
          expect(sim.tokensOf(seeded.sam.id)).toEqual([]);
          expect(seeded.samSessions.map((session) => sim.sessionStatus(session.id))).toEqual(['canceling', 'canceling']);
          expect(sim.tokensOf(seeded.other.id).map((token) => token.id)).toEqual([seeded.otherToken]);
          expect(sim.sessionStatus(seeded.otherSession.id)).toBe('active');
        },
      );
    },
  );

  it('removes Entra on time through a 30 s Boundary outage spanning the end, then signs out once Boundary is back', async () => {
    const { w, sim, seeded } = await start();
    const card = await grant(w, 'prod-db');
    const endsAt = Number(sqliteOf(w.bot).prepare('SELECT ends_at FROM grants').pluck().get());
    await w.advance(endsAt - 10_000 - w.clock.now());
    sim.injectFault({ route: /./, status: 503, retryAfterSeconds: 10, forMs: 30_000 });
    const outageEnds = sim.now() + 30_000;

    await w.advance(endsAt - w.clock.now());
    await w.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end in Entra');
    const removal = w.graph.log.find((entry) => entry.method === 'DELETE' && entry.status === 204);
    expect(removal?.at).toBeGreaterThanOrEqual(endsAt);
    expect((removal?.at ?? Number.POSITIVE_INFINITY) - endsAt).toBeLessThan(2000);
    expect(w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(sim.log.some((entry) => entry.status === 503)).toBe(true);
    expect(threadChecklists(w, card)).toEqual([]);

    // Boundary asks for 10 s each time; the step is tried again until the outage is over.
    for (let step = 0; step < 4 && threadChecklists(w, card).length === 0; step++) await w.advance(10_000);
    await w.slack.waitFor(() => threadChecklists(w, card).length > 0, 5000, 'the checklist');
    const deletions = sim.log.filter((entry) => entry.method === 'DELETE' && entry.status === 204);
    expect(deletions).toHaveLength(2);
    expect(Math.min(...deletions.map((entry) => entry.at))).toBeGreaterThanOrEqual(outageEnds);
    expect(sim.tokensOf(seeded.sam.id)).toEqual([]);
    expect(sim.tokensOf(seeded.other.id)).toHaveLength(1);
    expect(threadChecklists(w, card)).toHaveLength(1);
  });
});
