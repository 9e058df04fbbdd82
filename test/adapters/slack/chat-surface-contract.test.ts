// One contract for the chat surface, held by the Slack adapter (over the Web API, against the strict Slack
// simulator on loopback) and by the hand-written fake alike, so the notifier and Home publisher tests that run on
// the fake say something true of Slack.

import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import type { SimMessage } from '../../../simulators/slack/workspace.js';
import { section } from '../../../src/adapters/slack/blocks/block-elements.js';
import type { HomeTab } from '../../../src/adapters/slack/blocks/home-tab.js';
import type { Rendered } from '../../../src/adapters/slack/blocks/request-card.js';
import type { ChatSurface } from '../../../src/adapters/slack/chat-surface.js';
import { SlackChatSurface } from '../../../src/adapters/slack/slack-chat-surface.js';
import type { MessageRef } from '../../../src/application/ports.js';
import { FakeChatSurface, type InjectedFailure, type SeenMessage } from '../../support/fake-chat-surface.js';
import { APPROVER_1, REQUESTER } from '../../support/fixtures.js';

const CHANNEL = 'C0APPROVALS';
const NOWHERE: MessageRef = { channel: CHANNEL, ts: '1600000000.000001' };

const message = (text: string): Rendered => ({ text, blocks: [section(`*${text}*`)] });
const home = (text: string): HomeTab => ({ type: 'home', blocks: [section(text)] });

/** The surface, and what the people on the other side see of it. */
interface Subject {
  surface: ChatSurface;
  messages(): SeenMessage[];
  homeOf(personId: string): unknown[] | undefined;
  failNext(failure: InjectedFailure): void;
  stop(): Promise<void>;
}

function inMemory(): Subject {
  const fake = new FakeChatSurface();
  return {
    surface: fake,
    messages: () => [...fake.messages],
    homeOf: (personId) => fake.homes.get(personId)?.blocks,
    failNext: (failure) => fake.failNext(failure),
    stop: async () => {},
  };
}

async function overSlack(): Promise<Subject> {
  const sim = new SlackSimulator();
  sim.addUser({ id: REQUESTER, name: 'sam' });
  sim.addUser({ id: APPROVER_1, name: 'maria' });
  sim.addChannel({ id: CHANNEL, name: 'approvals', members: [APPROVER_1] });
  await sim.start();
  // No retries, and a 429 handed back rather than waited out, so that each failure reaches the adapter at once.
  const client = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const placeOf = (posted: SimMessage): SeenMessage['where'] => {
    if (posted.threadTs) return { thread: { channel: posted.channel, ts: posted.threadTs } };
    const channel = sim.workspace.channels.get(posted.channel);
    const [person] = channel?.isIm ? [...channel.members] : [];
    return person ? { dm: person } : { channel: posted.channel };
  };
  return {
    surface: new SlackChatSurface(client),
    messages: () =>
      sim.workspace.messages.map((posted) => ({
        ref: { channel: posted.channel, ts: posted.ts },
        where: placeOf(posted),
        message: { text: posted.text, blocks: posted.blocks as Rendered['blocks'] },
      })),
    homeOf: (personId) => {
      const view = sim.workspace.views.get(sim.workspace.homeViews.get(personId) ?? '');
      return view?.definition.blocks as unknown[] | undefined;
    },
    failNext: (failure) => {
      // An empty route is a prefix of every method: the next call fails, whichever it is.
      if (failure.kind === 'permanent') sim.faults.add({ route: '', error: { code: failure.code, message: failure.code } });
      else if (failure.retryAfterMs === undefined) sim.faults.add({ route: '', status: 503 });
      else sim.faults.add({ route: '', status: 429, retryAfterSeconds: failure.retryAfterMs / 1000 });
    },
    stop: async () => {
      await sim.stop();
      // Anything real Slack would have refused or cut short, even where the call went through.
      expect(sim.violations).toEqual([]);
    },
  };
}

const subjects: [string, () => Subject | Promise<Subject>][] = [
  ['the in-memory fake', inMemory],
  ['Slack, through the Web API', overSlack],
];

/** Each operation, called with arguments that succeed once a card has been posted. */
const operations: [string, (surface: ChatSurface, card: MessageRef) => Promise<{ ok: boolean }>][] = [
  ['postCard', (surface) => surface.postCard(CHANNEL, message('another card'))],
  ['replyInThread', (surface, card) => surface.replyInThread(card, message('news'))],
  ['sendDirect', (surface) => surface.sendDirect(REQUESTER, message('a DM'))],
  ['updateMessage', (surface, card) => surface.updateMessage(card, message('changed'))],
  ['publishHome', (surface) => surface.publishHome(REQUESTER, home('a tab'))],
  ['linkTo', (surface, card) => surface.linkTo(card)],
];

