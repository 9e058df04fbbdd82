// Tells everyone involved what happened to a request: updates the card and the requester's receipt in place,
// posts the news once in the card's thread and in the requester's DMs, and republishes the Home tabs that show
// the request. Run from notify jobs, so a Slack outage delays news but never loses it.

import type { Clock, MessageRef, Notifier, OutsideFailure, SlackMessageStore } from '../../application/ports.js';
import type { AccessRequest } from '../../domain/access-request.js';
import type { ApproverRoster } from '../../domain/approvers.js';
import { escalatedApprovers } from '../../domain/deciders.js';
import type { NewsKind } from '../../domain/news.js';
import { findTarget, type Policy, type Target } from '../../domain/policy.js';
import type { Logger } from '../../logger.js';
import { renderBreakGlassAlert } from './blocks/break-glass-alert.js';
import { renderExtensionMessage } from './blocks/extension.js';
import { type BoundarySetup, renderDirectNews, renderRequestReceipt, renderThreadNews } from './blocks/notifications.js';
import { renderEscalationDirect } from './blocks/reminders.js';
import { type Rendered, renderRequestCard } from './blocks/request-card.js';
import type { ChatSurface, Done, Posted } from './chat-surface.js';
import type { HomePublisher } from './home-publisher.js';

export interface SlackNotifierDeps {
  chat: ChatSurface;
  messages: SlackMessageStore;
  /** Publishes the Home tabs that show the request. */
  homes: Pick<HomePublisher, 'publishFor'>;
  policy: Policy;
  /** Absent when the bot does not end Boundary sign-ins. */
  boundary?: BoundarySetup;
  clock: Clock;
  log: Logger;
}

const EXTENSION_NEWS: readonly NewsKind[] = ['extension_requested', 'extension_approval_recorded', 'extended', 'extension_denied'];

/**
 * Each extension has one message in the card's thread, kept up to date as the approvers decide, and, when the
 * grant ends before they did, told so (its buttons go).
 */
function extensionMessageKey(request: AccessRequest, news: NewsKind): string | undefined {
  if (request.state === 'active' && request.extension && EXTENSION_NEWS.includes(news)) return `extension:${request.extension.askedAt}`;
  const undecided = request.state === 'ended' && request.extension && !request.extension.decision ? request.extension : undefined;
  return undecided && news === 'ended' ? `extension:${undecided.askedAt}` : undefined;
}

/**
 * News told once per request, except what may happen again: each reminder to the approvers, an expiry warning
 * before each new end, and the news of each extension. A retried job finds the message it already posted under
 * the same key.
 */
function occurrenceOf(request: AccessRequest, news: NewsKind): string {
  if (news === 'reminder') return `${news}:${request.remindersSent ?? 0}`;
  if (request.state !== 'active') return news;
  if (news === 'expiring_soon' && request.extendedMinutes) return `${news}:${request.endsAt}`;
  if (request.extension && (EXTENSION_NEWS.includes(news) || news === 'extension_failed')) return `${news}:${request.extension.askedAt}`;
  return news;
}

/** A message kept up to date: where it lives, or undefined when there is none and nowhere to post it. */
type Kept = { ok: true; ref: MessageRef | undefined } | OutsideFailure;

