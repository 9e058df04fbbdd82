// Socket Mode as Slack runs it (docs.slack.dev/apis/events-api/using-socket-mode): a ticketed WebSocket link,
// a hello on connect, at most 10 connections, each envelope to one of them, a 3 s ack deadline, and Events
// API envelopes redelivered with retry_attempt while slash commands and interactions are not.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

const MAX_CONNECTIONS = 10;
const MAX_EVENT_RETRIES = 3;

export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  accepts_response_payload: boolean;
  payload: Record<string, unknown>;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface AckResult {
  acked: boolean;
  payload?: Record<string, unknown>;
}

export interface SocketModeOptions {
  appId: string;
  ackTimeoutMs: number;
  violate: (problem: string) => void;
}

export class SocketModeLink {
  /** Every envelope sent, in order, with what came back and how long the ack took. */
  readonly envelopes: (Envelope & { ack?: Record<string, unknown>; ackMs?: number; connection?: number })[] = [];
  /** How many connections have ever said hello; tests watch reconnects with it. */
  connectionsOpened = 0;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly connections: WebSocket[] = [];
  /** Each connection's number in the order they said hello, so tests can see which one an envelope went to. */
  private readonly connectionNumbers = new Map<WebSocket, number>();
  private nextConnection = 0;
  private readonly tickets = new Set<string>();
  private readonly pendingAcks = new Map<string, (payload: Record<string, unknown>) => void>();

  constructor(private readonly options: SocketModeOptions) {}

  get openConnections(): number {
    return this.connections.length;
  }

  /** A one-use ticket for the URL apps.connections.open hands out. */
  issueTicket(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return ticket;
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname.replace(/\/$/, '') !== '/link' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  close(): void {
    for (const ws of this.connections) ws.terminate();
    this.sockets.close();
  }

  private accept(ws: WebSocket): void {
    if (this.connections.length >= MAX_CONNECTIONS) {
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'sim' } }));
      ws.close(1000);
      return;
    }
    this.connections.push(ws);
    this.connectionsOpened += 1;
    this.connectionNumbers.set(ws, this.connectionsOpened);
    ws.on('message', (data) => this.receiveAck(String(data)));
    ws.on('close', () => {
      const index = this.connections.indexOf(ws);
      if (index >= 0) this.connections.splice(index, 1);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.length,
        debug_info: { host: 'sim-applink', approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
  }

  private receiveAck(text: string): void {
    let frame: { envelope_id?: unknown; payload?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.options.violate(`socket: the app sent a frame that is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const resolve = typeof frame.envelope_id === 'string' ? this.pendingAcks.get(frame.envelope_id) : undefined;
    if (!resolve) return;
    this.pendingAcks.delete(frame.envelope_id as string);
    resolve((frame.payload as Record<string, unknown> | undefined) ?? {});
  }

  /** Ends every socket the way a network failure does: no close handshake. */
  dropSockets(): void {
    for (const ws of [...this.connections]) ws.terminate();
  }

  /** Asks every connection to reconnect, as Slack does every few hours. */
  refreshSockets(): void {
    for (const ws of this.connections)
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'sim' } }));
  }

  /**
   * Sends an envelope to one connection and waits for its ack. Slash commands and interactions that are not
   * acked in time are not retried (the person sees an error); Events API envelopes are retried up to 3 times.
   */
  async deliver(
    type: Envelope['type'],
    payload: Record<string, unknown>,
    acceptsResponsePayload: boolean,
    attempt = 0,
  ): Promise<AckResult> {
    const envelope: Envelope = { envelope_id: randomUUID(), type, accepts_response_payload: acceptsResponsePayload, payload };
    if (type === 'events_api') Object.assign(envelope, { retry_attempt: attempt, retry_reason: attempt > 0 ? 'timeout' : '' });
    this.envelopes.push(envelope);

    const ws = this.connections[this.nextConnection++ % Math.max(this.connections.length, 1)];
    if (ws) Object.assign(envelope, { connection: this.connectionNumbers.get(ws) });
    const sentAt = performance.now();
    const acked = ws
      ? await new Promise<Record<string, unknown> | undefined>((resolve) => {
          const timer = setTimeout(() => {
            this.pendingAcks.delete(envelope.envelope_id);
            resolve(undefined);
          }, this.options.ackTimeoutMs);
          this.pendingAcks.set(envelope.envelope_id, (ackPayload) => {
            clearTimeout(timer);
            resolve(ackPayload);
          });
          ws.send(JSON.stringify(envelope));
        })
      : undefined;

    if (acked !== undefined) {
      Object.assign(envelope, { ack: acked, ackMs: performance.now() - sentAt });
      return { acked: true, payload: acked };
    }
    if (type === 'events_api' && attempt < MAX_EVENT_RETRIES) {
      return this.deliver(type, payload, acceptsResponsePayload, attempt + 1);
    }
    this.options.violate(
      `${type}: envelope ${envelope.envelope_id} was not acknowledged within ${this.options.ackTimeoutMs} ms${ws ? '' : ' (no connection)'}`,
    );
    return { acked: false };
  }
}
