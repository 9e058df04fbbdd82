// The notifier on the fake chat surface: which message each kind of news goes to (the card, its thread, the
// requester's DM), what is posted once and what is updated in place, and how a failure comes back to the job.

import { describe, expect, it } from 'vitest';
import { SlackHomePublisher } from '../../../src/adapters/slack/home-publisher.js';
import { SlackNotifier } from '../../../src/adapters/slack/slack-notifier.js';
import type { MessageRef } from '../../../src/application/ports.js';
import { describeHomes, homeViewersOf } from '../../../src/application/request-views.js';
import type { AccessRequest } from '../../../src/domain/access-request.js';
import type { NewsKind } from '../../../src/domain/news.js';
import { findTarget, type Policy } from '../../../src/domain/policy.js';
import { createLogger } from '../../../src/logger.js';
import { FakeChatSurface } from '../../support/fake-chat-surface.js';
import { FakeMessageStore } from '../../support/fake-message-store.js';
import { FakeClock, FakeRequestRepository } from '../../support/fakes.js';
import { ADMIN, APPROVER_1, APPROVER_2, grantedIn, makePolicy, makeTarget, REQUESTER, requestIn, T0 } from '../../support/fixtures.js';

const CHANNEL = 'C0APPROVALS';
const ASKED = { minutes: 30, reason: 'The <migration> still runs', askedAt: T0 + 60_000, approvals: [] };
const GRANTED = {
  ...ASKED,
  approvals: [{ approverId: APPROVER_1, at: T0 + 61_000 }],
  decision: { result: 'granted' as const, by: APPROVER_1, at: T0 + 61_000 },
};
const SECURITY = 'C0SECURITY';
const ACTION_APPROVE = 'jit_approve';
const HOUR = 3_600_000;

function setUp(policy: Policy = makePolicy()) {
  const chat = new FakeChatSurface();
  const messages = new FakeMessageStore();
  const requests = new FakeRequestRepository();
  const log = createLogger('silent');
  const homes = new SlackHomePublisher({
    chat,
    reads: {
      describeHomes: (userIds) => describeHomes({ requests, policy }, userIds),
      homeViewersOf: (request) => homeViewersOf(policy, request),
      targetOf: (targetId) => findTarget(policy, targetId),
    },
    log,
  });
  const notifier = () => new SlackNotifier({ chat, messages, homes, policy, clock: new FakeClock(T0), log });
  return { chat, messages, requests, notifier: notifier(), anotherNotifier: notifier };
}

/** The request as each kind of news finds it. */
const requestFor: Record<NewsKind, () => AccessRequest> = {
  requested: () => requestIn('pending'),
  approval_recorded: () => requestIn('pending', { requiredApprovals: 2, approvals: [{ approverId: APPROVER_1, at: T0 + 1000 }] }),
  approved: () => requestIn('approved'),
  denied: () => requestIn('denied'),
  cancelled: () => requestIn('cancelled'),
  timed_out: () => requestIn('timed_out'),
  granted: () => grantedIn('active'),
  failed: () => requestIn('failed'),
  end_requested: () => grantedIn('active', { ending: { reason: 'released', by: REQUESTER, at: T0 + 5000 } }),
  ended: () => grantedIn('ended'),
  expiring_soon: () => grantedIn('active'),
  drift_removed_outside: () => grantedIn('ended'),
  drift_still_present: () => grantedIn('ended'),
  drift_journal_mismatch: () => grantedIn('ended'),
  revoke_failing: () => grantedIn('active'),
  cleaned_up: () => requestIn('failed', { cleanup: { result: 'removed', at: T0 + 9000 } }),
  signed_out: () => grantedIn('ended', { signOut: { tokensRevoked: 1, sessionsEnded: 1, otherAccounts: 0, at: T0 + 9000 } }),
  change_opened: () => grantedIn('active', { change: { sysId: 'sys-1', number: 'CHG0030001', state: 'implement' } }),
  change_closed: () => grantedIn('ended', { change: { sysId: 'sys-1', number: 'CHG0030001', state: 'closed' } }),
  change_failing: () => grantedIn('active', { changeProblem: 'ServiceNow answered 503' }),
  break_glass: () => requestIn('approved', { approvals: [], breakGlass: { at: T0, realertAt: T0 + HOUR } }),
  break_glass_unreviewed: () => grantedIn('active', { approvals: [], breakGlass: { at: T0 } }),
  break_glass_reviewed: () => grantedIn('active', { approvals: [], breakGlass: { at: T0, review: { by: APPROVER_2, at: T0 + HOUR } } }),
  changed: () => requestIn('pending'),
  extension_requested: () => grantedIn('active', { extension: ASKED }),
  extension_approval_recorded: () =>
    grantedIn('active', { extension: { ...ASKED, approvals: [{ approverId: APPROVER_1, at: T0 + 61_000 }] } }),
  extended: () => grantedIn('active', { extension: GRANTED, extendedMinutes: 30, endsAt: grantedIn('active').endsAt + 30 * 60_000 }),
  extension_denied: () => grantedIn('active', { extension: { ...ASKED, decision: { result: 'denied', by: APPROVER_1, at: T0 + 62_000 } } }),
  extension_failed: () => grantedIn('active'),
  reminder: () => requestIn('pending', { remindAt: T0 + 45 * 60_000, remindersSent: 1 }),
  escalated: () => requestIn('pending', { escalatedAt: T0 + HOUR }),
};