export class SlackNotifier implements Notifier {
  /** The news of each request being told now: the next news of the same request waits for it. */
  private readonly telling = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: SlackNotifierDeps) {}

  /**
   * One request's news is told one at a time: two jobs of the same request running at once (a break-glass alert
   * still being posted when its grant's news comes) would each find no card yet and post one.
   */
  notify(request: AccessRequest, news: NewsKind, approvers?: ApproverRoster): Promise<{ ok: true } | OutsideFailure> {
    const before = this.telling.get(request.id) ?? Promise.resolve();
    const told = before.then(() => this.tell(request, news, approvers));
    const settled = told.catch(() => undefined);
    this.telling.set(request.id, settled);
    void settled.then(() => {
      if (this.telling.get(request.id) === settled) this.telling.delete(request.id);
    });
    return told;
  }

  private async tell(
    request: AccessRequest,
    news: NewsKind,
    approvers: ApproverRoster | undefined,
  ): Promise<{ ok: true } | OutsideFailure> {
    const { chat, policy, boundary } = this.deps;
    try {
      const kept = new KeptMessages(this.deps, request.id, await this.deps.messages.findAll(request.id));
      const target = findTarget(policy, request.targetId);
      const channel = target?.approvers.channel;
      // A break-glass has its alert for a card: in the approvers' channel, and a copy in the alert channel.
      const card = await this.keepUpdated(
        kept,
        'card',
        request.breakGlass ? renderBreakGlassAlert(request, target, false, approvers) : renderRequestCard(request, target, approvers),
        channel === undefined ? undefined : (content) => chat.postCard(channel, content),
      );
      if (!card.ok) return card;
      if (request.breakGlass) {
        const alerted = await this.keepBreakGlassAlerts(kept, request, news, target, approvers);
        if (!alerted.ok) return alerted;
      }
      const receipt = await this.keepUpdated(kept, 'receipt', renderRequestReceipt(request, target, channel), (content) =>
        chat.sendDirect(request.requesterId, content),
      );
      if (!receipt.ok) return receipt;
      const cardRef = card.ref;
      const extension = extensionMessageKey(request, news);
      if (extension && cardRef) {
        const content = renderExtensionMessage(request, target);
        const updated = content && (await this.keepUpdated(kept, extension, content, (posted) => chat.replyInThread(cardRef, posted)));
        if (updated && !updated.ok) return updated;
      }
      const occurrence = occurrenceOf(request, news);
      const thread = renderThreadNews(request, news, target, boundary, approvers);
      if (thread && cardRef) {
        const replied = await this.postOnce(kept, `thread:${occurrence}`, () => chat.replyInThread(cardRef, thread));
        if (!replied.ok) return replied;
      }
      const direct = renderDirectNews(request, news, target, boundary);
      if (direct) {
        const sent = await this.postOnce(kept, `dm:${occurrence}`, () => chat.sendDirect(request.requesterId, direct));
        if (!sent.ok) return sent;
      }
      if (news === 'escalated' && target && cardRef) {
        const told = await this.tellEscalatedApprovers(kept, request, target, cardRef);
        if (!told.ok) return told;
      }
      return await this.deps.homes.publishFor(request);
    } catch (error) {
      // The message store or the Home tab's reads failed (the database): the job tries again, as after an outage.
      return { ok: false, kind: 'transient', message: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * The break-glass alert's other copies: the one in the alert channel (posted with the first news, unless it is
   * the approvers' channel), and the copies posted again in both channels when nobody reviewed it within the
   * hour. Every later news updates them all, so no copy keeps an Acknowledge that no longer applies.
   */
  private async keepBreakGlassAlerts(
    kept: KeptMessages,
    request: AccessRequest,
    news: NewsKind,
    target: Target | undefined,
    approvers: ApproverRoster | undefined,
  ): Promise<{ ok: true } | OutsideFailure> {
    const { chat } = this.deps;
    const channel = target?.approvers.channel;
    const alertChannel = target?.breakGlass?.alertChannel;
    const separate = alertChannel !== undefined && alertChannel !== channel ? alertChannel : undefined;
    const postTo = (where: string | undefined, when: boolean) =>
      where !== undefined && when ? (content: Rendered) => chat.postCard(where, content) : undefined;
    const again = news === 'break_glass_unreviewed';
    const copies: [string, Rendered, ((content: Rendered) => Promise<Posted>) | undefined][] = [
      ['alert', renderBreakGlassAlert(request, target, false, approvers), postTo(separate, true)],
      ['card_again', renderBreakGlassAlert(request, target, true, approvers), postTo(channel, again)],
      ['alert_again', renderBreakGlassAlert(request, target, true, approvers), postTo(separate, again)],
    ];
    for (const [kind, content, post] of copies) {
      const updated = await this.keepUpdated(kept, kind, content, post);
      if (!updated.ok) return updated;
    }
    return { ok: true };
  }

  /**
   * Each person a request escalated to is sent it once, with a link to its card. One who cannot be written to
   * (gone from Slack, say) is logged and passed over, so that the others still hear of it.
   */
  private async tellEscalatedApprovers(
    kept: KeptMessages,
    request: AccessRequest,
    target: Target,
    card: MessageRef,
  ): Promise<{ ok: true } | OutsideFailure> {
    const { chat, log } = this.deps;
    let link: string | undefined;
    for (const userId of escalatedApprovers(request, target)) {
      const kind = `escalation_dm:${userId}`;
      if (kept.find(kind)) continue;
      if (link === undefined) {
        const linked = await chat.linkTo(card);
        if (!linked.ok && linked.kind === 'transient') return linked;
        link = linked.ok ? linked.url : '';
      }
      const content = renderEscalationDirect(request, target, link || undefined);
      if (!content) return { ok: true };
      const sent = await kept.saved(kind, await chat.sendDirect(userId, content));
      if (!sent.ok && sent.kind === 'transient') return sent;
      if (!sent.ok) log.warn({ requestId: request.id, userId, error: sent.message }, 'escalation not sent to a person escalated to');
    }
    return { ok: true };
  }

  /** Posts the message the first time (when `post` says where), updates it in place afterwards. */
  private async keepUpdated(
    kept: KeptMessages,
    kind: string,
    content: Rendered,
    post: ((content: Rendered) => Promise<Posted>) | undefined,
  ): Promise<Kept> {
    const existing = kept.find(kind);
    if (existing) {
      const updated = await this.deps.chat.updateMessage(existing, content);
      return updated.ok ? { ok: true, ref: existing } : updated;
    }
    if (!post) return { ok: true, ref: undefined };
    return kept.saved(kind, await post(content));
  }

  private async postOnce(kept: KeptMessages, kind: string, post: () => Promise<Posted>): Promise<Done> {
    if (kept.find(kind)) return { ok: true };
    return kept.saved(kind, await post());
  }
}

/**
 * The messages the bot keeps for one request, read once when its news is told (one read, where each message
 * looked itself up before: six reads for an approval's news on PostgreSQL, each a round trip), and each one
 * posted stored at once, so that a retry finds it.
 */
class KeptMessages {
  constructor(
    private readonly deps: Pick<SlackNotifierDeps, 'messages' | 'clock'>,
    private readonly requestId: string,
    private readonly refs: Map<string, MessageRef>,
  ) {}

  find(kind: string): MessageRef | undefined {
    return this.refs.get(kind);
  }

  async saved(kind: string, posted: Posted): Promise<Posted> {
    if (!posted.ok) return posted;
    await this.deps.messages.save(this.requestId, kind, posted.ref, this.deps.clock.now());
    this.refs.set(kind, posted.ref);
    return posted;
  }
}
