// chat.postMessage, chat.update, chat.postEphemeral and chat.getPermalink with Slack's checks: the channel must
// let the bot in, blocks and text must fit Slack's limits, only the bot's own messages can be updated, and only
// a message that exists has a permalink (docs.slack.dev/reference/methods/chat.postMessage, …/chat.update,
// …/chat.postEphemeral, …/chat.getPermalink).

import { checkBlocks, checkMessageText } from './block-limits.js';
import { type Params, SlackApiError, type SlackHost } from './slack-host.js';
import type { SimChannel, SimMessage, SimUser } from './workspace.js';

export class Messages {
  constructor(private readonly host: SlackHost) {}

  requireUser(id: string): SimUser {
    const user = this.host.workspace.users.get(id);
    if (!user) throw new SlackApiError('user_not_found');
    return user;
  }

  /** The channel a chat.* call names: a channel id, an IM id, or a user id (Slack opens the DM). */
  private resolveChannel(id: string): SimChannel {
    const { workspace } = this.host;
    if (/^[UW]/.test(id)) {
      this.requireUser(id);
      return workspace.imWith(id);
    }
    const channel = workspace.channels.get(id);
    if (!channel) throw new SlackApiError('channel_not_found');
    if (!channel.isIm && !channel.members.has(this.host.botUserId)) {
      if (channel.isPrivate || !this.host.scopes.includes('chat:write.public')) throw new SlackApiError('not_in_channel');
    }
    return channel;
  }

  /** The text and blocks of a message, refused as Slack would; a missing fallback text is recorded. */
  checkContent(method: string, params: Params): { text: string; blocks: unknown[] } {
    const blocks = params.blocks === undefined ? [] : params.blocks;
    const text = typeof params.text === 'string' ? params.text : '';
    const problems = [...checkBlocks(params.blocks, 'message'), ...checkMessageText(params.text)];
    if (problems.length > 0) {
      for (const problem of problems) this.host.violate(`${method}: ${problem}`);
      throw new SlackApiError('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    }
    if (!text && (!Array.isArray(blocks) || blocks.length === 0)) throw new SlackApiError('no_text');
    if (!text)
      this.host.violate(`${method}: blocks sent without a top-level text fallback (notifications and screen readers show nothing)`);
    if (params.thread_ts !== undefined && typeof params.thread_ts !== 'string') this.host.violate(`${method}: thread_ts must be a string`);
    return { text, blocks: Array.isArray(blocks) ? blocks : [] };
  }

  postMessage(params: Params): Record<string, unknown> {
    const { workspace } = this.host;
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const content = this.checkContent('chat.postMessage', params);
    const threadTs = params.thread_ts === undefined ? undefined : String(params.thread_ts);
    if (threadTs !== undefined && !workspace.findMessage(channel.id, threadTs)) throw new SlackApiError('thread_not_found');
    const message: SimMessage = {
      channel: channel.id,
      ts: workspace.nextTs(),
      user: this.host.botUserId,
      botId: this.host.botId,
      ...content,
      history: [],
      ...(threadTs !== undefined && { threadTs }),
    };
    workspace.messages.push(message);
    this.host.onActivity?.({ kind: 'posted', message });
    return { channel: channel.id, ts: message.ts, message: this.messageJson(message) };
  }

  updateMessage(params: Params): Record<string, unknown> {
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const message = this.host.workspace.findMessage(channel.id, String(params.ts ?? ''));
    if (!message) throw new SlackApiError('message_not_found');
    if (message.user !== this.host.botUserId) throw new SlackApiError('cant_update_message');
    const content = this.checkContent('chat.update', { ...params, thread_ts: undefined });
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = content.text;
    message.blocks = content.blocks;
    this.host.onActivity?.({ kind: 'updated', message });
    return { channel: channel.id, ts: message.ts, text: message.text, message: this.messageJson(message) };
  }

  postEphemeral(params: Params): Record<string, unknown> {
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const user = this.requireUser(String(params.user ?? ''));
    if (!channel.isIm && !channel.members.has(user.id)) throw new SlackApiError('user_not_in_channel');
    const content = this.checkContent('chat.postEphemeral', params);
    const ts = this.host.workspace.nextTs();
    this.host.workspace.ephemerals.push({ channel: channel.id, user: user.id, ts, ...content });
    this.host.onActivity?.({ kind: 'ephemeral', user: user.id, ...content });
    return { message_ts: ts };
  }

  /**
   * A message's link as Slack gives it: the workspace's archives URL with the ts as `p` and its 16 digits; a reply
   * in a thread carries the thread's ts and channel as well.
   */
  permalink(params: Params): Record<string, unknown> {
    const channel = String(params.channel ?? '');
    if (!this.host.workspace.channels.has(channel)) throw new SlackApiError('channel_not_found');
    const message = this.host.workspace.findMessage(channel, String(params.message_ts ?? ''));
    if (!message) throw new SlackApiError('message_not_found');
    const thread = message.threadTs ? `?thread_ts=${message.threadTs}&cid=${channel}` : '';
    return { channel, permalink: `https://sim.slack.test/archives/${channel}/p${message.ts.replace('.', '')}${thread}` };
  }

  messageJson(message: SimMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: message.user,
      ...(message.botId && { bot_id: message.botId, app_id: this.host.appId }),
      text: message.text,
      blocks: message.blocks,
      ts: message.ts,
      ...(message.threadTs && { thread_ts: message.threadTs }),
      team: this.host.teamId,
    };
  }
}
