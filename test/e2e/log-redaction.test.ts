// What the real bot writes to its log at debug level, where the Socket Mode client logs every envelope as it
// came: a response_url, which lets whoever holds it post as the app for 30 minutes, never reaches it in clear.

import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { waitFor } from '../support/wait-for.js';
import { PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

describe('the log at debug level', () => {
  it('never holds the response_url of a slash command in clear', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    world = await startWorld({ log: createLogger('debug', stream) });
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();

    const envelope = await waitFor(
      () => lines.find((line) => line.includes('Received a message on the WebSocket') && line.includes('slash_commands')),
      5000,
      'the Socket Mode client to log the envelope',
    );
    expect(JSON.parse(envelope).msg).toContain('"response_url":"[redacted]"');
    // The simulator's response URLs end in /respond/<id>.
    expect(lines.filter((line) => line.includes('/respond/'))).toEqual([]);
  });
});
