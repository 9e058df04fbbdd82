// Where the bot keeps its state, as the environment config.ts hands over says: the SQLite file at JIT_DATABASE
// (the default), or the PostgreSQL at JIT_DATABASE_URL, signing in with the password in the URL or, better, in
// the file JIT_DATABASE_PASSWORD_FILE names (a Docker or Kubernetes secret). A password from a file never goes
// into the URL: it is handed to the driver on its own, so no character of it can break the URL.

import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULTS } from './config-defaults.js';
import type { Env } from './config-services.js';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | PostgresConfig;

export interface PostgresConfig {
  kind: 'postgres';
  url: string;
  /** From JIT_DATABASE_PASSWORD_FILE; absent when the URL carries the password, or none is needed. */
  password?: string;
}

const PASSWORD_FILE = 'JIT_DATABASE_PASSWORD_FILE';

function checkDatabaseFile(value: string, problems: string[]): string {
  const file = resolve(value);
  let directory = dirname(file);
  // The directory is created at start when missing; then its nearest existing ancestor must be writable.
  while (!existsSync(directory) && dirname(directory) !== directory) directory = dirname(directory);
  try {
    if (!statSync(directory).isDirectory()) throw new Error('not a directory');
    accessSync(directory, constants.W_OK);
  } catch {
    problems.push(
      `JIT_DATABASE: the directory ${directory} is not writable; point JIT_DATABASE at a writable location (a volume in Docker)`,
    );
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    problems.push(`JIT_DATABASE is a directory (${file}); give the path of the SQLite file, e.g. ${DEFAULTS.JIT_DATABASE}`);
  }
  return file;
}

/**
 * JIT_DATABASE_URL selects PostgreSQL; without it, the SQLite file at JIT_DATABASE. The URL may hold a password,
 * so no message repeats it.
 */
export function readDatabase(env: Env, problems: string[]): DatabaseConfig {
  const url = env.JIT_DATABASE_URL?.trim();
  const passwordFile = env[PASSWORD_FILE]?.trim();
  if (!url) {
    if (passwordFile) {
      problems.push(
        `${PASSWORD_FILE} is set but JIT_DATABASE_URL is not: the password is PostgreSQL's; set JIT_DATABASE_URL (postgres://jit@host:5432/jit) too, or unset ${PASSWORD_FILE} for SQLite`,
      );
    }
    return { kind: 'sqlite', file: checkDatabaseFile(env.JIT_DATABASE?.trim() || DEFAULTS.JIT_DATABASE, problems) };
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push('JIT_DATABASE_URL is not a URL; write it as postgres://user:password@host:5432/database?sslmode=verify-full');
    return { kind: 'postgres', url };
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    problems.push(`JIT_DATABASE_URL must start with postgres:// (PostgreSQL); it starts with ${parsed.protocol}//`);
  } else if (!parsed.pathname.replace(/^\//, '')) {
    problems.push('JIT_DATABASE_URL names no database; add it after the host, as in postgres://…@host:5432/jit');
  }
  if (!passwordFile) return { kind: 'postgres', url };
  if (databasePasswords(url).length > 0) {
    problems.push(`JIT_DATABASE_URL carries a password and ${PASSWORD_FILE} names another; keep the password in the file only`);
  }
  const password = readPasswordFile(resolve(passwordFile), problems);
  return password === undefined ? { kind: 'postgres', url } : { kind: 'postgres', url, password };
}

/**
 * The password in `file`: its whole content but for one line ending at the end, which editors and `echo` add.
 * A file the bot cannot read stops the start with the reason, rather than the bot signing in without a password.
 */
function readPasswordFile(file: string, problems: string[]): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`${PASSWORD_FILE}: ${unreadableReason(file, error)}`);
    return undefined;
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') {
    problems.push(`${PASSWORD_FILE}: ${file} is empty; write the database password in it, on one line`);
    return undefined;
  }
  if (/[\r\n]/.test(password)) {
    problems.push(`${PASSWORD_FILE}: ${file} holds more than one line; write the database password alone, on one line`);
    return undefined;
  }
  return password;
}

/** Why `file` could not be read, and what to do about it. */
export function unreadableReason(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `${file} does not exist; mount the password there (a Docker or Kubernetes secret) or point ${PASSWORD_FILE} at it`;
    case 'EISDIR':
      return `${file} is a directory; give the path of the file that holds the password`;
    case 'EACCES':
    case 'EPERM':
      // Docker Compose mounts a secret file with its owner and mode on the host, so root's 0600 locks the bot out.
      return (
        `${file} cannot be read by the bot's user (uid ${process.getuid?.() ?? '?'}); it must be readable by the bot's user, ` +
        'uid 1000 `node` in the image — e.g. mode 0440 with group 1000 (chgrp 1000), or owned by 1000'
      );
    default:
      return `${file} cannot be read (${code ?? String(error)})`;
  }
}

/**
 * The password a PostgreSQL URL carries, in its user info or as libpq's `password=` parameter: as written
 * (percent-encoded) and decoded, as pg sends it, since either spelling may reach a message.
 */
function databasePasswords(url: string): string[] {
  const decode = (value: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  // The URL class re-encodes what it parses, so the password as written is taken from the text: the user info
  // runs to the last @ before the path, the password from its first colon.
  const userInfo = /^[^:]+:\/\/([^/?#]*)@/.exec(url)?.[1] ?? '';
  const written = [
    userInfo.includes(':') ? userInfo.slice(userInfo.indexOf(':') + 1) : '',
    ...[...url.matchAll(/[?&]password=([^&#]*)/gi)].map((match) => match[1] ?? ''),
  ];
  const passwords = [...written, ...written.map(decode)];
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    passwords.push(parsed.password, decode(parsed.password), ...parsed.searchParams.getAll('password'));
  }
  return [...new Set(passwords)].filter((password) => password !== '');
}

/** Every spelling of the database password that might reach a message, for the logger to replace. */
export function databaseSecrets(database: DatabaseConfig): string[] {
  if (database.kind === 'sqlite') return [];
  return [...databasePasswords(database.url), ...(database.password === undefined ? [] : [database.password])];
}

/** The database file alone, for tools (the audit export) that need nothing else from the configuration. */
export function databaseFileFrom(env: Env): string {
  return resolve(env.JIT_DATABASE?.trim() || DEFAULTS.JIT_DATABASE);
}
