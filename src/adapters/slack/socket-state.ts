import type { SocketModeClient } from '@slack/socket-mode';

/**
 * Follows the Socket Mode link for /healthz and counts reconnects. 'close' is the socket going away; with
 * auto-reconnect the client says nothing else until it retries, 5 s later.
 */
export function trackSocket(client: SocketModeClient, onReconnect: () => void): { isConnected: () => boolean } {
  let connected = false;
  let connections = 0;
  client.on('connected', () => {
    connected = true;
    connections += 1;
    if (connections > 1) onReconnect();
  });
  for (const event of ['close', 'disconnected', 'reconnecting']) {
    client.on(event, () => {
      connected = false;
    });
  }
  return { isConnected: () => connected };
}
