import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteOf } from '../../simulators/sandbox.js';
import { APPROVALS, PEOPLE, PIM_GROUP, startWorld, stopWorld, type World } from '../support/world.js';

let world: World;
const MINUTE = 60_000;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  expect(await stopWorld(world)).toEqual([]);
});

describe('a request from /jit to the end of the grant', () => {
  it('is requested, approved, granted through PIM, warned about, expired and revoked, all reported in Slack', async () => {
    const { slack, graph } = world;
    const requester = slack.person(PEOPLE.requester.slack);
    const approver = slack.person(PEOPLE.approver1.slack);

    await requester.slash('/jit');
    const modal = await requester.waitForModal();
    expect(modal.definition.callback_id).toBe('jit_request');
    await requester.submit({ reason: 'Investigating incident INC-42 on web-1', 'duration_prod-ssh': '120' });

    const card = await slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the approval card');
    expect(card.text).toContain('Production servers (SSH)');
    expect(JSON.stringify(card.blocks)).toContain('Investigating incident INC-42 on web-1');
    const receipt = await slack.waitFor(() => requester.dms()[0], 5000, 'the receipt DM');
    expect(JSON.stringify(receipt.blocks)).toContain('jit_cancel');

    await approver.click('jit_approve', { message: card });
    await slack.waitFor(() => graph.isMember(PIM_GROUP, PEOPLE.requester.entra), 5000, 'the PIM grant');
    await slack.waitFor(() => card.text.endsWith('active'), 5000, 'the card to show active access');
    expect(JSON.stringify(card.blocks)).not.toContain('jit_approve');
    const [granted] = await slack.waitFor(() => approver.thread(card).length > 0 && approver.thread(card), 5000, 'the granted reply');
    expect(granted?.text).toMatch(/^Access granted to <@U0SRE0001> until <!date\^\d+\^/);
    expect(JSON.stringify(granted?.blocks)).toContain('Sign in to Boundary again with `boundary authenticate oidc`');

    await world.advance(110 * MINUTE);
    await slack.waitFor(() => approver.thread(card).some((message) => message.text.includes('ends')), 5000, 'the expiry warning');
    expect(graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(true);

    await world.advance(10 * MINUTE);
    await slack.waitFor(() => card.text.endsWith('ended'), 5000, 'the card to show the end');
    expect(graph.isMember(PIM_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(approver.thread(card).map((message) => message.text.split(' until')[0]?.split(' ends')[0])).toEqual([
      'Access granted to <@U0SRE0001>',
      'Access for <@U0SRE0001>',
      'Access for <@U0SRE0001> ended',
    ]);
    expect(requester.dms().map((message) => message.text.replace(/<!date[^>]+>/, '…'))).toEqual([
      'Your request for Production servers (SSH): ended',
      'Your access to Production servers (SSH) is active until …',
      'Your access to Production servers (SSH) ends …',
      'Your access to Production servers (SSH) ended',
    ]);

    const trail = sqliteOf(world.bot).prepare('SELECT action, actor, state_before, state_after FROM audit_events ORDER BY seq').all();
    expect(trail).toEqual([
      { action: 'requested', actor: PEOPLE.requester.slack, state_before: null, state_after: 'pending' },
      { action: 'approved', actor: PEOPLE.approver1.slack, state_before: 'pending', state_after: 'approved' },
      { action: 'grant_call_sent', actor: 'system', state_before: 'approved', state_after: 'approved' },
      { action: 'granted', actor: 'system', state_before: 'approved', state_after: 'active' },
      { action: 'expiry_warned', actor: 'system', state_before: 'active', state_after: 'active' },
      { action: 'end_requested', actor: 'system', state_before: 'active', state_after: 'active' },
      { action: 'ended', actor: 'system', state_before: 'active', state_after: 'ended' },
    ]);
  });
});
