// The only reader of process.env: the environment (the README's configuration table) and the policy file,
// validated once at start into a frozen, typed object. Every problem is reported at once, each with its fix.
// Secret values never appear in a message.

import { resolve } from 'node:path';
import { type DatabaseConfig, databaseSecrets, readDatabase } from './config-database.js';
import { DEFAULTS } from './config-defaults.js';
import {
  type BoundaryConfig,
  checkServiceUrl,
  type Env,
  type PagerDutyConfig,
  readBoundary,
  readPagerDuty,
  readServiceNow,
  type ServiceNowConfig,
} from './config-services.js';
import type { Policy } from './domain/policy.js';
import { formatPolicyProblem, loadPolicyFile, type PolicyEnvironment } from './policy-file.js';

export type { DatabaseConfig } from './config-database.js';
export { databaseFileFrom } from './config-database.js';
export { DEFAULTS } from './config-defaults.js';
export type { BoundaryConfig, PagerDutyConfig, ServiceNowConfig } from './config-services.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  slack: { botToken: string; appToken: string; apiUrl: string };
  azure: { tenantId: string; clientId: string; clientSecret: string; authorityHost: string; disableInstanceDiscovery: boolean };
  graph: { baseUrl: string };
  policyFile: string;
  policy: Policy;
  /** sha256 of the policy file's bytes, hex: which policy this replica runs. */
  policySha256: string;
  /** SQLite for one process (the default), or a PostgreSQL that several replicas share. */
  database: DatabaseConfig;
  logLevel: LogLevel;
  /** Port of /healthz and /metrics; 0 picks a free one. */
  httpPort: number;
  /** Where /healthz and /metrics listen. */
  httpHost: string;
  /** Ending Boundary sign-ins when access ends; absent when BOUNDARY_ADDR is not set. */
  boundary?: BoundaryConfig;
  /** ServiceNow change records for targets with `change_record`; absent when SERVICENOW_INSTANCE_URL is not set. */
  servicenow?: ServiceNowConfig;
  /** On-call approval and incidents; absent when PAGERDUTY_TOKEN is not set. */
  pagerDuty?: PagerDutyConfig;
}

export type ConfigLoad = { ok: true; config: Config } | { ok: false; problems: string[] };

// The variable names the bot reads; anything holding a secret is listed so that it is never echoed.
// JIT_DATABASE_URL may carry the database password.
export const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'AZURE_CLIENT_SECRET',
  'BOUNDARY_PASSWORD',
  'SERVICENOW_PASSWORD',
  'JIT_DATABASE_URL',
  'PAGERDUTY_TOKEN',
] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_DOMAIN = /^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/i;

function checkToken(name: string, value: string | undefined, prefix: string, where: string, problems: string[]): string {
  if (!value) {
    problems.push(`${name} is required: ${where}`);
    return '';
  }
  if (!value.startsWith(prefix)) {
    problems.push(`${name} must start with ${prefix} (${where}); the value given does not`);
  }
  return value;
}

/**
 * Every configured secret value, for the logger to replace wherever it turns up: the logger is handed the
 * values, never the configuration.
 */
export function secretValues(config: Pick<Config, 'slack' | 'azure' | 'boundary' | 'database' | 'servicenow' | 'pagerDuty'>): string[] {
  return [
    config.slack.botToken,
    config.slack.appToken,
    config.azure.clientSecret,
    ...(config.boundary ? [config.boundary.password] : []),
    ...(config.servicenow ? [config.servicenow.password] : []),
    ...(config.pagerDuty ? [config.pagerDuty.token] : []),
    ...databaseSecrets(config.database),
  ];
}

