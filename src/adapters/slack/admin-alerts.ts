import type { WebClient } from '@slack/web-api';
import { escapeMrkdwn } from './blocks/mrkdwn.js';

/** A DM to each admin of the policy (a user id is a DM channel for chat.postMessage). */
export async function alertAdmins(client: WebClient, admins: readonly string[], lines: readonly string[]): Promise<void> {
  const text = lines.map(escapeMrkdwn).join('\n');
  await Promise.all(admins.map((admin) => client.chat.postMessage({ channel: admin, text })));
}
