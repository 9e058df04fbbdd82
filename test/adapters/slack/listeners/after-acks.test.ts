import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterAcks } from '../../../../src/adapters/slack/listeners/after-acks.js';

describe('afterAcks', () => {
  it('lets the follow-ups through in order, one per turn of the event loop, so what the socket brings meanwhile is read first', async () => {
    const events: string[] = [];
    const server = createServer();
    const accepted = once(server, 'connection');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const client: Socket = connect(address.port, '127.0.0.1');
    const [socket] = (await accepted) as [Socket];
    socket.on('data', (data) => events.push(`read ${String(data)}`));
    try {
      const followUps = ['first', 'second', 'third'].map((name) =>
        afterAcks().then(() => {
          events.push(`follow-up ${name}`);
          // Another envelope arrives while the first follow-up runs: it is read before the next one goes.
          if (name === 'first') client.write('envelope');
        }),
      );
      await Promise.all(followUps);
      expect(events).toEqual(['follow-up first', 'read envelope', 'follow-up second', 'follow-up third']);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
