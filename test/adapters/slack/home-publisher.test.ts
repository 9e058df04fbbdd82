// The Home publisher on the fake chat surface: whose tabs it publishes, each person's own, and what a failure
// to publish does to the rest and to the caller.

import { describe, expect, it } from 'vitest';
import { SlackHomePublisher } from '../../../src/adapters/slack/home-publisher.js';
import { describeHomes, homeViewersOf } from '../../../src/application/request-views.js';
import { findTarget } from '../../../src/domain/policy.js';
import { createLogger } from '../../../src/logger.js';
import { blockTexts } from '../../support/block-kit.js';
import { FakeChatSurface } from '../../support/fake-chat-surface.js';
import { FakeRequestRepository } from '../../support/fakes.js';
import { ADMIN, APPROVER_1, APPROVER_2, grantedIn, makePolicy, makeTarget, REQUESTER, requestIn, T0 } from '../../support/fixtures.js';

function setUp(policy = makePolicy()) {
  const chat = new FakeChatSurface();
  const requests = new FakeRequestRepository();
  const reads: string[][] = [];
  let held: Promise<void> = Promise.resolve();
  const homes = new SlackHomePublisher({
    // Publishing waits while a test holds it, to ask again while a round runs.
    chat: { publishHome: async (personId, home) => held.then(() => chat.publishHome(personId, home)) },
    reads: {
      describeHomes: (userIds) => {
        reads.push([...userIds]);
        return describeHomes({ requests, policy }, userIds);
      },
      homeViewersOf: (request) => homeViewersOf(policy, request),
      targetOf: (targetId) => findTarget(policy, targetId),
    },
    log: createLogger('silent'),
  });
  const tabOf = (personId: string) => blockTexts(chat.homes.get(personId)?.blocks ?? []).join('\n');
  const hold = () => {
    let release = () => {};
    held = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  };
  return { chat, requests, homes, tabOf, reads, hold };
}

