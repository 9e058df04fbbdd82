import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toSlackLogger } from '../src/adapters/slack/bolt-app.js';
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
