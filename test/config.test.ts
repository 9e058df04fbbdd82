import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

let dir: string;
let env: Record<string, string>;

const BOT_TOKEN = 'xoxb-1111-2222-SECRETBOT';
const APP_TOKEN = 'xapp-1-A111-SECRETAPP';
const CLIENT_SECRET = 'sup3r~s3cret.value';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jit-config-'));
  writeFileSync(
    join(dir, 'policy.yml'),
    `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 30m, max: 2h }
    approvers: { channel: C0APPROVALS, users: [U0MANAGER1] }
`,
  );
  env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    AZURE_CLIENT_ID: '0c3e3b31-5b6a-4e0e-9c5a-0d7f2a1b9e10',
    AZURE_CLIENT_SECRET: CLIENT_SECRET,
    JIT_POLICY_FILE: join(dir, 'policy.yml'),
    JIT_DATABASE: join(dir, 'data', 'jit.sqlite'),
  };
});

describe('loadConfig', () => {
  it('reads a complete environment with the documented defaults', () => {
    const result = loadConfig(env);
    expect(result).toMatchObject({
      ok: true,
      config: {
        slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: 'https://slack.com/api/' },
        azure: { authorityHost: 'https://login.microsoftonline.com/', disableInstanceDiscovery: false, clientSecret: CLIENT_SECRET },
        graph: { baseUrl: 'https://graph.microsoft.com' },
        databaseFile: join(dir, 'data', 'jit.sqlite'),
        logLevel: 'info',
        httpPort: 8080,
        policy: { targets: [{ id: 'db' }] },
      },
    });
    expect(result.ok && Object.isFrozen(result.config) && Object.isFrozen(result.config.slack)).toBe(true);
  });

  it('accepts simulators on loopback: plain http for Slack, https for the authority and Graph', () => {
    const result = loadConfig({
      ...env,
      SLACK_API_URL: 'http://127.0.0.1:3999/api',
      AZURE_AUTHORITY_HOST: 'https://localhost:8443',
      AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
      GRAPH_BASE_URL: 'https://localhost:8443/',
      LOG_LEVEL: 'debug',
    });
    expect(result).toMatchObject({
      ok: true,
      config: {
        slack: { apiUrl: 'http://127.0.0.1:3999/api/' },
        azure: { authorityHost: 'https://localhost:8443/', disableInstanceDiscovery: true },
        graph: { baseUrl: 'https://localhost:8443' },
        logLevel: 'debug',
      },
    });
  });

  it('reports every problem at once, each with its fix', () => {
    const result = loadConfig({
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      SLACK_API_URL: 'http://slack.example.com/api/',
      AZURE_TENANT_ID: 'not a tenant',
      AZURE_CLIENT_ID: 'my-app',
      AZURE_AUTHORITY_HOST: 'http://login.example.com',
      AZURE_DISABLE_INSTANCE_DISCOVERY: 'yes',
      GRAPH_BASE_URL: 'graph',
      LOG_LEVEL: 'loud',
      JIT_HTTP_PORT: '99999',
      JIT_POLICY_FILE: join(dir, 'missing.yml'),
      JIT_DATABASE: join(dir, 'data', 'jit.sqlite'),
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        'SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token from the Slack app settings); the value given does not',
        'SLACK_APP_TOKEN is required: an app-level token with connections:write, for Socket Mode',
        'SLACK_API_URL must use https (plain http is accepted on localhost only); got "http://slack.example.com"',
        'AZURE_TENANT_ID must be a tenant GUID or a verified domain such as contoso.onmicrosoft.com; got "not a tenant"',
        'AZURE_CLIENT_ID must be a GUID (the application id); got "my-app"',
        'AZURE_CLIENT_SECRET is required: a client secret of the Entra app registration',
        'AZURE_AUTHORITY_HOST must use https; got "http://login.example.com"',
        'AZURE_DISABLE_INSTANCE_DISCOVERY must be true or false; got "yes"',
        'GRAPH_BASE_URL is not a URL ("graph"); give an absolute URL such as https://graph.microsoft.com',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud"',
        'JIT_HTTP_PORT must be a port number (0–65535) for /healthz and /metrics; got "99999"',
        `JIT_POLICY_FILE: ${join(dir, 'missing.yml')}:1:1: file not found; set JIT_POLICY_FILE to the policy file`,
      ],
    });
  });

  it('never repeats a secret in its messages', () => {
    const result = loadConfig({
      ...env,
      SLACK_BOT_TOKEN: 'xoxp-SECRET-user-token',
      SLACK_APP_TOKEN: 'xoxb-SECRET-wrong-kind',
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      AZURE_CLIENT_ID: 'x',
    });
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain(CLIENT_SECRET);
  });

  it('refuses a database location it cannot write to', () => {
    const notADirectory = join(dir, 'plain-file');
    writeFileSync(notADirectory, '');
    const result = loadConfig({ ...env, JIT_DATABASE: join(notADirectory, 'jit.sqlite') });
    expect(result).toEqual({
      ok: false,
      problems: [
        `JIT_DATABASE: the directory ${notADirectory} is not writable; point JIT_DATABASE at a writable location (a volume in Docker)`,
      ],
    });
  });

  it('refuses a database path that is a directory', () => {
    const result = loadConfig({ ...env, JIT_DATABASE: dir });
    expect(result).toEqual({
      ok: false,
      problems: [`JIT_DATABASE is a directory (${dir}); give the path of the SQLite file, e.g. ./data/jit.sqlite`],
    });
  });

  it('stops on a policy mistake with the file, line and field', () => {
    writeFileSync(join(dir, 'policy.yml'), 'version: 1\ntargets: []\n');
    expect(loadConfig(env)).toEqual({
      ok: false,
      problems: [`JIT_POLICY_FILE: ${join(dir, 'policy.yml')}:2:10: targets: must list at least one target`],
    });
  });
});
