import type { App } from '@slack/bolt';
import { publishHomes } from '../../slack-notifier.js';
import type { ListenerDeps } from '../context.js';

export function register(app: App, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHomes({ client, requests: deps.requests, policy: deps.policy, log: deps.log }, [event.user]);
  });
}