describe.each(subjects)('the chat surface contract: %s', (_name, makeSubject) => {
  let subject: Subject | undefined;
  afterEach(async () => {
    await subject?.stop();
    subject = undefined;
  });

  async function start(): Promise<Subject> {
    subject = await makeSubject();
    return subject;
  }

  async function postedCard(surface: ChatSurface): Promise<MessageRef> {
    const posted = await surface.postCard(CHANNEL, message('card'));
    if (!posted.ok) throw new Error(`the card was not posted: ${posted.message}`);
    return posted.ref;
  }

  it('puts a card in the channel, and answers under it in its thread by the ref it returned', async () => {
    const { surface, messages } = await start();

    const card = await postedCard(surface);
    const reply = await surface.replyInThread(card, message('news'));

    expect(card.channel).toBe(CHANNEL);
    expect(reply).toMatchObject({ ok: true, ref: { channel: CHANNEL } });
    expect(messages().map(({ where, message }) => ({ where, text: message.text }))).toEqual([
      { where: { channel: CHANNEL }, text: 'card' },
      { where: { thread: card }, text: 'news' },
    ]);
  });

  it('writes to a person in their DM, under a ref that names the conversation and updates the message', async () => {
    const { surface, messages } = await start();

    const sent = await surface.sendDirect(REQUESTER, message('receipt'));
    if (!sent.ok) throw new Error(sent.message);
    expect(await surface.updateMessage(sent.ref, message('receipt, updated'))).toEqual({ ok: true });

    expect(sent.ref.channel).not.toBe(REQUESTER);
    expect(messages().map(({ where, message }) => ({ where, text: message.text }))).toEqual([
      { where: { dm: REQUESTER }, text: 'receipt, updated' },
    ]);
  });

  it('changes what a posted message says in place, blocks and fallback text alike', async () => {
    const { surface, messages } = await start();
    const card = await postedCard(surface);

    expect(await surface.updateMessage(card, message('approved'))).toEqual({ ok: true });

    expect(messages()).toEqual([{ ref: card, where: { channel: CHANNEL }, message: message('approved') }]);
  });

  it('gives each message a ref of its own', async () => {
    const { surface } = await start();

    const first = await postedCard(surface);
    const second = await postedCard(surface);

    expect(second).not.toEqual(first);
  });

  it('refuses for good to update a message that was never posted, or to answer under it', async () => {
    const { surface, messages } = await start();

    expect(await surface.updateMessage(NOWHERE, message('x'))).toMatchObject({ ok: false, kind: 'permanent', code: 'message_not_found' });
    expect(await surface.replyInThread(NOWHERE, message('x'))).toMatchObject({ ok: false, kind: 'permanent', code: 'thread_not_found' });
    expect(messages()).toEqual([]);
  });

  it('links to a message it posted, the card or a reply in its thread, each link its own, and to none it did not', async () => {
    const { surface } = await start();
    const card = await postedCard(surface);
    const reply = await surface.replyInThread(card, message('news'));
    if (!reply.ok) throw new Error(reply.message);

    const cardLink = await surface.linkTo(card);
    const replyLink = await surface.linkTo(reply.ref);

    expect(cardLink).toMatchObject({ ok: true, url: expect.stringMatching(/^https:\/\/.+\/archives\/C0APPROVALS\/p\d{16}/) });
    expect(replyLink).toMatchObject({ ok: true });
    expect(replyLink).not.toEqual(cardLink);
    expect(await surface.linkTo(NOWHERE)).toMatchObject({ ok: false, kind: 'permanent', code: 'message_not_found' });
  });

  it('shows a person the Home tab last published for them', async () => {
    const { surface, homeOf } = await start();

    expect(await surface.publishHome(REQUESTER, home('first'))).toEqual({ ok: true });
    expect(await surface.publishHome(REQUESTER, home('second'))).toEqual({ ok: true });

    expect(homeOf(REQUESTER)).toEqual(home('second').blocks);
    expect(homeOf(APPROVER_1)).toBeUndefined();
  });

  describe.each(operations)('a failure of %s', (_operation, call) => {
    it('told to fail for a while after a Retry-After, answers a transient failure with that delay, changes nothing, and the next call goes through', async () => {
      const { surface, messages, homeOf, failNext } = await start();
      const card = await postedCard(surface);

      failNext({ kind: 'transient', retryAfterMs: 7000 });
      expect(await call(surface, card)).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 7000 });

      expect(messages().map(({ message }) => message.text)).toEqual(['card']);
      expect(homeOf(REQUESTER)).toBeUndefined();
      expect(await call(surface, card)).toMatchObject({ ok: true });
    });

    it('told to fail in an outage, answers a transient failure with no delay of its own', async () => {
      const { surface, failNext } = await start();
      const card = await postedCard(surface);

      failNext({ kind: 'transient' });
      const failed = await call(surface, card);

      expect(failed).toMatchObject({ ok: false, kind: 'transient' });
      expect(failed).not.toHaveProperty('retryAfterMs');
    });

    it('told to refuse, answers a permanent failure with the platform’s code and changes nothing', async () => {
      const { surface, messages, homeOf, failNext } = await start();
      const card = await postedCard(surface);

      failNext({ kind: 'permanent', code: 'channel_not_found' });
      expect(await call(surface, card)).toMatchObject({ ok: false, kind: 'permanent', code: 'channel_not_found' });

      expect(messages().map(({ message }) => message.text)).toEqual(['card']);
      expect(homeOf(REQUESTER)).toBeUndefined();
    });
  });
});
