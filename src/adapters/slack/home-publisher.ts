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

/** The people whose tabs the next round publishes, and that round's result. */
interface Round {
  userIds: Set<string>;
  done: Promise<Done>;
}

/**
 * Publishes in rounds, one at a time: a change asks for its viewers' tabs, and every ask made before a round
 * starts joins it, so each person's tab is read and published once a round however many of their requests
 * changed. Fifty approvals at once republished the approvers' tabs fifty times, each reading every waiting
 * request: that work ran beside the acks and the grants and held them back (bench/profile-approve.ts). An ask
 * made while a round runs waits for the next one, whose read comes after it, so no tab misses a change.
 */
export class SlackHomePublisher implements HomePublisher {
  private next: Round | undefined;
  private previous: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { chat: Pick<ChatSurface, 'publishHome'>; reads: HomeReads; log: Logger }) {}

  async publish(userIds: readonly string[]): Promise<void> {
    const published = await this.inNextRound(userIds);
    if (!published.ok) throw new Error(`Home tab not published: ${published.message}`);
  }

  publishFor(request: AccessRequest): Promise<{ ok: true } | OutsideFailure> {
    return this.inNextRound(this.deps.reads.homeViewersOf(request));
  }

  private inNextRound(userIds: readonly string[]): Promise<Done> {
    if (!this.next) {
      const round: Round = {
        userIds: new Set(),
        // On a later turn of the event loop, so that the asks of one burst share the round.
        done: this.previous.then(nextTurn).then(() => {
          this.next = undefined;
          return this.publishAll([...round.userIds]);
        }),
      };
      this.next = round;
      this.previous = round.done.catch(() => undefined);
    }
    for (const userId of userIds) this.next.userIds.add(userId);
    return this.next.done;
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

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
