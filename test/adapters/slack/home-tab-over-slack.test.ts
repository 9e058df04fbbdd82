// The Home tab headless: the real read model and builder, published through the Slack adapter to the strict
// Slack simulator (which refuses what Slack would: more than 100 blocks, texts too long, duplicate ids), for an
// approver and admin whose tab has many of every kind of item.

import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import { SlackHomePublisher } from '../../../src/adapters/slack/home-publisher.js';
import { SlackChatSurface } from '../../../src/adapters/slack/slack-chat-surface.js';
import { describeHomes, homeViewersOf } from '../../../src/application/request-views.js';
import type { AccessRequest } from '../../../src/domain/access-request.js';
import { findTarget } from '../../../src/domain/policy.js';
import { createLogger } from '../../../src/logger.js';
import { blockTexts } from '../../support/block-kit.js';
import { FakeRequestRepository } from '../../support/fakes.js';
import { ADMIN, APPROVER_1, grantedIn, makePolicy, makeTarget, OUTSIDER, requestIn, T0 } from '../../support/fixtures.js';

const EACH = 30;
const policy = makePolicy([makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, ADMIN], required: 1 } })]);

let sim: SlackSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** Many of every kind of item ADMIN's tab shows: to review, to decide, their own, and everyone's as an admin. */
function crowdedStore(): FakeRequestRepository {
  const store = new FakeRequestRepository();
  const add = (request: AccessRequest) => store.requests.set(request.id, request);
  for (let i = 0; i < EACH; i++) {
    const long = `Reason ${i}: ${'the migration of the orders database still runs '.repeat(12)}`;
    add(requestIn('pending', { id: `req_decide_${i}`, requesterId: OUTSIDER, reason: long, createdAt: T0 + i }));
    add(requestIn('pending', { id: `req_mine_${i}`, requesterId: ADMIN, createdAt: T0 + i }));
    add(grantedIn('active', { id: `req_active_${i}`, requesterId: ADMIN, createdAt: T0 + i }));
    add(grantedIn('active', { id: `req_glass_${i}`, requesterId: OUTSIDER, approvals: [], breakGlass: { at: T0 + i }, reason: long }));
    add(
      grantedIn('active', {
        id: `req_extend_${i}`,
        requesterId: OUTSIDER,
        extension: { minutes: 30, reason: long, askedAt: T0 + i, approvals: [] },
      }),
    );
  }
  return store;
}

describe('the Home tab over Slack', () => {
  it('publishes a crowded tab Slack takes, within 100 blocks, with pending extensions beside every other list, each cut with how many more', async () => {
    sim = new SlackSimulator();
    for (const id of [ADMIN, APPROVER_1, OUTSIDER]) sim.addUser({ id, name: id.toLowerCase() });
    await sim.start();
    const client = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    const requests = crowdedStore();
    const homes = new SlackHomePublisher({
      chat: new SlackChatSurface(client),
      reads: {
        describeHomes: (userIds) => describeHomes({ requests, policy }, userIds),
        homeViewersOf: (request) => homeViewersOf(policy, request),
        targetOf: (targetId) => findTarget(policy, targetId),
      },
      log: createLogger('silent'),
    });

    await homes.publish([ADMIN]);

    expect(sim.violations).toEqual([]);
    const view = sim.workspace.views.get(sim.workspace.homeViews.get(ADMIN) ?? '');
    const blocks = (view?.definition.blocks ?? []) as Parameters<typeof blockTexts>[0];
    expect(blocks.length).toBeLessThanOrEqual(100);
    const texts = blockTexts(blocks);
    for (const heading of [
      '*:rotating_light: Break-glass to review*',
      '*Your active access*',
      '*Your pending requests*',
      '*Waiting for your decision*',
      '*:stopwatch: Extensions waiting for your decision*',
      '*All active access (admin)*',
    ])
      expect(texts).toContain(heading);
    expect(texts.filter((text) => text.startsWith('…and '))).toHaveLength(6);
    expect(JSON.stringify(blocks)).toContain('"action_id":"jit_extension_approve","text":{"type":"plain_text","text":"Approve extension"');
  });
});
