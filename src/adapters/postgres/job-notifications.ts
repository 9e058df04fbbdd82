// Replicas wake each other through PostgreSQL's LISTEN/NOTIFY: a transaction that adds jobs or changes a
// request notifies the channel, and PostgreSQL delivers the notification only if, and once, it commits. A
// notification is a hint to look again, never the work itself: one missed while disconnected is made up for
// by a wake-up after reconnecting, and the scheduler's own timers catch anything else.

import type pg from 'pg';
import { BotClient } from './database.js';

export const JOBS_CHANNEL = 'jit_jobs';

export interface JobListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  /** The password, when the URL has none (see openPool). */
  password?: string;
  /** How often the idle connection is checked, so a connection the network dropped silently is noticed. */
  pingEveryMs?: number;
  /** The longest wait between two reconnection attempts. */
  maxBackoffMs?: number;
  onConnectionLost?: (error: Error) => void;
}

/**
 * Listens on a connection of its own (a pooled one would be handed to other queries). Resolves once listening;
 * after a drop it reconnects with a growing pause, and calls `onNotify` once reconnected for what it missed.
 */
export async function listenForJobs(url: string, onNotify: () => void, options: ListenOptions = {}): Promise<JobListener> {
  const listener = new Listener(url, onNotify, options);
  listener.watch(await connectListening(url, onNotify, options.password));
  return { close: () => listener.close() };
}

class Listener {
  private client: pg.Client | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onNotify: () => void,
    private readonly options: ListenOptions,
  ) {}

  watch(client: pg.Client): void {
    this.client = client;
    let lost = false;
    const onLost = (error: Error) => {
      if (lost || this.closed) return;
      lost = true;
      clearInterval(this.pinger);
      this.options.onConnectionLost?.(error);
      client.end().catch(() => undefined);
      this.reconnect(1);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('the listening connection ended')));
    this.pinger = setInterval(() => {
      client.query('SELECT 1').catch(onLost);
    }, this.options.pingEveryMs ?? 30_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private reconnect(attempt: number): void {
    const pause = Math.min(this.options.maxBackoffMs ?? 30_000, 100 * 2 ** attempt);
    this.retry = setTimeout(() => {
      connectListening(this.url, this.onNotify, this.options.password).then(
        (client) => this.reconnected(client),
        () => this.reconnect(attempt + 1),
      );
    }, pause);
  }

  private reconnected(client: pg.Client): void {
    if (this.closed) {
      client.end().catch(() => undefined);
      return;
    }
    this.watch(client);
    this.onNotify();
  }
}

async function connectListening(url: string, onNotify: () => void, password: string | undefined): Promise<pg.Client> {
  // The timeout bounds the pings: one that hangs means a connection the network dropped without a word.
  const client = new BotClient({
    connectionString: url,
    ...(password !== undefined && { password }),
    keepAlive: true,
    query_timeout: 10_000,
    application_name: 'jit-access-bot listener',
  });
  client.on('notification', (message) => {
    if (message.channel === JOBS_CHANNEL) onNotify();
  });
  // Until watch() takes over, an error must not crash the process: connect() rejects with it anyway.
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.connect();
    await client.query(`LISTEN ${JOBS_CHANNEL}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', ignore);
  }
  return client;
}
