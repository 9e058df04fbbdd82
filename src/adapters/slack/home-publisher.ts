// Builds and publishes people's Home tabs (docs.slack.dev/reference/methods/views.publish). The one place a Home
// tab is made: the app_home_opened listener publishes the opener's, the notifier those a change concerns.

import type { OutsideFailure } from '../../application/ports.js';
import type { UseCases } from '../../application/use-cases.js';
import type { AccessRequest } from '../../domain/access-request.js';
import type { Logger } from '../../logger.js';
import { renderHome } from './blocks/home-tab.js';
import type { ChatSurface, Done } from './chat-surface.js';

export interface HomePublisher {
  /** Publishes these people's Home tabs as they stand now; throws when they could not be, for the listener's log. */
  publish(userIds: readonly string[]): Promise<void>;
  /** Publishes the Home tab of everyone who sees this request there; a failure worth a retry is answered. */
  publishFor(request: AccessRequest): Promise<{ ok: true } | OutsideFailure>;
}

export type HomeReads = Pick<UseCases, 'describeHomes' | 'homeViewersOf' | 'targetOf'>;

export class SlackHomePublisher implements HomePublisher {
  constructor(private readonly deps: { chat: Pick<ChatSurface, 'publishHome'>; reads: HomeReads; log: Logger }) {}

  async publish(userIds: readonly string[]): Promise<void> {
    const published = await this.publishAll(userIds);
    if (!published.ok) throw new Error(`Home tab not published: ${published.message}`);
  }

  publishFor(request: AccessRequest): Promise<{ ok: true } | OutsideFailure> {
    return this.publishAll(this.deps.reads.homeViewersOf(request));
  }

  private async publishAll(userIds: readonly string[]): Promise<Done> {
    const { chat, reads, log } = this.deps;
    for (const [userId, data] of await reads.describeHomes(userIds)) {
      const view = renderHome({ viewerId: userId, ...data, targetOf: (request) => reads.targetOf(request.targetId) });
      const published = await chat.publishHome(userId, view);
      if (published.ok) continue;
      // A person who never opened the app has no tab to update; anything else is worth a retry.
      if (published.kind !== 'permanent') return published;
      log.warn({ userId, error: published.message }, 'home tab not published');
    }
    return { ok: true };
  }
}
