// The Slack side of the bot: the Bolt app in Socket Mode, the use cases its listeners call, the Home tabs and the
// notifier that writes the request cards, and the listeners themselves.

import type { App, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { AdminAlarm, approverProblemsFor } from '../adapters/slack/admin-alerts.js';
import { createBoltApp, toSlackLogger } from '../adapters/slack/bolt-app.js';
import { SlackHomePublisher } from '../adapters/slack/home-publisher.js';
import { afterAcks } from '../adapters/slack/listeners/after-acks.js';
import { registerListeners } from '../adapters/slack/listeners/index.js';
import { SlackApproverDirectory } from '../adapters/slack/slack-approver-directory.js';
import { SlackChatSurface } from '../adapters/slack/slack-chat-surface.js';
import { SlackNotifier } from '../adapters/slack/slack-notifier.js';
import { SlackUserProfiles } from '../adapters/slack/slack-profiles.js';
import type { ApproverDeps } from '../application/approvers-now.js';
import type { AccessProvider, Clock, EntraDirectory, IdSource, IncidentLookup } from '../application/ports.js';
import { bindUseCases, type UseCases } from '../application/use-cases.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { type PolicyHolder, readingPolicy } from './policy-holder.js';
import type { Storage } from './storage.js';

/** What tests may change in how the bot talks to Slack. */
export interface SlackSeams {
  /** Slack Web API retries per call (default 2). */
  slackRetries?: number;
  /** Socket Mode pong timeout, which also paces reconnects (default 5000 ms). */
  clientPingTimeoutMs?: number;
}

/** The Bolt app, not yet connected. */
export function createSlackApp(slack: Config['slack'], seams: SlackSeams, log: Logger): { app: App; receiver: SocketModeReceiver } {
  return createBoltApp({
    botToken: slack.botToken,
    appToken: slack.appToken,
    apiUrl: slack.apiUrl,
    log: log.child({ module: 'slack' }),
    retries: seams.slackRetries ?? 2,
    ...(seams.clientPingTimeoutMs !== undefined && { clientPingTimeoutMs: seams.clientPingTimeoutMs }),
  });
}

/** Whether a use case stored a change while the listener now running answers Slack. */
class ChangesInListener {
  private changed = false;

  mark(): void {
    this.changed = true;
  }

  /** True once after each change: reading it clears it. */
  take(): boolean {
    const changed = this.changed;
    this.changed = false;
    return changed;
  }
}

// A group lookup waits out a 429's Retry-After and retries a failed call this many times (within the directory's
// deadline for a click), on a client of its own.
const APPROVER_LOOKUP_RETRIES = 2;
const APPROVER_REQUEST_TIMEOUT_MS = 5000;

/**
 * Who the approvers are in Slack, on a WebClient of its own with the bot's token: a 429 on usergroups.users.list
 * (Tier 2) pauses that client's queue for Retry-After, never the Bolt app's messages and modals.
 */
function approverDirectoryFor(slack: Config['slack'], clock: Clock, log: Logger): SlackApproverDirectory {
  const client = new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: APPROVER_LOOKUP_RETRIES },
    timeout: APPROVER_REQUEST_TIMEOUT_MS,
    logger: toSlackLogger(log),
  });
  return new SlackApproverDirectory(client, () => clock.now());
}

export interface SlackSurfaces {
  useCases: UseCases;
  homes: SlackHomePublisher;
  notifier: SlackNotifier;
  changes: ChangesInListener;
  /** Who the approvers are in Slack, and where their problems are told (the admins, the log), for the jobs too. */
  approvers: ApproverDeps;
}

export interface SlackSurfacesDeps {
  slack: Config['slack'];
  storage: Pick<Storage, 'requests' | 'messages'>;
  policy: PolicyHolder;
  clock: Clock;
  ids: IdSource;
  directory: EntraDirectory;
  access: AccessProvider;
  /** Absent without PAGERDUTY_TOKEN. */
  incidents?: IncidentLookup;
  boundary: Config['boundary'];
  log: Logger;
}

/** The use cases bound to the store and the outside services, and what the bot writes into Slack. */
export function createSlackSurfaces(app: App, deps: SlackSurfacesDeps): SlackSurfaces {
  const { clock, log } = deps;
  const changes = new ChangesInListener();
  const alarm = new AdminAlarm({
    client: app.client,
    admins: () => deps.policy.current().admins,
    clock,
    log: log.child({ module: 'approvers' }),
  });
  const approvers: ApproverDeps = {
    approverDirectory: approverDirectoryFor(deps.slack, clock, log.child({ module: 'slack-approvers' })),
    problems: approverProblemsFor(alarm),
  };
  const useCases = bindUseCases(
    readingPolicy(deps.policy, {
      requests: deps.storage.requests,
      clock,
      ids: deps.ids,
      profiles: new SlackUserProfiles(app.client, () => clock.now()),
      directory: deps.directory,
      access: deps.access,
      ...(deps.incidents && { incidents: deps.incidents }),
      ...approvers,
    }),
    () => changes.mark(),
  );
  const chat = new SlackChatSurface(app.client);
  const homes = new SlackHomePublisher({ chat, reads: useCases, log: log.child({ module: 'home' }) });
  const notifier = new SlackNotifier(
    readingPolicy(deps.policy, {
      chat,
      messages: deps.storage.messages,
      homes,
      ...(deps.boundary && { boundary: { oidcAuthMethodId: deps.boundary.oidcAuthMethodId } }),
      clock,
      log: log.child({ module: 'notifier' }),
    }),
  );
  return { useCases, homes, notifier, changes, approvers };
}

/**
 * Registers every listener; `wake` runs once a listener that stored a change has answered Slack, after the acks
 * (`afterAcks`, as the listeners' own follow-ups): begun at once, the jobs' reads and requests ran between the work
 * of the envelopes already read from the socket (fifty Approve clicks at once) and held back their acks.
 */
export function listenToSlack(app: App, surfaces: SlackSurfaces, wake: () => void, log: Logger): void {
  app.use(async ({ next }) => {
    try {
      await next();
    } finally {
      if (surfaces.changes.take()) void afterAcks().then(wake);
    }
  });
  registerListeners(app, { useCases: surfaces.useCases, homes: surfaces.homes, log: log.child({ module: 'listeners' }) });
  app.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });
}
