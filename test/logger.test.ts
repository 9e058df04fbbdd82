import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toSlackLogger } from '../src/adapters/slack/bolt-app.js';
import { secretValues } from '../src/config.js';
import { createLogger } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('info', stream), lines };
}

describe('the logger', () => {
  it('redacts tokens and secrets wherever they sit in a logged object', () => {
    const { log, lines } = capture();
    log.info(
      {
        config: { slack: { botToken: 'xoxb-SECRET-1', appToken: 'xapp-SECRET-2' }, azure: { clientSecret: 'SECRET-3' } },
        request: { headers: { authorization: 'Bearer SECRET-4' } },
        token: 'SECRET-5',
        body: { access_token: 'SECRET-6', client_secret: 'SECRET-7' },
      },
      'starting',
    );
    const text = lines.join('');
    expect(text).not.toContain('SECRET');
    expect(text.match(/\[redacted\]/g)).toHaveLength(7);
  });
});

describe('secrets inside log text', () => {
  const CLIENT_SECRET = 'Qx8~s3cr3t.VALUE_from-entra';
  const BOUNDARY_PASSWORD = 'b0undary-"pass\\word';

  function captureWithSecrets() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { log: createLogger('debug', stream, [CLIENT_SECRET, BOUNDARY_PASSWORD]), lines };
  }

  it('redacts Slack tokens and bearer credentials inside a Bolt log line, and keeps the line valid JSON', () => {
    const { log, lines } = captureWithSecrets();
    const bolt = toSlackLogger(log.child({ module: 'slack' }));
    bolt.debug('http request headers:', { Authorization: 'Bearer xoxb-1234-5678-SECRETbot' });
    bolt.info('Going to establish a new connection to Slack ...', 'app token xapp-1-A0-99-SECRETapp');
    bolt.warn('http request url: https://slack.test/api/users.info?token=xoxp-77-SECRETuser&user=U1');
    bolt.error('Authorization: Bearer eyJ0eXAiOiJKV1QiSECRETjwt.payload.sig');
    const text = lines.join('');
    expect(text).not.toMatch(/SECRET/);
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual([
      'http request headers: {"Authorization":"Bearer [redacted]"}',
      'Going to establish a new connection to Slack ... app token [redacted]',
      'http request url: https://slack.test/api/users.info?token=[redacted]&user=U1',
      'Authorization: Bearer [redacted]',
    ]);
  });

  it('redacts the configured client secret and Boundary password wherever they appear, errors included', () => {
    const { log, lines } = captureWithSecrets();
    log.error({ err: new Error(`token request failed: client_id=abc&client_secret=${CLIENT_SECRET}`) }, 'graph');
    log.warn(`authenticate failed with {"login_name":"jit-bot","password":${JSON.stringify(BOUNDARY_PASSWORD)}}`);
    log.info(`retrying with ${CLIENT_SECRET} after a password: hunter2-again`);
    const text = lines.join('');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('b0undary');
    expect(text).not.toMatch(/pass\\+word/);
    expect(text).not.toContain('hunter2');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines[2] ?? '{}').msg).toBe('retrying with [redacted] after a password: [redacted]');
  });

  it('leaves ordinary text alone', () => {
    const { log, lines } = captureWithSecrets();
    log.info({ tokensRevoked: 2 }, 'invalid token: expired; 2 tokens revoked for U0SRE0001');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ tokensRevoked: 2, msg: 'invalid token: expired; 2 tokens revoked for U0SRE0001' });
  });
});

