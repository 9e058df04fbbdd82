import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
