// A chat surface in memory: it records every call with its answer, keeps what people would see (each message
// where it was posted, with its latest content; each person's Home tab), and can be told to fail the next call.
// test/adapters/slack/chat-surface-contract.test.ts holds it to the Slack adapter against the Slack simulator.

import type { HomeTab } from '../../src/adapters/slack/blocks/home-tab.js';
import type { Rendered } from '../../src/adapters/slack/blocks/request-card.js';
import type { ChatSurface, Done, Linked, Posted } from '../../src/adapters/slack/chat-surface.js';
import type { MessageRef, OutsideFailure } from '../../src/application/ports.js';

export type ChatCall =
  | { op: 'postCard'; channel: string; message: Rendered }
  | { op: 'replyInThread'; parent: MessageRef; message: Rendered }
  | { op: 'sendDirect'; personId: string; message: Rendered }
  | { op: 'updateMessage'; ref: MessageRef; message: Rendered }
  | { op: 'linkTo'; ref: MessageRef }
  | { op: 'publishHome'; personId: string; home: HomeTab };

/** Where a message stands, as the person reading it would say. */
export type Place = { channel: string } | { dm: string } | { thread: MessageRef };

export interface SeenMessage {
  ref: MessageRef;
  where: Place;
  /** The latest content. */
  message: Rendered;
}

/** How the next call fails: for a while (after `retryAfterMs` when given), or for good with the platform's code. */
export type InjectedFailure = { kind: 'transient'; retryAfterMs?: number } | { kind: 'permanent'; code: string };

export class FakeChatSurface implements ChatSurface {
  /** Every call in order, failed ones too, with what it answered. */
  readonly calls: (ChatCall & { answer: Posted | Done | Linked })[] = [];
  readonly homes = new Map<string, HomeTab>();
  private readonly posted: SeenMessage[] = [];
  private readonly failures: { failure: InjectedFailure; op: ChatCall['op'] | undefined }[] = [];
  private lastTs = 0;

  /**
   * Fails the next call, or the next call of `op` when given; the failed call changes nothing. Told several
   * times, it fails as many calls, in the order told.
   */
  failNext(failure: InjectedFailure, op?: ChatCall['op']): void {
    this.failures.push({ failure, op });
  }

  /** Every message posted, in order, each with its latest content. */
  get messages(): readonly SeenMessage[] {
    return this.posted;
  }

  /** The messages at one place, in order. */
  messagesAt(where: Place): SeenMessage[] {
    const key = placeKey(where);
    return this.posted.filter((message) => placeKey(message.where) === key);
  }

  /** The calls of one kind, in order. */
  callsOf<Op extends ChatCall['op']>(op: Op): (Extract<ChatCall, { op: Op }> & { answer: Posted | Done | Linked })[] {
    return this.calls.filter((call): call is Extract<ChatCall, { op: Op }> & { answer: Posted | Done | Linked } => call.op === op);
  }

  async postCard(channel: string, card: Rendered): Promise<Posted> {
    return this.answer({ op: 'postCard', channel, message: card }, () => this.post({ channel }, channel, card));
  }

  async replyInThread(parent: MessageRef, message: Rendered): Promise<Posted> {
    return this.answer({ op: 'replyInThread', parent, message }, () =>
      this.find(parent) ? this.post({ thread: parent }, parent.channel, message) : refusal('thread_not_found'),
    );
  }

  async sendDirect(personId: string, message: Rendered): Promise<Posted> {
    // Slack answers with the DM's own channel id, not the person's: a notifier must keep the ref it is given.
    return this.answer({ op: 'sendDirect', personId, message }, () => this.post({ dm: personId }, `D${personId}`, message));
  }

  async updateMessage(ref: MessageRef, message: Rendered): Promise<Done> {
    return this.answer({ op: 'updateMessage', ref, message }, () => {
      const existing = this.find(ref);
      if (!existing) return refusal('message_not_found');
      existing.message = message;
      return { ok: true };
    });
  }

  async linkTo(ref: MessageRef): Promise<Linked> {
    return this.answer({ op: 'linkTo', ref }, () =>
      this.find(ref)
        ? { ok: true, url: `https://fake.slack.test/archives/${ref.channel}/p${ref.ts.replace('.', '')}` }
        : refusal('message_not_found'),
    );
  }

  async publishHome(personId: string, home: HomeTab): Promise<Done> {
    return this.answer({ op: 'publishHome', personId, home }, () => {
      this.homes.set(personId, home);
      return { ok: true };
    });
  }

  private answer<A extends Posted | Done | Linked>(call: ChatCall, perform: () => A | OutsideFailure): A | OutsideFailure {
    const index = this.failures.findIndex(({ op }) => op === undefined || op === call.op);
    const [told] = index === -1 ? [] : this.failures.splice(index, 1);
    const answer = told ? injected(told.failure) : perform();
    this.calls.push({ ...call, answer });
    return answer;
  }

  private post(where: Place, channel: string, message: Rendered): Posted {
    this.lastTs += 1;
    const ref = { channel, ts: `1700000000.${String(this.lastTs).padStart(6, '0')}` };
    this.posted.push({ ref, where, message });
    return { ok: true, ref };
  }

  private find(ref: MessageRef): SeenMessage | undefined {
    return this.posted.find((message) => message.ref.channel === ref.channel && message.ref.ts === ref.ts);
  }
}

function placeKey(where: Place): string {
  if ('channel' in where) return `channel:${where.channel}`;
  if ('dm' in where) return `dm:${where.dm}`;
  return `thread:${where.thread.channel}/${where.thread.ts}`;
}

function refusal(code: string): OutsideFailure {
  return { ok: false, kind: 'permanent', code, message: `Slack refused: ${code}` };
}

function injected(failure: InjectedFailure): OutsideFailure {
  if (failure.kind === 'permanent') return refusal(failure.code);
  return {
    ok: false,
    kind: 'transient',
    message: 'the chat platform is unavailable',
    ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
  };
}
