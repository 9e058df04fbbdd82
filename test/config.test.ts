import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../src/config.js';

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
        database: { kind: 'sqlite', file: join(dir, 'data', 'jit.sqlite') },
        logLevel: 'info',
        httpPort: 8080,
        httpHost: '127.0.0.1',
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
      JIT_HTTP_HOST: 'every interface',
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
        'JIT_HTTP_HOST must be an address to listen on, such as 127.0.0.1 or 0.0.0.0; got "every interface"',
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

  it('selects PostgreSQL with JIT_DATABASE_URL, and SQLite without it', () => {
    const url = 'postgres://jit:s3cret-pw@db.internal:5432/jit?sslmode=verify-full';
    expect(loadConfig({ ...env, JIT_DATABASE_URL: url })).toMatchObject({ ok: true, config: { database: { kind: 'postgres', url } } });
    expect(loadConfig({ ...env, JIT_DATABASE_URL: '  ' })).toMatchObject({ ok: true, config: { database: { kind: 'sqlite' } } });
  });

  it('refuses a JIT_DATABASE_URL that is not a PostgreSQL URL naming a database, without repeating it', () => {
    const problems = (value: string) => {
      const result = loadConfig({ ...env, JIT_DATABASE_URL: value });
      return result.ok ? [] : result.problems;
    };
    expect(problems('mysql://jit:s3cret-pw@db:3306/jit')).toEqual([
      'JIT_DATABASE_URL must start with postgres:// (PostgreSQL); it starts with mysql://',
    ]);
    expect(problems('postgres://jit:s3cret-pw@db:5432')).toEqual([
      'JIT_DATABASE_URL names no database; add it after the host, as in postgres://…@host:5432/jit',
    ]);
    expect(problems('s3cret-pw at db.internal')).toEqual([
      'JIT_DATABASE_URL is not a URL; write it as postgres://user:password@host:5432/database?sslmode=verify-full',
    ]);
  });

  it('names the policy by the sha256 of the file, so that replicas running different policies can be told apart', () => {
    const sha256 = createHash('sha256')
      .update(readFileSync(join(dir, 'policy.yml')))
      .digest('hex');
    expect(loadConfig(env)).toMatchObject({ ok: true, config: { policySha256: sha256 } });
  });

  it('gives the logger every secret value, the database password as written in the URL and decoded among them', () => {
    const result = loadConfig({ ...env, JIT_DATABASE_URL: 'postgres://jit:p%40ss-w0rd!@db.internal:5432/jit?sslmode=verify-full' });
    expect(result.ok && secretValues(result.config)).toEqual([BOT_TOKEN, APP_TOKEN, CLIENT_SECRET, 'p%40ss-w0rd!', 'p@ss-w0rd!']);
    const inQuery = loadConfig({ ...env, JIT_DATABASE_URL: 'postgres://jit@db.internal:5432/jit?password=qu3ry%2Bpw&sslmode=require' });
    expect(inQuery.ok && secretValues(inQuery.config)).toEqual([BOT_TOKEN, APP_TOKEN, CLIENT_SECRET, 'qu3ry%2Bpw', 'qu3ry+pw']);
    const onSqlite = loadConfig(env);
    expect(onSqlite.ok && secretValues(onSqlite.config)).toEqual([BOT_TOKEN, APP_TOKEN, CLIENT_SECRET]);
  });

  it('stops on a policy mistake with the file, line and field', () => {
    writeFileSync(join(dir, 'policy.yml'), 'version: 1\ntargets: []\n');
    expect(loadConfig(env)).toEqual({
      ok: false,
      problems: [`JIT_POLICY_FILE: ${join(dir, 'policy.yml')}:2:10: targets: must list at least one target`],
    });
  });
  describe('Boundary', () => {
    const BOUNDARY_PASSWORD = 'b0undary~s3cret';
    const boundaryEnv = {
      BOUNDARY_ADDR: 'https://boundary.example.com:9200/',
      BOUNDARY_AUTH_METHOD_ID: 'ampw_1234567890',
      BOUNDARY_LOGIN_NAME: 'jit-bot',
      BOUNDARY_PASSWORD,
      BOUNDARY_OIDC_AUTH_METHOD_ID: 'amoidc_1234567890',
    };

    it('leaves Boundary out when BOUNDARY_ADDR is not set', () => {
      const result = loadConfig(env);
      expect(result.ok && result.config.boundary).toBeUndefined();
    });

    it('reads the Boundary controller, the bot account and the OIDC auth method once BOUNDARY_ADDR is set', () => {
      const result = loadConfig({ ...env, ...boundaryEnv });
      expect(result).toMatchObject({
        ok: true,
        config: {
          boundary: {
            addr: 'https://boundary.example.com:9200',
            authMethodId: 'ampw_1234567890',
            loginName: 'jit-bot',
            password: BOUNDARY_PASSWORD,
            oidcAuthMethodId: 'amoidc_1234567890',
          },
        },
      });
      expect(result.ok && Object.isFrozen(result.config.boundary)).toBe(true);
    });

    it('accepts an LDAP auth method for the bot and plain http on loopback only', () => {
      const result = loadConfig({
        ...env,
        ...boundaryEnv,
        BOUNDARY_ADDR: 'http://127.0.0.1:9200',
        BOUNDARY_AUTH_METHOD_ID: 'amldap_1234567890',
      });
      expect(result).toMatchObject({
        ok: true,
        config: { boundary: { addr: 'http://127.0.0.1:9200', authMethodId: 'amldap_1234567890' } },
      });
    });

    it('reports every missing Boundary variable at once when only BOUNDARY_ADDR is set', () => {
      expect(loadConfig({ ...env, BOUNDARY_ADDR: 'https://boundary.example.com' })).toEqual({
        ok: false,
        problems: [
          "BOUNDARY_AUTH_METHOD_ID is required once BOUNDARY_ADDR is set: the password (ampw_…) or LDAP (amldap_…) auth method of the bot's account",
          "BOUNDARY_LOGIN_NAME is required once BOUNDARY_ADDR is set: the login name of the bot's Boundary account",
          "BOUNDARY_PASSWORD is required once BOUNDARY_ADDR is set: the password of the bot's Boundary account",
          'BOUNDARY_OIDC_AUTH_METHOD_ID is required once BOUNDARY_ADDR is set: the OIDC auth method (amoidc_…) people sign in with',
        ],
      });
    });

    it('refuses plain http off loopback and auth method ids of the wrong kind, with the fix', () => {
      expect(
        loadConfig({
          ...env,
          ...boundaryEnv,
          BOUNDARY_ADDR: 'http://boundary.example.com:9200?x=1',
          BOUNDARY_AUTH_METHOD_ID: 'amoidc_1234567890',
          BOUNDARY_OIDC_AUTH_METHOD_ID: 'ampw_1234567890',
        }),
      ).toEqual({
        ok: false,
        problems: [
          'BOUNDARY_ADDR must use https (plain http is accepted on localhost only); got "http://boundary.example.com:9200"',
          'BOUNDARY_ADDR must not carry credentials, a query or a fragment; give just the controller address',
          'BOUNDARY_AUTH_METHOD_ID must be a password (ampw_…) or LDAP (amldap_…) auth method id; got "amoidc_1234567890"',
          'BOUNDARY_OIDC_AUTH_METHOD_ID must be an OIDC auth method id (amoidc_…); got "ampw_1234567890"',
        ],
      });
    });

    it('never repeats the Boundary password in its messages', () => {
      const result = loadConfig({ ...env, ...boundaryEnv, BOUNDARY_ADDR: 'boundary', BOUNDARY_AUTH_METHOD_ID: 'x' });
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain(BOUNDARY_PASSWORD);
    });
  });

  describe('ServiceNow', () => {
    const SERVICENOW_PASSWORD = 'sn0w~s3cret';
    const serviceNowEnv = {
      SERVICENOW_INSTANCE_URL: 'https://example.service-now.com/',
      SERVICENOW_USERNAME: 'svc-jit-bot',
      SERVICENOW_PASSWORD,
    };
    const withChangeRecord = () =>
      writeFileSync(
        join(dir, 'policy.yml'),
        `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 30m, max: 2h }
    approvers: { channel: C0APPROVALS, users: [U0MANAGER1] }
    change_record: { template_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9, required: true }
`,
      );

    it('leaves ServiceNow out when SERVICENOW_INSTANCE_URL is not set', () => {
      const result = loadConfig(env);
      expect(result.ok && result.config.servicenow).toBeUndefined();
    });

    it('reads the instance and the integration user, and hands the password to the logger as a secret', () => {
      const result = loadConfig({ ...env, ...serviceNowEnv });
      expect(result.ok && result.config.servicenow).toEqual({
        instanceUrl: 'https://example.service-now.com',
        username: 'svc-jit-bot',
        password: SERVICENOW_PASSWORD,
      });
      expect(result.ok && secretValues(result.config)).toContain(SERVICENOW_PASSWORD);
    });

    it('reports every ServiceNow problem at once, with the fix, and never repeats the password', () => {
      const result = loadConfig({ ...env, SERVICENOW_INSTANCE_URL: 'http://example.service-now.com?x=1', SERVICENOW_PASSWORD });
      expect(result).toEqual({
        ok: false,
        problems: [
          'SERVICENOW_INSTANCE_URL must use https (plain http is accepted on localhost only); got "http://example.service-now.com"',
          'SERVICENOW_INSTANCE_URL must not carry credentials, a query or a fragment; give just the instance address',
          'SERVICENOW_USERNAME is required once SERVICENOW_INSTANCE_URL is set: the integration user (with the itil role) the bot opens changes as',
        ],
      });
      expect(JSON.stringify(result)).not.toContain(SERVICENOW_PASSWORD);
    });

    it('accepts plain http on loopback, for the simulator', () => {
      const result = loadConfig({ ...env, ...serviceNowEnv, SERVICENOW_INSTANCE_URL: 'http://127.0.0.1:8443' });
      expect(result.ok && result.config.servicenow?.instanceUrl).toBe('http://127.0.0.1:8443');
    });

    it('refuses to start with a target that keeps change records while ServiceNow is not configured, naming the line', () => {
      withChangeRecord();
      expect(loadConfig(env)).toEqual({
        ok: false,
        problems: [
          `JIT_POLICY_FILE: ${join(dir, 'policy.yml')}:8:20: targets[0].change_record: needs ServiceNow: set SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or remove change_record`,
        ],
      });
      expect(loadConfig({ ...env, ...serviceNowEnv })).toMatchObject({
        ok: true,
        config: { policy: { targets: [{ changeRecord: { templateId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', required: true } }] } },
      });
    });
  });

  describe('PagerDuty', () => {
    const PAGERDUTY_TOKEN = 'y_NbAkKc66ryYTWUXYEu';
    const usingPagerDuty = `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 30m, max: 2h }
    approvers: { channel: C0APPROVALS, users: [U0MANAGER1] }
    auto_approve: { on_call: { schedule_ids: [PSCHED01], max_level: 1 }, max: 1h }
    incident: required
`;

    it('leaves PagerDuty out when PAGERDUTY_TOKEN is not set', () => {
      const result = loadConfig(env);
      expect(result.ok && result.config.pagerDuty).toBeUndefined();
    });

    it('reads the key with the public API by default, and keeps the key among the values the logger hides', () => {
      const result = loadConfig({ ...env, PAGERDUTY_TOKEN });
      expect(result).toMatchObject({ ok: true, config: { pagerDuty: { apiUrl: 'https://api.pagerduty.com', token: PAGERDUTY_TOKEN } } });
      expect(result.ok && secretValues(result.config)).toContain(PAGERDUTY_TOKEN);
      expect(result.ok && Object.isFrozen(result.config.pagerDuty)).toBe(true);
    });

    it('accepts plain http for a simulator on loopback, and https elsewhere only', () => {
      expect(loadConfig({ ...env, PAGERDUTY_TOKEN, PAGERDUTY_API_URL: 'http://127.0.0.1:4010/' })).toMatchObject({
        ok: true,
        config: { pagerDuty: { apiUrl: 'http://127.0.0.1:4010' } },
      });
      expect(loadConfig({ ...env, PAGERDUTY_TOKEN, PAGERDUTY_API_URL: 'http://pagerduty.example.com' })).toEqual({
        ok: false,
        problems: ['PAGERDUTY_API_URL must use https (plain http is accepted on localhost only); got "http://pagerduty.example.com"'],
      });
    });

    it('reports an API URL without a key, and a key pasted with its header prefix, without repeating the key', () => {
      expect(loadConfig({ ...env, PAGERDUTY_API_URL: 'https://api.pagerduty.com' })).toEqual({
        ok: false,
        problems: ['PAGERDUTY_API_URL is set but PAGERDUTY_TOKEN is not: give a read-only REST API key, or unset both'],
      });
      const prefixed = loadConfig({ ...env, PAGERDUTY_TOKEN: `Token token=${PAGERDUTY_TOKEN}` });
      expect(prefixed).toEqual({
        ok: false,
        problems: ['PAGERDUTY_TOKEN must be the API key alone, without spaces or a "Token token=" prefix'],
      });
      expect(JSON.stringify(prefixed)).not.toContain(PAGERDUTY_TOKEN);
    });

    it('refuses to start on a policy that needs PagerDuty when it is not configured, naming each block with its line', () => {
      writeFileSync(join(dir, 'policy.yml'), usingPagerDuty);
      const file = join(dir, 'policy.yml');
      expect(loadConfig(env)).toEqual({
        ok: false,
        problems: [
          `JIT_POLICY_FILE: ${file}:8:5: targets[0].auto_approve: needs PagerDuty, which is not configured: set PAGERDUTY_TOKEN to a read-only REST API key, or remove this block`,
          `JIT_POLICY_FILE: ${file}:9:5: targets[0].incident: needs PagerDuty, which is not configured: set PAGERDUTY_TOKEN to a read-only REST API key, or remove this block`,
        ],
      });
      expect(loadConfig({ ...env, PAGERDUTY_TOKEN })).toMatchObject({
        ok: true,
        config: {
          policy: {
            targets: [
              {
                autoApprove: { onCall: { scheduleIds: ['PSCHED01'], escalationPolicyIds: [], maxLevel: 1 }, maxMinutes: 60 },
                incident: 'required',
              },
            ],
          },
        },
      });
    });
  });
});