describe('Slack response URLs in log text', () => {
  // A response_url lets whoever holds it post as the app into the conversation for 30 minutes.
  const HOOK = 'https://hooks.slack.com/commands/T0TEAM0001/7123456789012/Zq8RwRESPONSEsecretX0';

  function captureDebug() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { log: createLogger('debug', stream), lines };
  }

  it('scrubs the response_url from the debug line in which the Socket Mode client logs an envelope', () => {
    const { log, lines } = captureDebug();
    const socketMode = toSlackLogger(log.child({ module: 'slack' }));
    // Slack writes slashes in its JSON as \/; the Socket Mode client logs the frame as it came.
    const frame = JSON.stringify({
      envelope_id: 'a1b2c3',
      type: 'slash_commands',
      payload: { command: '/jit', user_id: 'U0SRE0001', response_url: HOOK, trigger_id: '123.456.abc' },
    }).replaceAll('/', '\\/');
    socketMode.debug(`Received a message on the WebSocket: ${frame}`);
    socketMode.debug(
      `Received a message on the WebSocket: ${JSON.stringify({ payload: { response_url: 'http://127.0.0.1:4000/respond/42' } })}`,
    );

    const text = lines.join('');
    expect(text).not.toContain('RESPONSEsecret');
    expect(text).not.toContain('respond/42');
    const messages = lines.map((line) => JSON.parse(line).msg as string);
    expect(messages[0]).toContain('"response_url":"[redacted]","trigger_id":"123.456.abc"');
    expect(JSON.parse((messages[0] ?? '').replace('Received a message on the WebSocket: ', ''))).toMatchObject({
      envelope_id: 'a1b2c3',
      payload: { response_url: '[redacted]', trigger_id: '123.456.abc' },
    });
    expect(messages[1]).toBe('Received a message on the WebSocket: {"payload":{"response_url":"[redacted]"}}');
  });

  it('scrubs a Slack webhook URL that no response_url key announces, at any level', () => {
    const { log, lines } = captureDebug();
    log.warn({ err: new Error(`POST ${HOOK} failed: 404`) }, `replying through ${HOOK} failed`);
    const text = lines.join('');
    expect(text).not.toContain('RESPONSEsecret');
    expect(JSON.parse(lines[0] ?? '{}').msg).toBe('replying through https://hooks.slack.com/[redacted] failed');
  });
});

describe('the database password in log text', () => {
  const PASSWORD = 'pg-Pa55word/with;chars';
  const ENCODED = encodeURIComponent(PASSWORD);
  const URL_WITH_PASSWORD = `postgres://jit:${ENCODED}@db.internal:5432/jit?sslmode=verify-full`;
  const QUERY_PASSWORD = 'Qu3ry-pa55word-9';
  const URL_WITH_QUERY_PASSWORD = `postgres://jit@db.internal:5432/jit?password=${QUERY_PASSWORD}&sslmode=verify-full`;

  function captureFor(databaseUrl: string) {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const secrets = secretValues({
      slack: { botToken: 'xoxb-1-2-bot', appToken: 'xapp-1-A-1-app', apiUrl: 'https://slack.com/api/' },
      azure: {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '0c3e3b31-5b6a-4e0e-9c5a-0d7f2a1b9e10',
        clientSecret: 'client~secret.value',
        authorityHost: 'https://login.microsoftonline.com/',
        disableInstanceDiscovery: false,
      },
      database: { kind: 'postgres', url: databaseUrl },
    });
    return { log: createLogger('debug', stream, secrets), lines };
  }

  it('redacts the password of JIT_DATABASE_URL in the URL, alone, decoded, and inside an error', () => {
    const { log, lines } = captureFor(URL_WITH_PASSWORD);
    log.info({ databaseUrl: URL_WITH_PASSWORD }, `opening ${URL_WITH_PASSWORD}`);
    log.error({ err: new Error(`connection to ${URL_WITH_PASSWORD} failed`) }, 'database unreachable');
    log.debug(`authenticating with ${PASSWORD}, that is ${ENCODED}`);
    const text = lines.join('');
    expect(text).not.toContain('Pa55word');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines[0] ?? '{}').msg).toBe('opening postgres://jit:[redacted]@db.internal:5432/jit?sslmode=verify-full');
    expect(JSON.parse(lines[2] ?? '{}').msg).toBe('authenticating with [redacted], that is [redacted]');
  });

  it("redacts a password given as the URL's password parameter, and one in any URL the configuration does not know", () => {
    const { log, lines } = captureFor(URL_WITH_QUERY_PASSWORD);
    log.info(`opening ${URL_WITH_QUERY_PASSWORD}`);
    log.info(`password was ${QUERY_PASSWORD}`);
    log.info('another replica uses postgres://other:s3cret-elsewhere@db2.internal/jit');
    const text = lines.join('');
    expect(text).not.toContain('Qu3ry');
    expect(text).not.toContain('s3cret-elsewhere');
    expect(JSON.parse(lines[2] ?? '{}').msg).toBe('another replica uses postgres://other:[redacted]@db2.internal/jit');
  });
});
