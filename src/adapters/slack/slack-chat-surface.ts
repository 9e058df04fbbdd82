// The chat surface over Slack's Web API (docs.slack.dev/reference/methods/chat.postMessage, …/chat.update,
// …/chat.getPermalink, …/views.publish). Slack's errors become values here: its refusals are permanent, rate limits and outages
// transient, with the Retry-After Slack sent.

import type { WebClient } from '@slack/web-api';
import type { MessageRef } from '../../application/ports.js';
import type { HomeTab } from './blocks/home-tab.js';
import type { Rendered } from './blocks/request-card.js';
import type { ChatSurface, Done, Linked, Posted } from './chat-surface.js';
import { classifySlackError } from './slack-errors.js';

export class SlackChatSurface implements ChatSurface {
  constructor(private readonly client: WebClient) {}

  postCard(channel: string, card: Rendered): Promise<Posted> {
    return this.post(channel, card);
  }

  replyInThread(parent: MessageRef, message: Rendered): Promise<Posted> {
    return this.post(parent.channel, message, parent.ts);
  }

  /** A user id is a DM channel for chat.postMessage; Slack answers with the DM's own channel id. */
  sendDirect(personId: string, message: Rendered): Promise<Posted> {
    return this.post(personId, message);
  }

  async updateMessage(ref: MessageRef, message: Rendered): Promise<Done> {
    try {
      await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks });
      return { ok: true };
    } catch (error) {
      return classifySlackError(error);
    }
  }

  /** chat.getPermalink needs no scope; Slack answers message_not_found for a message it does not have. */
  async linkTo(ref: MessageRef): Promise<Linked> {
    try {
      const linked = await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
      return { ok: true, url: String(linked.permalink) };
    } catch (error) {
      return classifySlackError(error);
    }
  }

  async publishHome(personId: string, home: HomeTab): Promise<Done> {
    try {
      await this.client.views.publish({ user_id: personId, view: home });
      return { ok: true };
    } catch (error) {
      return classifySlackError(error);
    }
  }

  private async post(channel: string, message: Rendered, threadTs?: string): Promise<Posted> {
    try {
      const posted = await this.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs && { thread_ts: threadTs }),
        unfurl_links: false,
        unfurl_media: false,
      });
      return { ok: true, ref: { channel: String(posted.channel), ts: String(posted.ts) } };
    } catch (error) {
      return classifySlackError(error);
    }
  }
}
