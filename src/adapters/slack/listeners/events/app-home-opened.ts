import type { App } from '@slack/bolt';
import type { ListenerUseCases } from '../use-cases.js';

// Slack sends this each time someone opens the app's Home tab; the tab is published fresh from the store.
export function register(app: App, { homes }: ListenerUseCases): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await homes.publish([event.user]);
  });
}
