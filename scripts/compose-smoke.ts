// npm run smoke:compose: the Docker deployment, end to end, where a Docker engine (Linux, Compose v2) is at hand.
// It builds the image, starts docker-compose.yml as written (PostgreSQL and two replicas of the bot) with a
// database password holding / # @ % : in its secret's file, and points the bots at the Slack and Graph
// simulators running on this host (the bots share the host's network for that, and PostgreSQL is published on
// a free loopback port). It checks that both replicas connect to Slack, that each one's /healthz says so (and the
// image's own HEALTHCHECK command agrees), then that a secret stored the natural way (mode 0600, owned by
// root) stops a bot at once, naming the file and the owner or mode it needs. It tears everything down at the end.
// Without an engine it says it skipped, and why, and exits 0: the Docker files' own tests
// (test/deploy/docker.test.ts) and the configuration's tests still run everywhere.

import { type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureSimulatorTls } from '../simulators/graph/tls.js';
import { type Simulators, simulatorTlsDirectory, startSimulators } from '../simulators/sandbox.js';

const root = join(import.meta.dirname, '..');
const PASSWORD = `sm0ke/#@%:${randomBytes(6).toString('hex')}`;
// The bot's user in the image (`node` of the official Node.js images).
const BOT_UID = 1000;
const CONNECTED_WITHIN_MS = 180_000;
const FAILS_WITHIN_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or kills it after `timeoutMs`), never throwing on a failure: the caller decides. */
function run(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number; echo?: boolean } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Why the smoke test cannot run here, or undefined when Docker and Compose v2 answer. */
async function missingEngine(): Promise<string | undefined> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 });
  if (info.code !== 0) return `no Docker engine (docker info failed: ${firstLine(info.stderr || info.stdout) || `exit ${info.code}`})`;
  const compose = await run('docker', ['compose', 'version'], { timeoutMs: 30_000 });
  if (compose.code !== 0) return `no Docker Compose v2 (docker compose version failed: ${firstLine(compose.stderr || compose.stdout)})`;
  return undefined;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The project folder Compose runs in: docker-compose.yml as it is, the .env, policy and secret it expects, and
 * an override that builds from this checkout and lets the bots reach the simulators on the host's loopback.
 */
async function prepareProject(sims: Simulators, postgresPort: number): Promise<{ folder: string; secret: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'jit-compose-smoke-'));
  copyFileSync(join(root, 'docker-compose.yml'), join(folder, 'docker-compose.yml'));
  copyFileSync(sims.env.JIT_POLICY_FILE ?? '', join(folder, 'policy.yml'));
  chmodSync(join(folder, 'policy.yml'), 0o644);
  const { caFile } = await ensureSimulatorTls(simulatorTlsDirectory());
  copyFileSync(caFile, join(folder, 'ca.pem'));
  chmodSync(join(folder, 'ca.pem'), 0o644);
  const hostOnly = new Set(['JIT_POLICY_FILE', 'JIT_DATABASE', 'JIT_HTTP_PORT', 'LOG_LEVEL']);
  const env = Object.entries(sims.env).filter(([name]) => !hostOnly.has(name));
  writeFileSync(join(folder, '.env'), `${[...env, ['LOG_LEVEL', 'info']].map(([name, value]) => `${name}=${value}`).join('\n')}\n`);
  mkdirSync(join(folder, 'secrets'));
  const secret = join(folder, 'secrets', 'postgres-password');
  writeFileSync(secret, `${PASSWORD}\n`);
  readableByTheBot(secret);
  const override = {
    services: {
      postgres: { ports: [`127.0.0.1:${postgresPort}:5432`] },
      bot: {
        build: { context: root },
        network_mode: 'host',
        environment: {
          JIT_DATABASE_URL: `postgres://jit@127.0.0.1:${postgresPort}/jit`,
          // Two replicas on one network namespace: each takes a free port, read back from its log.
          JIT_HTTP_PORT: '0',
          JIT_HTTP_HOST: '127.0.0.1',
          NODE_EXTRA_CA_CERTS: '/smoke/ca.pem',
        },
        volumes: [`${join(folder, 'ca.pem')}:/smoke/ca.pem:ro`],
      },
    },
  };
  writeFileSync(join(folder, 'smoke.override.yml'), stringify(override));
  return { folder, secret };
}

/** As the README asks: group uid 1000, mode 0440 (or, not being root, readable by anyone in a private folder). */
function readableByTheBot(file: string): void {
  if (process.getuid?.() === 0) {
    chownSync(file, 0, BOT_UID);
    chmodSync(file, 0o440);
  } else {
    chmodSync(file, 0o444);
  }
}

