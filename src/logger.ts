import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

// Wherever a token or secret might travel inside a logged object, it is replaced before the line is written.
export const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'clientSecret',
  'client_secret',
  'access_token',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.clientSecret',
  '*.client_secret',
  '*.access_token',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.slack.botToken',
  'config.slack.appToken',
  'config.azure.clientSecret',
  'config.boundary.password',
  'password',
  '*.password',
  // Slack's response_url lets anyone holding it post as the app for 30 minutes.
  'response_url',
  '*.response_url',
  'body.response_url',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { app: 'jit-access-bot' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
