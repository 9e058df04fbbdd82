// response_url as Slack serves it: up to 5 uses within 30 minutes, replacing, deleting or adding to the
// message it came with (docs.slack.dev/interactivity/handling-user-interaction).

import { randomUUID } from 'node:crypto';
import type { Messages } from './messages.js';
import type { Params, SlackHost } from './slack-host.js';

const RESPONSE_URL_USES = 5;

export interface ResponseUrlTarget {
  user: string;
  channel?: string;
  messageTs?: string;
  uses: number;
}

export class ResponseUrls {
  private readonly targets = new Map<string, ResponseUrlTarget>();

  constructor(
    private readonly host: SlackHost,
    private readonly messages: Messages,
  ) {}

  issue(target: ResponseUrlTarget): string {
    const id = randomUUID();
    this.targets.set(id, target);
    return `http://127.0.0.1:${this.host.port}/respond/${id}`;
  }

  /** The HTTP status Slack answers a POST to the URL with. */
  receive(id: string, body: string): number {
    const { workspace } = this.host;
    const target = this.targets.get(id);
    if (!target || target.uses >= RESPONSE_URL_USES) return 404;
    target.uses += 1;
    const params = JSON.parse(body || '{}') as Params;
    const message = target.channel && target.messageTs ? workspace.findMessage(target.channel, target.messageTs) : undefined;
    if (params.delete_original === true && message) {
      workspace.messages.splice(workspace.messages.indexOf(message), 1);
      return 200;
    }
    if (params.replace_original === true && message) {
      const content = this.messages.checkContent('response_url', params);
      message.history.push({ text: message.text, blocks: message.blocks });
      Object.assign(message, content);
      return 200;
    }
    const content = this.messages.checkContent('response_url', params);
    if (params.response_type === 'in_channel' && target.channel) {
      workspace.messages.push({
        channel: target.channel,
        ts: workspace.nextTs(),
        user: this.host.botUserId,
        botId: this.host.botId,
        ...content,
        history: [],
      });
    } else {
      workspace.ephemerals.push({ channel: target.channel ?? '', user: target.user, ts: workspace.nextTs(), ...content });
    }
    return 200;
  }
}