/** As a secret is naturally stored: owned by root, mode 0600 (or, not being root, readable by nobody). */
function readableByRootAlone(file: string): void {
  if (process.getuid?.() === 0) {
    chownSync(file, 0, 0);
    chmodSync(file, 0o600);
  } else {
    chmodSync(file, 0o000);
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, withinMs: number, what: string): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${withinMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The port a replica serves /healthz on, from its "connected" log line. */
function opsPortOf(logs: string): number | undefined {
  for (const line of logs.split('\n')) {
    if (!line.includes('/healthz and /metrics served')) continue;
    const port = (JSON.parse(line) as { httpPort?: number }).httpPort;
    if (port) return port;
  }
  return undefined;
}

async function checkReplica(container: string): Promise<void> {
  const port = await waitFor(async () => opsPortOf((await run('docker', ['logs', container])).stdout), 30_000, `${container}'s start`);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  const body = await health.text();
  if (!health.ok) throw new Error(`${container}: /healthz answered ${health.status}: ${body}`);
  console.log(`smoke: ${container.slice(0, 12)} /healthz ${health.status} ${body}`);
  // The image's own HEALTHCHECK command, run in the container against the port this replica took.
  const test = JSON.parse(
    (await run('docker', ['inspect', '--format', '{{json .Config.Healthcheck.Test}}', container])).stdout,
  ) as string[];
  if (test[0] !== 'CMD') throw new Error(`${container}: unexpected HEALTHCHECK ${JSON.stringify(test)}`);
  const check = await run('docker', ['exec', '-e', `JIT_HTTP_PORT=${port}`, container, ...test.slice(1)], { timeoutMs: 30_000 });
  if (check.code !== 0) throw new Error(`${container}: the image's HEALTHCHECK failed (exit ${check.code}): ${check.stderr}`);
}

async function smoke(): Promise<void> {
  const sims = await startSimulators();
  const postgresPort = await freeLoopbackPort();
  const { folder, secret } = await prepareProject(sims, postgresPort);
  const project = `jit-smoke-${randomBytes(4).toString('hex')}`;
  const compose = (args: string[], options: { timeoutMs?: number; echo?: boolean } = {}) =>
    run('docker', ['compose', '-p', project, '-f', 'docker-compose.yml', '-f', 'smoke.override.yml', ...args], { cwd: folder, ...options });
  const must = async (what: string, args: string[], timeoutMs: number) => {
    console.log(`smoke: ${what}`);
    const result = await compose(args, { timeoutMs, echo: true });
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code})`);
  };
  try {
    await must('checking the Compose file', ['config', '--quiet'], 60_000);
    await must('building the image', ['build', 'bot'], 30 * 60_000);
    await must('starting PostgreSQL and two replicas', ['up', '-d'], 5 * 60_000);
    await waitFor(() => (sims.slack.openConnections >= 2 ? true : undefined), CONNECTED_WITHIN_MS, 'both replicas connecting to Slack');
    const containers = (await compose(['ps', '-q', 'bot'])).stdout.trim().split('\n').filter(Boolean);
    if (containers.length !== 2) throw new Error(`expected 2 bot containers, found ${containers.length}`);
    for (const container of containers) await checkReplica(container);

    await must('stopping the replicas', ['stop', 'bot'], 2 * 60_000);
    readableByRootAlone(secret);
    console.log('smoke: starting a bot with a secret only root may read');
    const started = Date.now();
    const refused = await compose(['run', '--rm', '--no-deps', '-T', 'bot'], { timeoutMs: FAILS_WITHIN_MS });
    const output = `${refused.stdout}${refused.stderr}`;
    if (refused.code === 0 || refused.code === null) {
      throw new Error(`the bot did not stop with an error within ${FAILS_WITHIN_MS / 1000} s (exit ${refused.code}):\n${output}`);
    }
    const expected = `JIT_DATABASE_PASSWORD_FILE: /run/secrets/postgres-password cannot be read by the bot's user (uid ${BOT_UID})`;
    if (!output.includes(expected)) throw new Error(`the bot stopped without naming the unreadable secret:\n${output}`);
    if (output.includes(PASSWORD)) throw new Error('the bot wrote the database password');
    console.log(`smoke: refused in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${refused.code}): ${firstLine(output)}`);
    console.log('smoke: passed');
  } finally {
    console.log('smoke: tearing down');
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '10'], { timeoutMs: 5 * 60_000, echo: true });
    await sims.slack.stop();
    await sims.graph.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

const skipped = await missingEngine();
if (skipped) {
  console.log(`smoke:compose skipped: ${skipped}`);
} else {
  try {
    await smoke();
  } catch (error) {
    console.error(`smoke:compose failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
