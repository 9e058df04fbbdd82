// A sandbox: the whole bot, in this process, against the Slack and Graph simulators over loopback — the real
// Bolt app, the real Graph client and credential, a real SQLite file — with a small cast of people. The
// end-to-end tests and `npm run demo` both run in it. Time is real time plus an offset a test may move.
// The process must trust the simulator CA (NODE_EXTRA_CA_CERTS) from its start.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteDatabase } from '../src/adapters/sqlite/database.js';
import type { Clock } from '../src/application/ports.js';
import { type RunningBot, startBot } from '../src/composition/index.js';
import { type LogLevel, loadConfig, secretValues } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import type { BoundarySimulator } from './boundary/boundary-simulator.js';
import { GraphSimulator, type GraphSimulatorOptions } from './graph/graph-simulator.js';
import { ensureSimulatorTls } from './graph/tls.js';
import type { PagerDutySimulator } from './pagerduty/pagerduty-simulator.js';
import { APPROVALS, CHANGE_TEMPLATE, DEFAULT_POLICY, MEMBER_GROUP, PIM_GROUP } from './policies.js';
import type { ServiceNowSimulator } from './servicenow/servicenow-simulator.js';
import { manifestBotScopes } from './slack/manifest-scopes.js';
import { SlackSimulator } from './slack/slack-simulator.js';

export const TENANT_ID = '7d1c1c0e-9a55-4f4b-8f3e-5a8c1b9e0d11';
export const CLIENT_ID = '0c3e3b31-5b6a-4e0e-9c5a-0d7f2a1b9e10';
export const CLIENT_SECRET = 'sim~secret.value-0123456789';
/** The application permissions the bot needs, and no more (README, "Entra app registration"). */
export const LEAST_PRIVILEGE = [
  'User.Read.All',
  'GroupMember.ReadWrite.All',
  'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
  'PrivilegedEligibilitySchedule.Read.AzureADGroup',
];

export function simulatorTlsDirectory(): string {
  return process.env.JIT_SIMULATOR_TLS_DIR ?? join(tmpdir(), 'jit-access-bot-simulator-tls');
}

/** A started Graph simulator with the bot's app registration, using the CA the process trusts. */
export async function startGraphSimulator(options: Partial<GraphSimulatorOptions> & { roles?: string[] } = {}): Promise<GraphSimulator> {
  const tls = await ensureSimulatorTls(simulatorTlsDirectory());
  const sim = new GraphSimulator({ tenantId: TENANT_ID, tls, ...options });
  sim.addApp({ clientId: CLIENT_ID, secret: CLIENT_SECRET, roles: options.roles ?? LEAST_PRIVILEGE });
  await sim.start();
  return sim;
}

export const PEOPLE = {
  requester: { slack: 'U0SRE0001', entra: '11111111-1111-4111-8111-111111111111', email: 'sam.sre@contoso.example' },
  approver1: { slack: 'U0MANAGER1', entra: '22222222-2222-4222-8222-222222222222', email: 'maria.manager@contoso.example' },
  approver2: { slack: 'U0MANAGER2', entra: '33333333-3333-4333-8333-333333333333', email: 'li.lead@contoso.example' },
  admin: { slack: 'U0ADMIN01', entra: '44444444-4444-4444-8444-444444444444', email: 'ada.admin@contoso.example' },
  outsider: { slack: 'U0OUTSIDE1', entra: '55555555-5555-4555-8555-555555555555', email: 'otto.outsider@contoso.example' },
} as const;

export class AdjustableClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

export interface World {
  slack: SlackSimulator;
  graph: GraphSimulator;
  bot: RunningBot;
  clock: AdjustableClock;
  databaseFile: string;
  /** The policy file the bot reads (tests rewrite it and reload). */
  policyFile: string;
  /** Moves the bot's, Graph's, Boundary's and PagerDuty's clocks forward and lets the bot notice. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  policy?: string;
  logLevel?: LogLevel;
  /** The bot's logger, for a test that reads what the bot writes; absent = silent unless JIT_TEST_LOG_LEVEL asks. */
  log?: Logger;
  slack?: SlackSimulator;
  /** A Boundary controller the bot ends sign-ins on (BOUNDARY_* set); absent = no Boundary follow-through. */
  boundary?: BoundarySimulator;
  /**
   * A ServiceNow instance the bot keeps change records in (SERVICENOW_* set), seeded with the template
   * CHANGE_TEMPLATE; absent = no change records.
   */
  servicenow?: ServiceNowSimulator;
  /** A PagerDuty the bot reads on-calls and incidents from (PAGERDUTY_* set); absent = no PagerDuty. */
  pagerDuty?: PagerDutySimulator;
  /** A PostgreSQL database for the bot (JIT_DATABASE_URL); absent = the SQLite file. */
  databaseUrl?: string;
  /** How often the bot checks the policy file for a change (the bot's default when absent). */
  policyCheckMs?: number;
}