describe('the Home publisher', () => {
  it('publishes the tab of everyone who sees a request: its requester and approvers, and the admins once it is granted', async () => {
    const { chat, homes } = setUp();

    expect(await homes.publishFor(requestIn('pending'))).toEqual({ ok: true });
    expect(await homes.publishFor(grantedIn('active'))).toEqual({ ok: true });

    expect(chat.callsOf('publishHome').map((call) => call.personId)).toEqual([
      REQUESTER,
      APPROVER_1,
      APPROVER_2,
      REQUESTER,
      APPROVER_1,
      APPROVER_2,
      ADMIN,
    ]);
  });

  it('gives each person their own tab: the requester their request, an approver the request awaiting them', async () => {
    const { requests, homes, tabOf } = setUp();
    const pending = requestIn('pending');
    requests.requests.set(pending.id, pending);

    await homes.publish([REQUESTER, APPROVER_1]);

    expect(tabOf(REQUESTER)).toContain(':hourglass_flowing_sand: *Production servers (SSH)* for 1h');
    expect(tabOf(REQUESTER)).toContain('Nothing to decide.');
    expect(tabOf(APPROVER_1)).toContain('Nothing waiting.');
    expect(tabOf(APPROVER_1)).toContain(`<@${REQUESTER}> asks for *Production servers (SSH)* for 1h: Investigating incident INC-42`);
  });

  it('publishes the tab of the people a request escalated to once it did, and shows it to them to decide, never before', async () => {
    const DIRECTOR = 'U0DIRECTOR1';
    const escalating = makeTarget({
      approvers: { channel: 'C0APPROVALS', users: [APPROVER_1], required: 1, escalate: { afterMinutes: 60, users: [DIRECTOR] } },
    });
    const { chat, requests, homes, tabOf } = setUp(makePolicy([escalating]));
    const waiting = requestIn('pending');
    requests.requests.set(waiting.id, waiting);
    await homes.publishFor(waiting);
    expect(chat.callsOf('publishHome').map((call) => call.personId)).toEqual([REQUESTER, APPROVER_1]);

    const escalated = requestIn('pending', { escalatedAt: T0 + 3_600_000 });
    requests.requests.set(escalated.id, escalated);
    await homes.publishFor(escalated);
    expect(chat.callsOf('publishHome').map((call) => call.personId)).toEqual([REQUESTER, APPROVER_1, REQUESTER, APPROVER_1, DIRECTOR]);
    expect(tabOf(DIRECTOR)).toContain(`<@${REQUESTER}> asks for *Production servers (SSH)* for 1h`);
  });

  it('shows a pending extension to the approvers who have still to decide on it, not to its requester nor once they approved it', async () => {
    const { requests, homes, tabOf } = setUp(
      makePolicy([makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2, REQUESTER], required: 2 } })]),
    );
    const asked = { minutes: 30, reason: 'Still migrating', askedAt: T0 + 50 * 60_000 };
    const extending = grantedIn('active', { extension: { ...asked, approvals: [{ approverId: APPROVER_2, at: T0 + 51 * 60_000 }] } });
    requests.requests.set(extending.id, extending);
    const decided = grantedIn('active', {
      id: 'req_DECIDED',
      extension: { ...asked, approvals: [], decision: { result: 'denied', by: APPROVER_1, at: T0 + 52 * 60_000 } },
    });
    requests.requests.set(decided.id, decided);

    await homes.publish([APPROVER_1, APPROVER_2, REQUESTER]);

    expect(tabOf(APPROVER_1)).toContain('Extensions waiting for your decision');
    expect(tabOf(APPROVER_1)).toContain(`<@${REQUESTER}> asks for *Production servers (SSH)* 30m longer`);
    expect(tabOf(APPROVER_1)).toContain('1 of 2 approvals: Still migrating');
    expect(tabOf(APPROVER_2)).not.toContain('Extensions waiting');
    expect(tabOf(REQUESTER)).not.toContain('Extensions waiting');
  });

  it('publishes each person once for changes asked at the same time, from one read of the store', async () => {
    const { chat, requests, homes, tabOf, reads } = setUp();
    const waiting = ['req_ONE', 'req_TWO', 'req_THREE'].map((id) => requestIn('pending', { id, reason: `Asked as ${id}` }));
    for (const request of waiting) requests.requests.set(request.id, request);

    const answers = await Promise.all(waiting.map((request) => homes.publishFor(request)));

    expect(answers).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(reads).toHaveLength(1);
    expect(chat.callsOf('publishHome').map((call) => call.personId)).toEqual([REQUESTER, APPROVER_1, APPROVER_2]);
    for (const request of waiting) expect(tabOf(APPROVER_1)).toContain(`Asked as ${request.id}`);
  });

  it('publishes again, from a later read, the tabs asked for while a round was publishing', async () => {
    const { requests, homes, tabOf, reads, hold } = setUp();
    const first = requestIn('pending', { id: 'req_FIRST', reason: 'The first' });
    requests.requests.set(first.id, first);
    const release = hold();
    const firstRound = homes.publishFor(first);
    await waitUntil(() => reads.length === 1);

    const second = requestIn('pending', { id: 'req_SECOND', reason: 'The second' });
    requests.requests.set(second.id, second);
    const secondRound = homes.publishFor(second);
    release();

    expect(await firstRound).toEqual({ ok: true });
    expect(await secondRound).toEqual({ ok: true });
    expect(reads).toHaveLength(2);
    expect(tabOf(APPROVER_1)).toContain('The first');
    expect(tabOf(APPROVER_1)).toContain('The second');
  });

  it('passes over a person Slack refuses a tab for, and publishes the others', async () => {
    const { chat, homes } = setUp();
    chat.failNext({ kind: 'permanent', code: 'user_not_found' }, 'publishHome');

    expect(await homes.publishFor(requestIn('pending'))).toEqual({ ok: true });
    expect([...chat.homes.keys()]).toEqual([APPROVER_1, APPROVER_2]);
  });

  it('stops at a Slack outage and answers it, with Slack’s delay, for the notify job to retry', async () => {
    const { chat, homes } = setUp();
    chat.failNext({ kind: 'transient', retryAfterMs: 3000 }, 'publishHome');

    expect(await homes.publishFor(requestIn('pending'))).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 3000 });
    expect(chat.callsOf('publishHome')).toHaveLength(1);
  });

  it('throws on a Slack outage when publishing for the Home tab listener, whose failure is logged', async () => {
    const { chat, homes } = setUp();
    chat.failNext({ kind: 'transient' });

    await expect(homes.publish([REQUESTER])).rejects.toThrow(/Home tab not published/);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
