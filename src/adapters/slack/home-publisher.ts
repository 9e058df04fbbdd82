// Builds and publishes people's Home tabs (docs.slack.dev/reference/methods/views.publish). The one place a Home
// tab is made: the app_home_opened listener publishes the opener's, the notifier those a change concerns.

import type { WebClient } from '@slack/web-api';
import type { UseCases } from '../../application/use-cases.js';
import type { AccessRequest } from '../../domain/access-request.js';
import type { Logger } from '../../logger.js';
import { renderHome } from './blocks/home-tab.js';
import { classifySlackError } from './slack-errors.js';

export interface HomePublisher {
  /** Publishes these people's Home tabs as they stand now. */
  publish(userIds: readonly string[]): Promise<void>;
  /** Publishes the Home tab of everyone who sees this request there. */
  publishFor(request: AccessRequest): Promise<void>;
}

export type HomeReads = Pick<UseCases, 'describeHomes' | 'homeViewersOf' | 'targetOf'>;

export class SlackHomePublisher implements HomePublisher {
  constructor(private readonly deps: { client: WebClient; reads: HomeReads; log: Logger }) {}

  async publish(userIds: readonly string[]): Promise<void> {
    const { client, reads, log } = this.deps;
    for (const [userId, data] of await reads.describeHomes(userIds)) {
      const view = renderHome({ viewerId: userId, ...data, targetOf: (request) => reads.targetOf(request.targetId) });
      try {
        await client.views.publish({ user_id: userId, view });
      } catch (error) {
        // A person who never opened the app has no tab to update; anything else is worth a retry.
        const failure = classifySlackError(error);
        if (failure.kind !== 'permanent') throw error;
        log.warn({ userId, error: failure.message }, 'home tab not published');
      }
    }
  }

  publishFor(request: AccessRequest): Promise<void> {
    return this.publish(this.deps.reads.homeViewersOf(request));
  }
}