export function loadConfig(env: Env): ConfigLoad {
  const problems: string[] = [];
  const read = (name: keyof typeof DEFAULTS): string => env[name]?.trim() || DEFAULTS[name];

  const botToken = checkToken(
    'SLACK_BOT_TOKEN',
    env.SLACK_BOT_TOKEN,
    'xoxb-',
    'the Bot User OAuth Token from the Slack app settings',
    problems,
  );
  const appToken = checkToken(
    'SLACK_APP_TOKEN',
    env.SLACK_APP_TOKEN,
    'xapp-',
    'an app-level token with connections:write, for Socket Mode',
    problems,
  );
  let slackApiUrl = checkServiceUrl('SLACK_API_URL', read('SLACK_API_URL'), problems, { httpsOnly: false });
  if (!slackApiUrl.endsWith('/')) slackApiUrl += '/';

  const tenantId = env.AZURE_TENANT_ID?.trim() ?? '';
  if (!tenantId) problems.push('AZURE_TENANT_ID is required: the directory (tenant) id of the Entra app registration');
  else if (!GUID.test(tenantId) && !TENANT_DOMAIN.test(tenantId)) {
    problems.push(`AZURE_TENANT_ID must be a tenant GUID or a verified domain such as contoso.onmicrosoft.com; got "${tenantId}"`);
  }
  const clientId = env.AZURE_CLIENT_ID?.trim() ?? '';
  if (!clientId) problems.push('AZURE_CLIENT_ID is required: the application (client) id of the Entra app registration');
  else if (!GUID.test(clientId)) problems.push(`AZURE_CLIENT_ID must be a GUID (the application id); got "${clientId}"`);
  const clientSecret = env.AZURE_CLIENT_SECRET ?? '';
  if (!clientSecret) problems.push('AZURE_CLIENT_SECRET is required: a client secret of the Entra app registration');

  const authorityHost = checkServiceUrl('AZURE_AUTHORITY_HOST', read('AZURE_AUTHORITY_HOST'), problems, { httpsOnly: true });
  const discovery = (env.AZURE_DISABLE_INSTANCE_DISCOVERY ?? 'false').trim().toLowerCase();
  if (discovery !== 'true' && discovery !== 'false') {
    problems.push(`AZURE_DISABLE_INSTANCE_DISCOVERY must be true or false; got "${env.AZURE_DISABLE_INSTANCE_DISCOVERY}"`);
  }
  const graphBaseUrl = checkServiceUrl('GRAPH_BASE_URL', read('GRAPH_BASE_URL'), problems, { httpsOnly: true }).replace(/\/+$/, '');

  const logLevel = read('LOG_LEVEL').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${env.LOG_LEVEL}"`);
  }
  const database = readDatabase(env, problems);
  const httpPort = Number(read('JIT_HTTP_PORT'));
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) {
    problems.push(`JIT_HTTP_PORT must be a port number (0–65535) for /healthz and /metrics; got "${env.JIT_HTTP_PORT}"`);
  }

  const httpHost = read('JIT_HTTP_HOST');
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(httpHost)) {
    problems.push(`JIT_HTTP_HOST must be an address to listen on, such as 127.0.0.1 or 0.0.0.0; got "${env.JIT_HTTP_HOST}"`);
  }

  const boundary = readBoundary(env, problems);
  const servicenow = readServiceNow(env, problems);
  // Only the URL decides whether ServiceNow is on: its other missing settings are reported above, not as policy problems.
  const serviceNowWanted = Boolean(env.SERVICENOW_INSTANCE_URL?.trim());

  const policyFile = resolve(read('JIT_POLICY_FILE'));
  const pagerDuty = readPagerDuty(env, problems);
  const policy = loadPolicyFile(policyFile, { serviceNow: serviceNowWanted, pagerDuty: pagerDuty !== undefined });
  if (!policy.ok) problems.push(...policy.problems.map((problem) => `JIT_POLICY_FILE: ${formatPolicyProblem(problem)}`));

  if (problems.length > 0 || !policy.ok) return { ok: false, problems };
  return {
    ok: true,
    config: Object.freeze({
      slack: Object.freeze({ botToken, appToken, apiUrl: slackApiUrl }),
      azure: Object.freeze({ tenantId, clientId, clientSecret, authorityHost, disableInstanceDiscovery: discovery === 'true' }),
      graph: Object.freeze({ baseUrl: graphBaseUrl }),
      policyFile,
      policy: policy.policy,
      policySha256: policy.sha256,
      database: Object.freeze(database),
      logLevel: logLevel as LogLevel,
      httpPort,
      httpHost,
      ...(boundary && { boundary }),
      ...(servicenow && { servicenow }),
      ...(pagerDuty && { pagerDuty }),
    }),
  };
}

/** What the policy's optional blocks may rely on, as configured: at start and at each reload. */
export function policyEnvironment(config: Pick<Config, 'servicenow' | 'pagerDuty'>): PolicyEnvironment {
  return { serviceNow: config.servicenow !== undefined, pagerDuty: config.pagerDuty !== undefined };
}
