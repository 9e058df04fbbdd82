// The real Bolt app, with the real listeners, over Socket Mode against the Slack simulator, calling hand-written
// fakes of the bound use cases. A listener test says what a person does and what the use cases were asked.

import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { SlackSimulator } from '../../simulators/slack/slack-simulator.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { createBoltApp } from '../../src/adapters/slack/bolt-app.js';
import { registerListeners } from '../../src/adapters/slack/listeners/index.js';
import type { UseCases } from '../../src/application/use-cases.js';
import { createLogger } from '../../src/logger.js';
import { APPROVER_1, makeTarget, REQUESTER } from './fixtures.js';

export const CHANNEL = 'C0APPROVALS';

/** Use cases that record each call and answer as the test says; a call the test did not expect fails it. */
export function fakeUseCases(answers: Partial<UseCases>): UseCases & { calls: [keyof UseCases, unknown][] } {
  const calls: [keyof UseCases, unknown][] = [];
  const unexpected = (name: keyof UseCases) => () => {
    throw new Error(`unexpected call of ${name}`);
  };
  const names: (keyof UseCases)[] = [
    'requestOptions',
    'targetOf',
    'requestAccess',
    'warmUpIdentity',
    'decide',
    'previewDecision',
    'cancel',
    'endAccess',
    'extensionForm',
    'requestExtension',
    'decideExtension',
    'acknowledgeBreakGlass',
    'listRequests',
    'describeHomes',
    'homeViewersOf',
    'requestAgain',
    'explainTarget',
  ];
  const fake = Object.fromEntries(
    names.map((name) => {
      const answer = (answers[name] ?? unexpected(name)) as (...args: unknown[]) => unknown;
      return [
        name,
        (...args: unknown[]) => {
          calls.push([name, args[0]]);
          return answer(...args);
        },
      ];
    }),
  ) as unknown as UseCases;
  return Object.assign(fake, { calls });
}

export interface ListenerHarness {
  sim: SlackSimulator;
  app: App;
  /** Whose Home tabs the listeners asked to publish. */
  published: string[][];
  /** Posts a message with these blocks in the approvers' channel, for a person to click on. */
  postCard(blocks: KnownBlock[]): Promise<SimMessage>;
  stop(): Promise<void>;
}

export async function startListeners(useCases: UseCases): Promise<ListenerHarness> {
  const sim = new SlackSimulator();
  sim.addUser({ id: REQUESTER, name: 'sam', email: 'sam@example.com' });
  sim.addUser({ id: APPROVER_1, name: 'maria', email: 'maria@example.com' });
  sim.addChannel({ id: CHANNEL, name: 'approvals', members: [APPROVER_1] });
  await sim.start();
  const { app } = createBoltApp({
    botToken: sim.botToken,
    appToken: sim.appToken,
    apiUrl: sim.apiUrl,
    log: createLogger('silent'),
    retries: 0,
  });
  const published: string[][] = [];
  registerListeners(app, {
    useCases,
    homes: { publish: async (userIds) => void published.push([...userIds]) },
    log: createLogger('silent'),
  });
  await app.init();
  await app.start();
  return {
    sim,
    app,
    published,
    async postCard(blocks) {
      await app.client.chat.postMessage({ channel: CHANNEL, text: 'card', blocks });
      const card = sim.person(APPROVER_1).channel(CHANNEL).at(-1);
      if (!card) throw new Error('the card was not posted');
      return card;
    },
    async stop() {
      await app.stop();
      await sim.waitFor(() => sim.openConnections === 0, 2000, 'the socket to close');
      await sim.stop();
    },
  };
}

export const TARGET = makeTarget();
