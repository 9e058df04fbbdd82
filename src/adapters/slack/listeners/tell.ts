import type { WebClient } from '@slack/web-api';

/**
 * Tells one person something only they see: an ephemeral message where the click happened (a channel or
 * the DM), or a DM when it happened on the Home tab.
 */
export async function tell(client: WebClient, where: { userId: string; channelId: string | undefined }, text: string): Promise<void> {
  if (where.channelId) await client.chat.postEphemeral({ channel: where.channelId, user: where.userId, text });
  else await client.chat.postMessage({ channel: where.userId, text });
}
