// What can be checked of the Docker files without a Docker engine: the Compose file starts the image as built
// (no shell entrypoint assembling a URL), gives the database password as a secret's file the bot reads itself,
// and publishes nothing beyond loopback; the README's examples do the same. `npm run smoke:compose` runs the
// real thing where an engine is.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readDatabase } from '../../src/config-database.js';

const root = join(import.meta.dirname, '..', '..');

interface ComposeService {
  entrypoint?: unknown;
  command?: unknown;
  environment?: Record<string, string>;
  secrets?: string[];
  ports?: (string | { host_ip?: string })[];
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
};
const bot = compose.services.bot as ComposeService;

/** Whether a Compose `ports` entry binds the host's loopback only. */
function onLoopbackOnly(entry: string | { host_ip?: string }): boolean {
  return typeof entry === 'string' ? entry.startsWith('127.0.0.1:') : entry.host_ip === '127.0.0.1';
}

describe('docker-compose.yml', () => {
  it('runs the image as built, with no entrypoint or command of its own', () => {
    for (const service of Object.values(compose.services)) {
      expect(service.entrypoint).toBeUndefined();
      expect(service.command).toBeUndefined();
    }
  });

  it('gives the bots a URL without the password and the password as a mounted secret they read themselves', () => {
    const environment = bot.environment ?? {};
    const url = new URL(environment.JIT_DATABASE_URL ?? '');
    expect(url.password).toBe('');
    expect(url.searchParams.has('password')).toBe(false);
    const [, name] = /^\/run\/secrets\/(.+)$/.exec(environment.JIT_DATABASE_PASSWORD_FILE ?? '') ?? [];
    expect(name && bot.secrets).toContain(name);
    expect(name && compose.secrets[name]).toBeDefined();
  });

  it('configures a bot that signs in with the secret as it is, whatever characters it holds', () => {
    const secret = join(mkdtempSync(join(tmpdir(), 'jit-compose-')), 'postgres-password');
    writeFileSync(secret, 's3cr/t#p@ss%w:rd\n');
    const problems: string[] = [];
    const database = readDatabase({ ...bot.environment, JIT_DATABASE_PASSWORD_FILE: secret }, problems);
    expect(problems).toEqual([]);
    expect(database).toEqual({ kind: 'postgres', url: bot.environment?.JIT_DATABASE_URL, password: 's3cr/t#p@ss%w:rd' });
  });

  it('publishes no port beyond the host loopback', () => {
    for (const service of Object.values(compose.services)) {
      for (const entry of service.ports ?? []) expect(onLoopbackOnly(entry), JSON.stringify(entry)).toBe(true);
    }
  });
});

describe('the README', () => {
  it('publishes /healthz and /metrics on the host loopback only in its examples', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const published = [...readme.matchAll(/(?:\s-p|--publish)[ =]((?:[\d.]+:)?\d+:\d+)/g)].map((match) => match[1]);
    expect(published.length).toBeGreaterThan(0);
    for (const mapping of published) expect(mapping).toMatch(/^127\.0\.0\.1:/);
    for (const [, quoted] of readme.matchAll(/"((?:[\d.]+:)?\d+:\d+)"/g)) expect(quoted).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('the Dockerfile', () => {
  it('runs the bot as the unprivileged node user with no entrypoint script', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).not.toMatch(/^ENTRYPOINT/m);
  });
});

describe('npm run smoke:compose', () => {
  it('says it skipped, and why, and succeeds where there is no Docker', async () => {
    // No docker on the PATH: what a machine without Docker looks like, whatever this one has.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'compose-smoke.ts')], {
      env: { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'jit-no-docker-')) },
    });
    expect(stdout).toBe('smoke:compose skipped: no Docker engine (docker info failed: spawn docker ENOENT)\n');
  }, 30_000);
});
