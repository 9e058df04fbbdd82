// A bot loads only what its configuration uses: without BOUNDARY_ADDR, PAGERDUTY_TOKEN and SERVICENOW_INSTANCE_URL
// the real bot process holds none of those adapters' code (nor, on SQLite, the PostgreSQL adapter); with them set,
// it loads each. Read from the process itself: every script V8 compiled there (bot-process.ts, loadedModules).

import { afterEach, describe, expect, it } from 'vitest';
import { type BotProcess, spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { PagerDutySimulator } from '../../simulators/pagerduty/pagerduty-simulator.js';
import { type SandboxOptions, type Simulators, startSimulators } from '../../simulators/sandbox.js';
import { ServiceNowSimulator } from '../../simulators/servicenow/servicenow-simulator.js';

const OPTIONAL = ['boundary', 'pagerduty', 'postgres', 'servicenow'];

/** The folders under src/adapters/ that the bot has loaded code from, among the optional ones. */
async function optionalAdaptersLoaded(bot: BotProcess): Promise<string[]> {
  const folders = new Set<string>();
  for (const url of await bot.loadedModules()) {
    const folder = /\/src\/adapters\/([^/]+)\//.exec(url)?.[1];
    if (folder && OPTIONAL.includes(folder)) folders.add(folder);
  }
  return [...folders].sort();
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

async function startBot(options: SandboxOptions = {}): Promise<BotProcess> {
  const sims: Simulators = await startSimulators(options);
  stops.push(async () => {
    await sims.slack.stop();
    await sims.graph.stop();
  });
  const bot = await spawnBotProcess(sims, 0);
  stops.push(() => bot.kill9());
  return bot;
}

describe('the code a bot loads', () => {
  it('holds no Boundary, PagerDuty, ServiceNow or PostgreSQL adapter when none is configured', async () => {
    const bot = await startBot();
    expect(await optionalAdaptersLoaded(bot)).toEqual([]);
  }, 60_000);

  it('loads the Boundary, PagerDuty and ServiceNow adapters when each is configured', async () => {
    const [boundary, pagerDuty, servicenow] = await Promise.all([
      BoundarySimulator.start(),
      PagerDutySimulator.start(),
      ServiceNowSimulator.start(),
    ]);
    stops.push(() => Promise.all([boundary.stop(), pagerDuty.stop(), servicenow.stop()]).then(() => undefined));
    const bot = await startBot({ boundary, pagerDuty, servicenow });
    expect(await optionalAdaptersLoaded(bot)).toEqual(['boundary', 'pagerduty', 'servicenow']);
  }, 60_000);
});
