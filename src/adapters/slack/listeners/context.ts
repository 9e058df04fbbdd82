import type { WebClient } from '@slack/web-api';
import type { AccessProvider, Clock, EntraDirectory, IdSource, RequestRepository, SlackProfiles } from '../../../application/ports.js';
import type { Policy } from '../../../domain/policy.js';
import type { Logger } from '../../../logger.js';

/** What the listeners need: the use cases' dependencies, and a way to wake the job worker after a change. */
export interface ListenerDeps {
  policy: Policy;
  requests: RequestRepository;
  clock: Clock;
  ids: IdSource;
  profiles: SlackProfiles;
  directory: EntraDirectory;
  access: AccessProvider;
  log: Logger;
  /** Tells the job worker that new jobs were written, so cards and grants follow at once. */
  wake: () => void;
}

/**
 * Tells one person something only they see: an ephemeral message where the click happened (a channel or
 * the DM), or a DM when it happened on the Home tab.
 */
export async function tell(client: WebClient, where: { userId: string; channelId: string | undefined }, text: string): Promise<void> {
  if (where.channelId) await client.chat.postEphemeral({ channel: where.channelId, user: where.userId, text });
  else await client.chat.postMessage({ channel: where.userId, text });
}