export interface Simulators {
  slack: SlackSimulator;
  graph: GraphSimulator;
  /** The environment that points the bot at both simulators, as `npm start` would read it. */
  env: Record<string, string>;
  databaseFile: string;
}

/** Both simulators with the cast of people and groups, and the policy and database files to run the bot on. */
export async function startSimulators(options: SandboxOptions = {}): Promise<Simulators> {
  const slack = options.slack ?? new SlackSimulator({ scopes: manifestBotScopes() });
  slack.addChannel({ id: APPROVALS, name: 'jit-approvals', members: [PEOPLE.approver1.slack, PEOPLE.approver2.slack, PEOPLE.admin.slack] });
  await slack.start();

  const graph = await startGraphSimulator();
  graph.addGroup({ id: PIM_GROUP, displayName: 'Production - Boundary on Azure' });
  graph.addGroup({ id: MEMBER_GROUP, displayName: 'Production databases' });
  for (const person of Object.values(PEOPLE)) addPerson({ slack, graph }, person);

  const directory = mkdtempSync(join(tmpdir(), 'jit-world-'));
  writeFileSync(join(directory, 'policy.yml'), options.policy ?? DEFAULT_POLICY);
  const databaseFile = join(directory, 'data', 'jit.sqlite');
  const env = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.apiUrl,
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_CLIENT_SECRET: CLIENT_SECRET,
    AZURE_AUTHORITY_HOST: graph.url,
    AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
    GRAPH_BASE_URL: graph.url,
    JIT_POLICY_FILE: join(directory, 'policy.yml'),
    JIT_DATABASE: databaseFile,
    LOG_LEVEL: options.logLevel ?? 'silent',
    JIT_HTTP_PORT: '0',
    ...(options.databaseUrl && { JIT_DATABASE_URL: options.databaseUrl }),
    ...(options.boundary && {
      BOUNDARY_ADDR: options.boundary.url,
      BOUNDARY_AUTH_METHOD_ID: options.boundary.passwordAuthMethodId,
      BOUNDARY_LOGIN_NAME: options.boundary.botLoginName,
      BOUNDARY_PASSWORD: options.boundary.botPassword,
      BOUNDARY_OIDC_AUTH_METHOD_ID: options.boundary.oidcAuthMethodId,
    }),
    ...(options.servicenow && {
      SERVICENOW_INSTANCE_URL: options.servicenow.url,
      SERVICENOW_USERNAME: options.servicenow.username,
      SERVICENOW_PASSWORD: options.servicenow.password,
    }),
    ...(options.pagerDuty && { PAGERDUTY_TOKEN: options.pagerDuty.token, PAGERDUTY_API_URL: options.pagerDuty.url }),
  };
  if (options.servicenow && !options.servicenow.table.templates.has(CHANGE_TEMPLATE)) {
    options.servicenow.addTemplate({ sysId: CHANGE_TEMPLATE });
  }
  return { slack, graph, env, databaseFile };
}

export async function startWorld(options: SandboxOptions = {}): Promise<World> {
  const { slack, graph, env, databaseFile } = await startSimulators(options);
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const clock = new AdjustableClock();
  const bot = await startBot(loaded.config, {
    clock,
    log:
      options.log ??
      createLogger((process.env.JIT_TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent', undefined, secretValues(loaded.config)),
    slackRetries: 0,
    ...(options.policyCheckMs !== undefined && { policyCheckMs: options.policyCheckMs }),
  });
  await slack.waitForConnection();

  return {
    slack,
    graph,
    bot,
    clock,
    databaseFile,
    policyFile: loaded.config.policyFile,
    async advance(ms) {
      clock.offset += ms;
      graph.advance(ms);
      options.boundary?.advance(ms);
      options.pagerDuty?.advance(ms);
      bot.scheduler.wake();
      await bot.scheduler.idle();
    },
    async stop() {
      await bot.stop();
      await slack.waitFor(() => slack.openConnections === 0, 3000, 'the socket to close').catch(() => undefined);
      await slack.stop();
      await graph.stop();
    },
  };
}

/** Adds someone to both Slack and Entra, with the same email, as a directory sync would. */
export function addPerson(sims: Pick<Simulators, 'slack' | 'graph'>, person: { slack: string; entra: string; email: string }): void {
  sims.slack.addUser({ id: person.slack, name: person.email.split('@')[0] ?? person.slack, email: person.email });
  sims.graph.addUser({ id: person.entra, userPrincipalName: person.email });
}

/** The n-th extra person of a crowd, for tests that need many requesters. */
export function crowdMember(index: number): { slack: string; entra: string; email: string } {
  const digits = String(index).padStart(4, '0');
  return { slack: `U0CROWD${digits}`, entra: `99999999-9999-4999-8999-99999999${digits}`, email: `crowd${digits}@contoso.example` };
}

/** The bot's SQLite database, for tests and the demo that read the store directly. */
export function sqliteOf(bot: RunningBot): SqliteDatabase {
  if (!bot.storage.sqlite) throw new Error('the bot runs on PostgreSQL, not SQLite');
  return bot.storage.sqlite;
}
