import type { SocketModeClient } from '@slack/socket-mode';
import type { Counter } from '../ops/metrics.js';

/**
 * Follows the Socket Mode link for /healthz and counts reconnects. 'close' is the socket going away; with
 * auto-reconnect the client says nothing else until it retries, 5 s later.
 */
export function trackSocket(client: SocketModeClient, reconnects: Counter): { isConnected: () => boolean } {
  let connected = false;
  let connections = 0;
  client.on('connected', () => {
    connected = true;
    connections += 1;
    if (connections > 1) reconnects.inc();
  });
  for (const event of ['close', 'disconnected', 'reconnecting']) {
    client.on(event, () => {
      connected = false;
    });
  }
  return { isConnected: () => connected };
}
