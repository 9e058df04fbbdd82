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

const CENSOR = '[redacted]';
const SECRET_KEYS = 'client_secret|client_assertion|clientSecret|password|access_token|refresh_token|id_token|token';
// In prose "token:" mostly introduces an error ("invalid token: expired"), not a token.
const PROSE_SECRET_KEYS = 'client_secret|clientSecret|password';

/**
 * Secrets inside text, which paths cannot reach: Bolt and the Web API log plain strings (request headers and
 * bodies among them), and an error's message or stack may quote a request. Applied to the finished JSON line,
 * so each pattern keeps to the inside of a string value and the line stays valid JSON.
 */
const TEXT_SECRETS: readonly [RegExp, string][] = [
  // Slack bot, user, app-level and refresh tokens (xoxb-, xoxp-, xoxe-, xapp-…).
  [/\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+/g, CENSOR],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+/gi, `$1$2${CENSOR}`],
  // A form or query parameter: client_secret=…&
  [new RegExp(`\\b(${SECRET_KEYS})=[^\\s&"'\\\\,;]+`, 'gi'), `$1=${CENSOR}`],
  // A quoted key and value inside text, as a JSON body logged as a string carries them: \"password\":\"…\"
  [new RegExp(`\\b(${SECRET_KEYS})(\\\\?["']\\s*:\\s*\\\\?["'])[^"'\\\\]+`, 'gi'), `$1$2${CENSOR}`],
  // Prose: "password: …"
  [new RegExp(`\\b(${PROSE_SECRET_KEYS})(:\\s+)[^\\s"'\\\\,;]+`, 'gi'), `$1$2${CENSOR}`],
  // A password in a URL's user info (postgres://jit:…@db/jit), as JIT_DATABASE_URL carries it.
  [/\b([a-z][a-z0-9+.-]*:(?:\\*\/){2}[^\s:/@"'\\]*:)[^\s/@"'\\]+@/gi, `$1${CENSOR}@`],
  // Slack's response_url, wherever a payload puts it: the Socket Mode client logs each envelope at debug level
  // as a string (`Received a message on the WebSocket: {…}`), where Slack writes slashes as `\/`. The value ends
  // at the first quote or at a backslash that is not part of such a slash, so the line stays valid JSON.
  [/\b(response_url)((?:\\*["'])?\s*[:=]\s*(?:\\*["'])?)(?:\\*\/|[^\s"'\\&,;])+/g, `$1$2${CENSOR}`],
  // A Slack webhook (response_url, incoming webhook) with no key before it.
  [/\b(https?:(?:\\*\/){2}hooks\.slack(?:-gov)?\.com)(?:\\*\/[^\s"'\\&?#]*)+/gi, `$1/${CENSOR}`],
];

// Shorter values would redact ordinary words; no real credential is this short.
const MIN_SECRET_LENGTH = 8;

const escapeOnce = (value: string): string => JSON.stringify(value).slice(1, -1);

/**
 * A secret as a line may spell it: escaped once inside a JSON string, twice when a JSON body logged as text
 * sits inside the line's message. Most escaped first, since a less escaped spelling may be part of it.
 */
function escapings(secret: string): string[] {
  const once = escapeOnce(secret);
  return [...new Set([escapeOnce(once), once, secret])];
}

/** Replaces the secrets found in a finished log line: the known values, then anything shaped like a secret. */
export function redactText(line: string, secrets: readonly string[] = []): string {
  let text = line;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const spelling of escapings(secret)) text = text.split(spelling).join(CENSOR);
  }
  for (const [pattern, replacement] of TEXT_SECRETS) text = text.replace(pattern, replacement);
  return text;
}

/** `secrets`: values never to be written, wherever they turn up (the configured credentials: `secretValues` in config.ts). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream, secrets: readonly string[] = []): Logger {
  const options = {
    level,
    base: { app: 'jit-access-bot' },
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    hooks: { streamWrite: (line: string) => redactText(line, secrets) },
  };
  return destination ? pino(options, destination) : pino(options);
}