// Where each kind of news is told beyond the card and the receipt, which are updated in place for every kind:
// in the card's thread (everyone involved), in the requester's DM, both or neither.
const whereTold: [NewsKind, { thread: boolean; dm: boolean }][] = [
  ['requested', { thread: false, dm: false }],
  ['approval_recorded', { thread: false, dm: false }],
  ['approved', { thread: false, dm: false }],
  ['denied', { thread: false, dm: true }],
  ['cancelled', { thread: false, dm: false }],
  ['timed_out', { thread: false, dm: true }],
  ['granted', { thread: true, dm: true }],
  ['failed', { thread: true, dm: true }],
  ['end_requested', { thread: false, dm: false }],
  ['ended', { thread: true, dm: true }],
  ['expiring_soon', { thread: true, dm: true }],
  ['drift_removed_outside', { thread: true, dm: false }],
  ['drift_still_present', { thread: true, dm: false }],
  ['drift_journal_mismatch', { thread: true, dm: false }],
  ['revoke_failing', { thread: true, dm: false }],
  ['cleaned_up', { thread: true, dm: false }],
  ['signed_out', { thread: true, dm: true }],
  ['change_opened', { thread: true, dm: false }],
  ['change_closed', { thread: true, dm: false }],
  ['change_failing', { thread: true, dm: false }],
  ['changed', { thread: false, dm: false }],
  ['extension_failed', { thread: true, dm: true }],
];

const besides = ({ thread, dm }: { thread: boolean; dm: boolean }): string =>
  [thread && 'in the card’s thread', dm && 'in the requester’s DM'].filter(Boolean).join(' and ') || 'nowhere else';

