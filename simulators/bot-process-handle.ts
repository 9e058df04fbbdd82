// Starts the real bot as its own process (bot-process.ts) against the simulators, and drives it: kill -9,
// move its clock, read its memory. Used by the restart tests and the benchmark.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryReport } from './bot-process.js';
import type { Simulators } from './sandbox.js';
import { shippedNodeEnvironment, shippedNodeFlags } from './shipped-node-flags.js';

/** The real bot, or the benchmark's floor under it: a Bolt app that only acks `/jit` (bare-bolt-process.ts). */
export type Program = 'bot-process' | 'bare-bolt-process';

function entry(program: Program, built: boolean): string {
  // Built: as `tsc -p tsconfig.bench.json` leaves it (the bench measures compiled code, as it ships).
  const path = built ? `../dist-bench/simulators/${program}.js` : `./${program}.ts`;
  return fileURLToPath(new URL(path, import.meta.url));
}

/**
 * The built bot runs with the Node flags it ships with; JIT_BENCH_NODE_FLAGS (space-separated, possibly empty)
 * replaces them, for comparing V8 settings.
 */
function builtFlags(): string[] {
  const tried = process.env.JIT_BENCH_NODE_FLAGS;
  return tried === undefined ? shippedNodeFlags() : tried.split(' ').filter(Boolean);
}

/**
 * The built bot runs with the environment it ships with (such as MALLOC_ARENA_MAX), under this process's own:
 * a variable set for the bench (MALLOC_ARENA_MAX=1 npx tsx bench/memory.ts) replaces the shipped value.
 */
function builtEnvironment(built: boolean): Record<string, string> {
  return built ? shippedNodeEnvironment() : {};
}

export interface BotProcess {
  child: ChildProcess;
  /** Milliseconds from spawning the process to its Socket Mode connection. */
  startToConnectedMs: number;
  /** Where its /healthz and /metrics listen (on loopback). */
  httpPort: number;
  advance(ms: number, options?: { wait: boolean }): Promise<void>;
  rss(): Promise<number>;
  /**
   * Stops the bot without ending its process, and resolves with the process's exit code once it has ended by
   * itself (nothing left running), or rejects, with what kept it alive, after `timeoutMs`.
   */
  stopAndLetExit(timeoutMs: number): Promise<number | null>;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Memory by step of the start and now, by heap space, threads and mappings (bench/memory.ts). */
  memoryReport(): Promise<MemoryReport>;
  /** Writes a heap snapshot into `directory`; resolves to its file. */
  heapSnapshot(directory: string): Promise<string>;
  /** Every script compiled in the bot's process: ES modules as file: URLs, CommonJS modules as paths. */
  loadedModules(): Promise<string[]>;
  kill9(): Promise<void>;
}

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (reply: Record<string, unknown>) => {
      if (!(key in reply)) return;
      child.off('message', listener);
      resolve(reply[key] as T);
    };
    child.on('message', listener);
    // A process killed a moment ago may still look connected: the send then fails here, not as an 'error'
    // event that would end the parent.
    child.send(message, (error) => {
      if (!error) return;
      child.off('message', listener);
      reject(error);
    });
  });
}

export async function spawnBotProcess(
  sims: Simulators,
  clockOffsetMs: number,
  options: { built?: boolean; env?: Record<string, string>; execArgv?: string[]; program?: Program } = {},
): Promise<BotProcess> {
  const started = performance.now();
  const connectionsBefore = sims.slack.connectionsOpened;
  const child = fork(entry(options.program ?? 'bot-process', options.built ?? false), [], {
    execArgv: [...(options.built ? builtFlags() : ['--import', 'tsx']), ...(options.execArgv ?? [])],
    env: {
      ...builtEnvironment(options.built ?? false),
      ...process.env,
      ...sims.env,
      LOG_LEVEL: 'warn',
      ...options.env,
      JIT_TEST_CLOCK_OFFSET_MS: String(clockOffsetMs),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  await sims.slack.waitFor(() => sims.slack.connectionsOpened > connectionsBefore || child.exitCode !== null, 30_000, 'the bot to connect');
  if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode}:\n${stderr}`);
  const startToConnectedMs = performance.now() - started;
  const { httpPort } = await new Promise<{ httpPort: number }>((resolve, reject) => {
    child.once('message', (ready: { httpPort: number }) => resolve(ready));
    child.once('exit', (code) => reject(new Error(`the bot exited with ${code} before it was ready:\n${stderr}`)));
  });
  return {
    child,
    startToConnectedMs,
    httpPort,
    async advance(ms, options = { wait: true }) {
      const idle = ask(child, { advance: ms }, 'advanced');
      if (options.wait) await idle;
    },
    rss: () => ask<number>(child, { rss: true }, 'rss'),
    memory: () => ask<NodeJS.MemoryUsage>(child, { memory: true }, 'memory'),
    stopAndLetExit(timeoutMs) {
      const exited = new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the stopped bot was still running after ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      child.send({ stop: true });
      return exited;
    },
    memoryReport: () => ask<MemoryReport>(child, { memoryReport: true }, 'memoryReport'),
    heapSnapshot: (directory) => ask<string>(child, { heapSnapshot: directory }, 'heapSnapshot'),
    loadedModules: () => ask<string[]>(child, { loadedModules: true }, 'loadedModules'),
    async kill9() {
      if (child.exitCode !== null) return;
      // Other replicas may hold connections of their own: wait for this one's to close.
      const open = sims.slack.openConnections;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await sims.slack.waitFor(() => sims.slack.openConnections < open, 5000, 'the dead socket to close');
    },
  };
}
