// Tells everyone involved what happened to a request: updates the card and the requester's receipt in place,
// posts the news once in the card's thread and in the requester's DMs, and republishes the Home tabs that show
// the request. Run from notify jobs, so a Slack outage delays news but never loses it.

import type { WebClient } from '@slack/web-api';
import type { Clock, Notifier, OutsideFailure, SlackMessageStore } from '../../application/ports.js';
import type { AccessRequest } from '../../domain/access-request.js';
import type { NewsKind } from '../../domain/news.js';
import { findTarget, type Policy } from '../../domain/policy.js';
import type { Logger } from '../../logger.js';
import { type BoundarySetup, renderDirectNews, renderRequestReceipt, renderThreadNews } from './blocks/notifications.js';
import { type Rendered, renderRequestCard } from './blocks/request-card.js';
import type { HomePublisher } from './home-publisher.js';
import { classifySlackError } from './slack-errors.js';

export interface SlackNotifierDeps {
  client: WebClient;
  messages: SlackMessageStore;
  /** Publishes the Home tabs that show the request. */
  homes: Pick<HomePublisher, 'publishFor'>;
  policy: Policy;
  /** Absent when the bot does not end Boundary sign-ins. */
  boundary?: BoundarySetup;
  clock: Clock;
  log: Logger;
}

export class SlackNotifier implements Notifier {
  constructor(private readonly deps: SlackNotifierDeps) {}

  async notify(request: AccessRequest, news: NewsKind): Promise<{ ok: true } | OutsideFailure> {
    try {
      const target = findTarget(this.deps.policy, request.targetId);
      const card = await this.keepUpdated(request, 'card', target?.approvers.channel, renderRequestCard(request, target));
      await this.keepUpdated(request, 'receipt', request.requesterId, renderRequestReceipt(request, target, target?.approvers.channel));
      const thread = renderThreadNews(request, news, target, this.deps.boundary);
      if (thread && card) await this.postOnce(request, `thread:${news}`, card.channel, thread, card.ts);
      const direct = renderDirectNews(request, news, target, this.deps.boundary);
      if (direct) await this.postOnce(request, `dm:${news}`, request.requesterId, direct);
      await this.deps.homes.publishFor(request);
      return { ok: true };
    } catch (error) {
      return classifySlackError(error);
    }
  }

  /** Posts the message the first time, updates it in place afterwards. */
  private async keepUpdated(request: AccessRequest, kind: string, channel: string | undefined, content: Rendered) {
    const existing = await this.deps.messages.find(request.id, kind);
    if (existing) {
      await this.deps.client.chat.update({
        channel: existing.channel,
        ts: existing.ts,
        text: content.text,
        blocks: content.blocks,
      });
      return existing;
    }
    if (!channel) return undefined;
    return this.post(request, kind, channel, content);
  }

  private async postOnce(request: AccessRequest, kind: string, channel: string, content: Rendered, threadTs?: string): Promise<void> {
    if (await this.deps.messages.find(request.id, kind)) return;
    await this.post(request, kind, channel, content, threadTs);
  }

  private async post(request: AccessRequest, kind: string, channel: string, content: Rendered, threadTs?: string) {
    const posted = await this.deps.client.chat.postMessage({
      channel,
      text: content.text,
      blocks: content.blocks,
      ...(threadTs && { thread_ts: threadTs }),
      unfurl_links: false,
      unfurl_media: false,
    });
    const ref = { channel: String(posted.channel), ts: String(posted.ts) };
    await this.deps.messages.save(request.id, kind, ref, this.deps.clock.now());
    return ref;
  }
}