describe('the notifier', () => {
  it('tells one request’s news one at a time, so two jobs at once post one card, and the later news has the last word', async () => {
    const { chat, notifier } = setUp();
    const [first, second] = await Promise.all([
      notifier.notify(requestIn('pending'), 'requested'),
      notifier.notify(requestIn('approved'), 'approved'),
    ]);
    expect([first, second]).toEqual([{ ok: true }, { ok: true }]);
    expect(chat.callsOf('postCard')).toHaveLength(1);
    expect(chat.callsOf('updateMessage').at(-1)?.message.text).toMatch(/approved$/);
  });

  it('posts the card in the approvers’ channel and the receipt in the requester’s DM, and keeps where each lives', async () => {
    const { chat, messages, notifier } = setUp();

    expect(await notifier.notify(requestIn('pending'), 'requested')).toEqual({ ok: true });

    const [card] = chat.messagesAt({ channel: CHANNEL });
    const [receipt] = chat.messagesAt({ dm: REQUESTER });
    expect(card?.message.text).toContain('Production servers (SSH)');
    expect(receipt?.message.text).toBe('Your request for Production servers (SSH): pending');
    expect(chat.messages).toHaveLength(2);
    expect(messages.refOf('req_TEST', 'card')).toEqual(card?.ref);
    expect(messages.refOf('req_TEST', 'receipt')).toEqual(receipt?.ref);
    expect(messages.savedAt('req_TEST', 'card')).toBe(T0);
  });

  it.each(whereTold.map(([news, where]) => [news, besides(where), where] as const))(
    'tells “%s” on the card and the receipt, updated in place, and %s',
    async (news, _besides, where) => {
      const { chat, messages, notifier } = setUp();
      await notifier.notify(requestIn('pending'), 'requested');
      const card = messages.refOf('req_TEST', 'card');
      const receipt = messages.refOf('req_TEST', 'receipt');
      const before = chat.calls.length;

      expect(await notifier.notify(requestFor[news](), news)).toEqual({ ok: true });

      const calls = chat.calls.slice(before);
      expect(calls.filter((call) => call.op === 'updateMessage').map((call) => call.ref)).toEqual([card, receipt]);
      expect(calls.some((call) => call.op === 'postCard')).toBe(false);
      const replies = calls.filter((call) => call.op === 'replyInThread');
      expect(replies.map((call) => call.parent)).toEqual(where.thread ? [card] : []);
      const direct = calls.filter((call) => call.op === 'sendDirect');
      expect(direct.map((call) => call.personId)).toEqual(where.dm ? [REQUESTER] : []);
      if (where.thread) expect(messages.refOf('req_TEST', `thread:${news}`)).toBeDefined();
      if (where.dm) expect(messages.refOf('req_TEST', `dm:${news}`)).toEqual(chat.messagesAt({ dm: REQUESTER })[1]?.ref);
    },
  );

  it('keeps one message per extension in the card’s thread, with Approve and Deny while it waits, updated in place once decided', async () => {
    const { chat, messages, notifier } = setUp(makePolicy([makeTarget({ extension: { maxTotalMinutes: 240, approval: 'approvers' } })]));
    await notifier.notify(requestIn('pending'), 'requested');
    const card = messages.refOf('req_TEST', 'card');

    await notifier.notify(requestFor.extension_requested(), 'extension_requested');
    const [asked] = chat.callsOf('replyInThread');
    expect(asked?.parent).toEqual(card);
    expect(JSON.stringify(asked?.message.blocks)).toContain('jit_extension_approve');
    expect(JSON.stringify(asked?.message.blocks)).toContain('The &lt;migration&gt; still runs');
    const ref = messages.refOf('req_TEST', `extension:${ASKED.askedAt}`);
    expect(ref).toBeDefined();

    await notifier.notify(requestFor.extended(), 'extended');
    expect(chat.callsOf('replyInThread')).toHaveLength(1);
    const update = chat.callsOf('updateMessage').find((call) => call.ref.ts === ref?.ts);
    expect(update?.message.text).toBe('Access for <@U0SRE0001> extended by 30m');
    expect(JSON.stringify(update?.message.blocks)).not.toContain('jit_extension_approve');
    expect(chat.messagesAt({ dm: REQUESTER }).at(-1)?.message.text).toMatch(/^Your access to Production servers \(SSH\) is extended until/);
  });

  it('takes the buttons off an extension still waiting when the grant ends', async () => {
    const { chat, messages, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');
    await notifier.notify(requestFor.extension_requested(), 'extension_requested');
    const ref = messages.refOf('req_TEST', `extension:${ASKED.askedAt}`);

    await notifier.notify(grantedIn('ended', { extension: ASKED }), 'ended');

    const update = chat.callsOf('updateMessage').find((call) => call.ref.ts === ref?.ts);
    expect(update?.message.text).toBe('Extension for <@U0SRE0001> not decided');
    expect(JSON.stringify(update?.message.blocks)).not.toContain('jit_extension_approve');
  });

  it('warns again before the new end of an extended grant, and tells each extension once', async () => {
    const { chat, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');
    await notifier.notify(grantedIn('active'), 'expiring_soon');
    const extended = requestFor.extended();
    await notifier.notify(extended, 'expiring_soon');
    await notifier.notify(extended, 'expiring_soon');
    await notifier.notify(extended, 'extended');
    await notifier.notify(extended, 'extended');
    expect(chat.callsOf('replyInThread').map((call) => call.message.text.split(' ends')[0])).toEqual([
      'Access for <@U0SRE0001>',
      'Access for <@U0SRE0001>',
      'Access for <@U0SRE0001> extended by 30m',
    ]);
  });

  it('posts a break-glass alert with Acknowledge in the approvers’ channel and the alert channel, and updates both', async () => {
    const { chat, messages, notifier } = setUp(makePolicy([makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: SECURITY } })]));
    const broken = requestIn('approved', { approvals: [], breakGlass: { at: T0, realertAt: T0 + HOUR } });

    await notifier.notify(broken, 'break_glass');

    const alerts = [chat.messagesAt({ channel: CHANNEL })[0], chat.messagesAt({ channel: SECURITY })[0]];
    for (const alert of alerts) {
      expect(alert?.message.text).toBe('Break-glass by <@U0SRE0001> for Production servers (SSH): not reviewed, approved');
      expect(JSON.stringify(alert?.message.blocks)).toContain('jit_break_glass_ack');
    }
    expect([messages.refOf('req_TEST', 'card'), messages.refOf('req_TEST', 'alert')]).toEqual(alerts.map((alert) => alert?.ref));

    await notifier.notify({ ...broken, breakGlass: { at: T0, review: { by: APPROVER_2, at: T0 + 1 } } }, 'break_glass_reviewed');
    expect(chat.callsOf('postCard')).toHaveLength(2);
    for (const ref of alerts.map((alert) => alert?.ref)) {
      const updates = chat.callsOf('updateMessage').filter((call) => call.ref.channel === ref?.channel && call.ref.ts === ref?.ts);
      expect(updates.map((call) => call.message.text)).toEqual([
        'Break-glass by <@U0SRE0001> for Production servers (SSH): reviewed, approved',
      ]);
      expect(JSON.stringify(updates[0]?.message.blocks)).not.toContain('jit_break_glass_ack');
    }
  });

  it('posts the break-glass alert again in both channels, naming the approvers, when nobody reviewed it within the hour', async () => {
    const { chat, notifier } = setUp(makePolicy([makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: SECURITY } })]));
    const broken = grantedIn('active', { approvals: [], breakGlass: { at: T0, realertAt: T0 + HOUR } });
    await notifier.notify(broken, 'break_glass');

    const { realertAt: _due, ...unreviewed } = broken.breakGlass ?? { at: T0 };
    await notifier.notify({ ...broken, breakGlass: unreviewed }, 'break_glass_unreviewed');
    await notifier.notify({ ...broken, breakGlass: unreviewed }, 'break_glass_unreviewed');

    for (const channel of [CHANNEL, SECURITY]) {
      const [first, again, ...more] = chat.messagesAt({ channel });
      expect(first?.message.text).toContain('Break-glass by <@U0SRE0001>');
      expect(more).toEqual([]);
      expect(JSON.stringify(again?.message.blocks)).toContain('Still not reviewed');
      expect(JSON.stringify(again?.message.blocks)).toContain('<@U0MANAGER1> <@U0MANAGER2>: please review this break-glass.');
      expect(JSON.stringify(again?.message.blocks)).toContain('jit_revoke');
    }
  });

  it('republishes the Home tab of the requester and the approvers, and the admins’ once access is granted', async () => {
    const { chat, notifier } = setUp();

    await notifier.notify(requestIn('pending'), 'requested');
    expect(chat.callsOf('publishHome').map((call) => call.personId)).toEqual([REQUESTER, APPROVER_1, APPROVER_2]);

    await notifier.notify(grantedIn('active'), 'granted');
    expect(
      chat
        .callsOf('publishHome')
        .slice(3)
        .map((call) => call.personId),
    ).toEqual([REQUESTER, APPROVER_1, APPROVER_2, ADMIN]);
  });

  it('tells each piece of news once: a notify job run again updates the card but neither replies nor writes again', async () => {
    const { chat, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');

    await notifier.notify(grantedIn('active'), 'granted');
    await notifier.notify(grantedIn('active'), 'granted');

    expect(chat.callsOf('replyInThread')).toHaveLength(1);
    expect(chat.callsOf('sendDirect')).toHaveLength(2);
    expect(chat.callsOf('updateMessage')).toHaveLength(4);
  });

  it('updates the card another process posted, by the ref it saved, rather than posting a second', async () => {
    const { chat, notifier, anotherNotifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');

    await anotherNotifier().notify(requestIn('approved'), 'approved');

    expect(chat.callsOf('postCard')).toHaveLength(1);
    expect(chat.messagesAt({ channel: CHANNEL })[0]?.message.text).toContain('approved');
  });

  it('gives a request whose target left the policy no card and no thread, but still its receipt and DMs', async () => {
    const { chat, notifier } = setUp(makePolicy([makeTarget({ id: 'another-target' })]));

    await notifier.notify(requestIn('pending'), 'requested');
    await notifier.notify(requestIn('denied'), 'denied');

    expect(chat.callsOf('postCard')).toEqual([]);
    expect(chat.callsOf('replyInThread')).toEqual([]);
    expect(chat.messagesAt({ dm: REQUESTER }).map(({ message }) => message.text)).toEqual([
      'Your request for prod-ssh (no longer in the policy): denied',
      'Your request for prod-ssh (no longer in the policy): denied',
    ]);
  });

  it('posts each reminder once in the card’s thread, a retried job posting nothing more, and tells the requester nothing', async () => {
    const { chat, messages, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');
    const card = messages.refOf('req_TEST', 'card') as MessageRef;
    const first = requestIn('pending', { remindersSent: 1, remindAt: T0 + 45 * 60_000 });
    const second = requestIn('pending', { remindersSent: 2, remindAt: T0 + 105 * 60_000 });

    for (const request of [first, first, second]) expect(await notifier.notify(request, 'reminder')).toEqual({ ok: true });

    const reminders = chat.messagesAt({ thread: card });
    expect(reminders.map((posted) => posted.message.text)).toEqual([
      'Reminder: the request from <@U0SRE0001> for Production servers (SSH) still waits for a decision',
      'Reminder: the request from <@U0SRE0001> for Production servers (SSH) still waits for a decision',
    ]);
    expect(messages.refOf('req_TEST', 'thread:reminder:1')).toEqual(reminders[0]?.ref);
    expect(messages.refOf('req_TEST', 'thread:reminder:2')).toEqual(reminders[1]?.ref);
    expect(chat.messagesAt({ dm: REQUESTER })).toHaveLength(1);
  });

  it('posts no reminder once the request was decided before its job ran', async () => {
    const { chat, messages, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');
    expect(await notifier.notify(requestIn('approved', { remindersSent: 1 }), 'reminder')).toEqual({ ok: true });
    expect(chat.messagesAt({ thread: messages.refOf('req_TEST', 'card') as MessageRef })).toEqual([]);
  });

  describe('an escalation', () => {
    const DIRECTOR = 'U0DIRECTOR1';
    const CTO = 'U0CTO00001';
    const escalating = makePolicy([
      makeTarget({
        approvers: {
          channel: CHANNEL,
          users: [APPROVER_1],
          required: 1,
          escalate: { afterMinutes: 60, users: [DIRECTOR, CTO, REQUESTER] },
        },
      }),
    ]);
    const escalated = () => requestIn('pending', { escalatedAt: T0 + HOUR });

    it('is said in the card’s thread, sent once to each person escalated to with a link to the card, and put on their Home tab', async () => {
      const { chat, messages, requests, notifier } = setUp(escalating);
      await notifier.notify(requestIn('pending'), 'requested');
      const card = messages.refOf('req_TEST', 'card') as MessageRef;
      requests.requests.set('req_TEST', escalated());

      expect(await notifier.notify(escalated(), 'escalated')).toEqual({ ok: true });
      expect(await notifier.notify(escalated(), 'escalated')).toEqual({ ok: true });

      expect(chat.messagesAt({ thread: card }).map((posted) => posted.message.text)).toEqual(['Escalated: nobody decided within 1h']);
      const link = `https://fake.slack.test/archives/${card.channel}/p${card.ts.replace('.', '')}`;
      for (const person of [DIRECTOR, CTO]) {
        const sent = chat.messagesAt({ dm: person });
        expect(sent).toHaveLength(1);
        expect(JSON.stringify(sent[0]?.message.blocks)).toContain(`<${link}|Open the request>`);
        expect(JSON.stringify(chat.homes.get(person)?.blocks)).toContain('Waiting for your decision');
        expect(JSON.stringify(chat.homes.get(person)?.blocks)).toContain(ACTION_APPROVE);
      }
      expect(chat.messagesAt({ dm: REQUESTER })).toHaveLength(1);
    });

    it('is sent to the others when one of them cannot be written to, and retried when Slack is down', async () => {
      const { chat, messages, notifier } = setUp(escalating);
      await notifier.notify(requestIn('pending'), 'requested');
      chat.failNext({ kind: 'permanent', code: 'user_not_found' }, 'sendDirect');
      expect(await notifier.notify(escalated(), 'escalated')).toEqual({ ok: true });
      expect(chat.messagesAt({ dm: DIRECTOR })).toEqual([]);
      expect(chat.messagesAt({ dm: CTO })).toHaveLength(1);
      expect(messages.refOf('req_TEST', `escalation_dm:${DIRECTOR}`)).toBeUndefined();

      const { chat: down, notifier: again } = setUp(escalating);
      await again.notify(requestIn('pending'), 'requested');
      down.failNext({ kind: 'transient', retryAfterMs: 3000 }, 'sendDirect');
      expect(await again.notify(escalated(), 'escalated')).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 3000 });
      expect(await again.notify(escalated(), 'escalated')).toEqual({ ok: true });
      expect([DIRECTOR, CTO].map((person) => down.messagesAt({ dm: person }).length)).toEqual([1, 1]);
    });

    it('sends the approvers’ channel instead of a link Slack would not give', async () => {
      const { chat, notifier } = setUp(escalating);
      await notifier.notify(requestIn('pending'), 'requested');
      chat.failNext({ kind: 'permanent', code: 'message_not_found' }, 'linkTo');
      expect(await notifier.notify(escalated(), 'escalated')).toEqual({ ok: true });
      expect(JSON.stringify(chat.messagesAt({ dm: DIRECTOR })[0]?.message.blocks)).toContain(`The request is in <#${CHANNEL}>`);
      expect(chat.callsOf('linkTo')).toHaveLength(1);
    });

    it('sends nothing to anyone once the request was decided before its job ran', async () => {
      const { chat, notifier } = setUp(escalating);
      await notifier.notify(requestIn('pending'), 'requested');
      expect(await notifier.notify(requestIn('approved', { escalatedAt: T0 + HOUR }), 'escalated')).toEqual({ ok: true });
      expect(chat.callsOf('replyInThread')).toEqual([]);
      expect(chat.messagesAt({ dm: DIRECTOR })).toEqual([]);
    });
  });

  it('answers a Slack outage as a failure to retry, after the delay Slack asked for', async () => {
    const { chat, notifier } = setUp();
    chat.failNext({ kind: 'transient', retryAfterMs: 30_000 });

    expect(await notifier.notify(requestIn('pending'), 'requested')).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 30_000 });
  });

  it('answers Slack’s refusal as a permanent failure, with Slack’s code', async () => {
    const { chat, notifier } = setUp();
    chat.failNext({ kind: 'permanent', code: 'channel_not_found' }, 'postCard');

    expect(await notifier.notify(requestIn('pending'), 'requested')).toMatchObject({
      ok: false,
      kind: 'permanent',
      code: 'channel_not_found',
    });
  });

  it('keeps nothing of a message Slack did not take, so the retry posts it, and what was posted is not posted again', async () => {
    const { chat, messages, notifier } = setUp();
    await notifier.notify(requestIn('pending'), 'requested');
    chat.failNext({ kind: 'transient' }, 'replyInThread');

    expect(await notifier.notify(grantedIn('active'), 'granted')).toMatchObject({ ok: false, kind: 'transient' });
    expect(messages.refOf('req_TEST', 'thread:granted')).toBeUndefined();
    // It stops at the failure: the DM waits for the retry, so the news keeps its order.
    expect(chat.callsOf('sendDirect')).toHaveLength(1);

    expect(await notifier.notify(grantedIn('active'), 'granted')).toEqual({ ok: true });
    expect(chat.callsOf('postCard')).toHaveLength(1);
    expect(chat.messagesAt({ thread: messages.refOf('req_TEST', 'card') as MessageRef })).toHaveLength(1);
    expect(chat.messagesAt({ dm: REQUESTER })).toHaveLength(2);
  });

  it('answers a Home tab Slack cannot take now as a failure to retry', async () => {
    const { chat, notifier } = setUp();
    chat.failNext({ kind: 'transient', retryAfterMs: 5000 }, 'publishHome');

    expect(await notifier.notify(requestIn('pending'), 'requested')).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 5000 });
  });

  it('answers a store it cannot read as a failure to retry, and tells Slack nothing', async () => {
    const { chat, messages, notifier } = setUp();
    messages.failing = true;

    expect(await notifier.notify(requestIn('pending'), 'requested')).toMatchObject({
      ok: false,
      kind: 'transient',
      message: 'the database is unreachable',
    });
    expect(chat.calls).toEqual([]);
  });
});
