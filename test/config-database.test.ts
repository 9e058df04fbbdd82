// The database settings: SQLite by default, PostgreSQL with JIT_DATABASE_URL, its password in the URL or, as
// Docker and Kubernetes secrets hold it, in the file JIT_DATABASE_PASSWORD_FILE names.

import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../src/config.js';
import { type DatabaseConfig, readDatabase, unreadableReason } from '../src/config-database.js';

const URL_WITHOUT_PASSWORD = 'postgres://jit@db.internal:5432/jit?sslmode=verify-full';
const PASSWORD = 'p/a#s@s%w:o rd';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jit-config-database-'));
});

function read(env: Record<string, string>): { database: DatabaseConfig; problems: string[] } {
  const problems: string[] = [];
  const database = readDatabase(env, problems);
  return { database, problems };
}

function passwordFile(content: string): string {
  const file = join(dir, 'postgres-password');
  writeFileSync(file, content);
  return file;
}

describe('the database password in JIT_DATABASE_PASSWORD_FILE', () => {
  it('is the whole file but for one line ending at its end, and stays out of the URL', () => {
    for (const [content, password] of [
      [`${PASSWORD}\n`, PASSWORD],
      [`${PASSWORD}\r\n`, PASSWORD],
      [PASSWORD, PASSWORD],
      // Spaces are the password's own: only the line ending is the editor's.
      [' spaced password \n', ' spaced password '],
    ]) {
      expect(read({ JIT_DATABASE_URL: URL_WITHOUT_PASSWORD, JIT_DATABASE_PASSWORD_FILE: passwordFile(content as string) })).toEqual({
        database: { kind: 'postgres', url: URL_WITHOUT_PASSWORD, password },
        problems: [],
      });
    }
  });

  it('refuses a file with no password in it, or more than one line, without repeating what it holds', () => {
    const problems = (content: string) =>
      read({ JIT_DATABASE_URL: URL_WITHOUT_PASSWORD, JIT_DATABASE_PASSWORD_FILE: passwordFile(content) }).problems;
    const file = join(dir, 'postgres-password');
    expect(problems('')).toEqual([`JIT_DATABASE_PASSWORD_FILE: ${file} is empty; write the database password in it, on one line`]);
    expect(problems('\n')).toEqual([`JIT_DATABASE_PASSWORD_FILE: ${file} is empty; write the database password in it, on one line`]);
    expect(problems('s3cret-one\ns3cret-two\n')).toEqual([
      `JIT_DATABASE_PASSWORD_FILE: ${file} holds more than one line; write the database password alone, on one line`,
    ]);
    expect(problems('s3cret-one\n\n')).toHaveLength(1);
  });

  it('refuses a file that is missing or a directory, naming it', () => {
    const missing = join(dir, 'secrets', 'postgres-password');
    expect(read({ JIT_DATABASE_URL: URL_WITHOUT_PASSWORD, JIT_DATABASE_PASSWORD_FILE: missing }).problems).toEqual([
      `JIT_DATABASE_PASSWORD_FILE: ${missing} does not exist; mount the password there (a Docker or Kubernetes secret) or point JIT_DATABASE_PASSWORD_FILE at it`,
    ]);
    mkdirSync(join(dir, 'secrets'));
    expect(read({ JIT_DATABASE_URL: URL_WITHOUT_PASSWORD, JIT_DATABASE_PASSWORD_FILE: join(dir, 'secrets') }).problems).toEqual([
      `JIT_DATABASE_PASSWORD_FILE: ${join(dir, 'secrets')} is a directory; give the path of the file that holds the password`,
    ]);
  });

  it('refuses a file the bot cannot read, with the owner or mode it needs', async () => {
    // As Compose mounts a secret stored the natural way: owned by root, mode 0600. Root reads any file, so as
    // root the check runs in a process of uid 1000, the image's `node`; otherwise the file loses every permission.
    const file = passwordFile(`${PASSWORD}\n`);
    chmodSync(dir, 0o755);
    chmodSync(file, 0o600);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(file, 0o000);
    const env = { JIT_DATABASE_URL: URL_WITHOUT_PASSWORD, JIT_DATABASE_PASSWORD_FILE: file };
    const problems = asRoot ? await problemsAsUser(1000, env) : read(env).problems;
    const uid = asRoot ? 1000 : process.getuid?.();
    expect(problems).toEqual([
      `JIT_DATABASE_PASSWORD_FILE: ${file} cannot be read by the bot's user (uid ${uid}); it must be readable by the bot's user, uid 1000 \`node\` in the image — e.g. mode 0440 with group 1000 (chgrp 1000), or owned by 1000`,
    ]);
  }, 30_000);

  it('names the reason for each way a file may fail to be read', () => {
    const failure = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
    expect(unreadableReason('/run/secrets/pw', failure('EPERM'))).toContain('cannot be read by the bot');
    expect(unreadableReason('/run/secrets/pw', failure('EIO'))).toBe('/run/secrets/pw cannot be read (EIO)');
  });

  it('is refused beside a password in the URL, and without a URL at all', () => {
    const file = passwordFile(`${PASSWORD}\n`);
    for (const url of ['postgres://jit:other-pw@db:5432/jit', 'postgres://jit@db:5432/jit?password=other-pw']) {
      expect(read({ JIT_DATABASE_URL: url, JIT_DATABASE_PASSWORD_FILE: file }).problems).toEqual([
        'JIT_DATABASE_URL carries a password and JIT_DATABASE_PASSWORD_FILE names another; keep the password in the file only',
      ]);
    }
    expect(read({ JIT_DATABASE_PASSWORD_FILE: file, JIT_DATABASE: join(dir, 'jit.sqlite') }).problems).toEqual([
      "JIT_DATABASE_PASSWORD_FILE is set but JIT_DATABASE_URL is not: the password is PostgreSQL's; set JIT_DATABASE_URL (postgres://jit@host:5432/jit) too, or unset JIT_DATABASE_PASSWORD_FILE for SQLite",
    ]);
  });

  it('is handed to the logger to redact, and never appears in a message', () => {
    const policy = join(dir, 'policy.yml');
    writeFileSync(
      policy,
      'version: 1\ntargets:\n  - id: db\n    name: Databases\n    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }\n    duration: { default: 30m, max: 2h }\n    approvers: { channel: C0APPROVALS, users: [U0MANAGER1] }\n',
    );
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-1111-2222-SECRETBOT',
      SLACK_APP_TOKEN: 'xapp-1-A111-SECRETAPP',
      AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      AZURE_CLIENT_ID: '0c3e3b31-5b6a-4e0e-9c5a-0d7f2a1b9e10',
      AZURE_CLIENT_SECRET: 'sup3r~s3cret.value',
      JIT_POLICY_FILE: policy,
      JIT_DATABASE_URL: URL_WITHOUT_PASSWORD,
      JIT_DATABASE_PASSWORD_FILE: passwordFile(`${PASSWORD}\n`),
    };
    const loaded = loadConfig(env);
    expect(loaded.ok && secretValues(loaded.config)).toEqual([
      'xoxb-1111-2222-SECRETBOT',
      'xapp-1-A111-SECRETAPP',
      'sup3r~s3cret.value',
      PASSWORD,
    ]);
    const refused = loadConfig({ ...env, JIT_DATABASE_URL: 'postgres://jit:other-pw@db:5432/jit', AZURE_CLIENT_ID: 'nope' });
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(refused)).not.toContain(PASSWORD);
    expect(JSON.stringify(refused)).not.toContain('other-pw');
  });
});

/**
 * What readDatabase reports for `env` in a process of another user (only root may start one). That user may not
 * be able to reach the checkout (a clone in a 0700 folder), so the module and the one it imports are compiled
 * into a folder of their own that anyone may read, and run there by Node alone.
 */
async function problemsAsUser(uid: number, env: Record<string, string>): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), 'jit-config-as-user-'));
  chmodSync(folder, 0o755);
  writeFileSync(join(folder, 'package.json'), '{"type":"module"}');
  for (const name of ['config-database', 'config-defaults']) {
    const source = readFileSync(join(__dirname, '..', 'src', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(folder, `${name}.js`), outputText);
  }
  const script = `
    const { readDatabase } = await import('./config-database.js');
    const problems = [];
    readDatabase(${JSON.stringify(env)}, problems);
    console.log(JSON.stringify(problems));`;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: folder,
      uid,
      gid: uid,
      env: { PATH: process.env.PATH ?? '', HOME: folder },
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
