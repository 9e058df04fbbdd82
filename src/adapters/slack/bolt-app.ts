// Builds the Bolt app in Socket Mode against the configured Web API host: retryConfig always explicit, the
// receiver's own WebClient pointed at the same host through installerOptions (tools.slack.dev/bolt-js/concepts/socket-mode),
// Bolt's logs routed through pino.

import { App, LogLevel, type Logger as SlackLogger, SocketModeReceiver } from '@slack/bolt';
import { ping } from 'undici';
import type { Logger } from '../../logger.js';

export interface BoltAppOptions {
  botToken: string;
  appToken: string;
  apiUrl: string;
  log: Logger;
  /** Web API retries per call; 0 in tests so a broken simulator fails fast. */
  retries: number;
  /** How long to wait for a pong before reconnecting; also the base of the reconnect delay. */
  clientPingTimeoutMs?: number;
}

const PINO_LEVEL: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/** @slack/logger's interface on top of a pino child, so Bolt's lines share our format and redaction. */
export function toSlackLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...messages: unknown[]) =>
      log[method](messages.map((message) => (typeof message === 'string' ? message : JSON.stringify(message))).join(' '));
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (next) => {
      level = next;
      log.level = PINO_LEVEL[next];
    },
    getLevel: () => level,
    setName: () => {},
  };
}

export function createBoltApp(options: BoltAppOptions): { app: App; receiver: SocketModeReceiver } {
  // socket-mode 3 heartbeats through undici's ping; without it every heartbeat throws and the link flaps.
  if (typeof ping !== 'function') throw new Error('undici >= 7.12 is required: its ping export drives the Socket Mode heartbeat');
  const logger = toSlackLogger(options.log);
  const clientOptions = { slackApiUrl: options.apiUrl, retryConfig: { retries: options.retries } };
  const receiver = new SocketModeReceiver({
    appToken: options.appToken,
    logger,
    installerOptions: { clientOptions: { ...clientOptions } },
    autoReconnectEnabled: true,
    ...(options.clientPingTimeoutMs !== undefined && { clientPingTimeout: options.clientPingTimeoutMs }),
  });
  const app = new App({ token: options.botToken, receiver, logger, clientOptions, deferInitialization: true });
  return { app, receiver };
}
