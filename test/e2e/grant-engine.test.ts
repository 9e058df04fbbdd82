import { afterEach, describe, expect, it } from 'vitest';
import { policyYaml, prodSsh } from '../../simulators/policies.js';
import { sqliteOf } from '../../simulators/sandbox.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, PIM_GROUP, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
const MINUTE = 60_000;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

const ELIGIBLE_POLICY = policyYaml({
  admins: [],
  targets: [prodSsh({ grant: { kind: 'pim_group', groupId: PIM_GROUP, requireEligibility: true } })],
});

async function approvedRequest(w: World, targetId = 'prod-ssh'): Promise<SimMessage> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  await sam.slash('/jit', targetId);
  await sam.waitForModal();
  await sam.submit({ reason: 'Investigating incident INC-42 on web-1' });
  const card = await w.slack.waitFor(() => w.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
  await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
  return card;
}

describe('the grant engine against Graph', () => {
  it('refuses a person without PIM eligibility before any approver sees the request', async () => {
    world = await startWorld({ policy: ELIGIBLE_POLICY });
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit');
    await sam.waitForModal();
    const { errors } = await sam.submit({ reason: 'Investigating incident INC-42 on web-1' });
    expect(errors.target).toMatch(/^You are not eligible for this access in PIM/);
    expect(world.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)).toEqual([]);

    world.graph.addEligibility(PIM_GROUP, PEOPLE.requester.entra);
    expect((await sam.submit()).errors).toEqual({});
    await world.slack.waitFor(() => world?.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
  });

  it('reports a permanent refusal (403) on the card, in the thread and by DM, and grants nothing', async () => {
    world = await startWorld();
    world.graph.injectFault({ route: 'POST /v1.0/identityGovernance', status: 403, times: Number.POSITIVE_INFINITY });
    const card = await approvedRequest(world);
    await world.slack.waitFor(() => card.text.endsWith('failed'), 5000, 'the failure');
    expect(JSON.stringify(card.blocks)).toContain('Granting failed');
    expect(JSON.stringify(card.blocks)).toContain('Authorization_RequestDenied');
    const thread = () =>
      world?.slack
        .person(PEOPLE.approver1.slack)
        .thread(card)
        .map((message) => message.text) ?? [];
    await world.slack.waitFor(() => thread().length > 0, 3000, 'the thread reply');
    expect(thread()).toEqual(['Granting access to <@U0SRE0001> failed']);
    const sam = world.slack.person(PEOPLE.requester.slack);
    await world.slack.waitFor(() => sam.dms().some((message) => message.text.endsWith('failed')), 3000, 'the DM');
    expect(world.graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(false);
  });

  it('waits out throttling as long as Graph asks (Retry-After), then grants', async () => {
    world = await startWorld();
    world.graph.injectFault({ route: 'POST /v1.0/identityGovernance', status: 429, retryAfterSeconds: 1 });
    const card = await approvedRequest(world);
    await world.slack.waitFor(() => world?.graph.log.some((entry) => entry.status === 429), 3000, 'the throttled call');
    expect(world.graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(false);
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant after Retry-After');
    const calls = world.graph.log.filter((entry) => entry.path.endsWith('assignmentScheduleRequests'));
    expect(calls.map((entry) => entry.status)).toEqual([429, 201]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('delays a revocation through a Graph outage across the expiry, and never loses it', async () => {
    world = await startWorld();
    const card = await approvedRequest(world, 'prod-db');
    await world.slack.person(PEOPLE.approver2.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
    world.graph.injectFault({ route: 'DELETE /v1.0/groups', status: 503, times: 3 });
    await world.advance(30 * MINUTE);
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
    for (let attempt = 0; attempt < 4 && world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra); attempt++) await world.advance(MINUTE);
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the end');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(world.graph.log.filter((entry) => entry.method === 'DELETE').map((entry) => entry.status)).toEqual([503, 503, 503, 204]);
  });

  it('revokes at the scheduled end by its own timer, with no outside nudge', async () => {
    world = await startWorld();
    const card = await approvedRequest(world, 'prod-db');
    await world.slack.person(PEOPLE.approver2.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
    const endsAt = Number(sqliteOf(world.bot).prepare('SELECT ends_at AS endsAt FROM grants').pluck().get());
    // Jump to 1.5 s before the end, let the scheduler look once (as any event would), then only wait.
    const jump = endsAt - 1500 - world.clock.now();
    world.clock.offset += jump;
    world.graph.advance(jump);
    world.bot.scheduler.wake();
    await world.bot.scheduler.idle();
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(true);
    await world.slack.waitFor(() => !world?.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 6000, 'the timer to revoke');
    const revokedAt = world.graph.log.find((entry) => entry.method === 'DELETE')?.at ?? 0;
    expect(revokedAt).toBeGreaterThanOrEqual(endsAt);
  });

  it('raises a revocation that keeps failing in the approvers’ thread, and keeps trying', async () => {
    world = await startWorld();
    const card = await approvedRequest(world, 'prod-db');
    await world.slack.person(PEOPLE.approver2.slack).click('jit_approve', { message: card });
    await world.slack.waitFor(() => card.text.endsWith('active'), 5000, 'the grant');
    world.graph.injectFault({ route: 'DELETE /v1.0/groups', status: 403, times: 6 });
    await world.advance(30 * MINUTE);
    for (let attempt = 0; attempt < 7; attempt++) await world.advance(2 * MINUTE);
    const thread = () =>
      world?.slack
        .person(PEOPLE.approver1.slack)
        .thread(card)
        .map((message) => message.text) ?? [];
    await world.slack.waitFor(() => thread().includes('Removing access for <@U0SRE0001> keeps failing'), 5000, 'the alert');
    await world.slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the eventual end');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
  });
});
