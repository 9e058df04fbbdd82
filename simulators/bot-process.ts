// The real bot as its own process, for the restart tests and the benchmark: configured from the environment
// exactly as `npm start` is, plus seams — a clock the parent moves over IPC, a short job lease (unless
// JIT_TEST_JOB_LEASE_MS sets one), logs to stderr.
// IPC: {advance: ms} moves the clock and answers {advanced} once idle; {rss: true} answers {rss: bytes};
// {memory: true} answers {memory: process.memoryUsage()}, after a full garbage collection when started with
// --expose-gc (so that what is read is what the bot holds, not when the collector last ran); {stop: true} stops
// the bot and lets go of the IPC channel without exiting: with nothing left running, the process then ends by itself.
// {memoryReport: true} answers {memoryReport: MemoryReport}; {heapSnapshot: directory} writes a heap snapshot
// there and answers {heapSnapshot: file}. {loadedModules: true} answers {loadedModules: urls}: every script V8 has
// compiled in the process (ESM as file: URLs, CommonJS as paths), so a test can tell what a configuration loads.

import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { Clock } from '../src/application/ports.js';

/** process.memoryUsage() at one step of the start (or now). */
export interface MemoryAt extends NodeJS.MemoryUsage {
  step: string;
}

export interface MemoryReport {
  steps: MemoryAt[];
  now: MemoryAt;
  /** V8's heap by space (code, old, new, large objects…), in bytes used and committed. */
  spaces: { name: string; used: number; committed: number }[];
  /** The process's threads by name (/proc/self/task/…/comm): a logging or database worker thread shows here. */
  threads: Record<string, number>;
  /** /proc/self/smaps_rollup in bytes: how much of the RSS is anonymous memory and how much mapped files. */
  rollup: Record<string, number>;
  /** Resident bytes by mapping (/proc/self/smaps): a file, [heap] (malloc), [anonymous] (V8's heap among others). */
  mappings: Record<string, number>;
  /** CPU time since the process started, and the garbage collections' share of it: what a smaller heap costs. */
  cpu: NodeJS.CpuUsage;
  gc: { count: number; ms: number };
}

const memoryAt = (step: string): MemoryAt => ({ step, ...process.memoryUsage() });
const gc = { count: 0, ms: 0 };
new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });
// Before the bot's modules load: what Node itself takes, for bench/memory.ts.
const steps: MemoryAt[] = [memoryAt('node started')];

const [{ startBot }, { loadConfig, secretValues }, { createLogger }] = await Promise.all([
  import('../src/composition/index.js'),
  import('../src/config.js'),
  import('../src/logger.js'),
]);
steps.push(memoryAt('modules loaded'));

const clock: Clock & { offset: number } = {
  offset: Number(process.env.JIT_TEST_CLOCK_OFFSET_MS ?? 0),
  now() {
    return Date.now() + this.offset;
  },
};

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${loaded.problems.join('\n')}\n`);
  process.exit(2);
}
steps.push(memoryAt('configured'));
const bot = await startBot(loaded.config, {
  clock,
  log: createLogger(loaded.config.logLevel, process.stderr, secretValues(loaded.config)),
  slackRetries: 0,
  jobLeaseMs: Number(process.env.JIT_TEST_JOB_LEASE_MS ?? 1000),
  onStartStep: (step) => steps.push(memoryAt(step)),
});

function threadNames(): Record<string, number> {
  const names: Record<string, number> = {};
  for (const task of readdirSync('/proc/self/task')) {
    const name = readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim();
    names[name] = (names[name] ?? 0) + 1;
  }
  return names;
}

function smapsRollup(): Record<string, number> {
  const rollup: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
    const match = /^(\w+):\s+(\d+) kB/.exec(line);
    if (match?.[1] && match[2]) rollup[match[1]] = Number(match[2]) * 1024;
  }
  return rollup;
}

function residentByMapping(): Record<string, number> {
  const resident: Record<string, number> = {};
  let mapping = '[anonymous]';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) mapping = header[1] || '[anonymous]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss?.[1]) resident[mapping] = (resident[mapping] ?? 0) + Number(rss[1]) * 1024;
  }
  return resident;
}

function memoryReport(): MemoryReport {
  return {
    steps,
    now: memoryAt('now'),
    spaces: getHeapSpaceStatistics().map((space) => ({
      name: space.space_name,
      used: space.space_used_size,
      committed: space.space_size,
    })),
    threads: threadNames(),
    rollup: smapsRollup(),
    mappings: residentByMapping(),
    cpu: process.cpuUsage(),
    gc: { ...gc },
  };
}

/**
 * The scripts compiled in this process: enabling the debugger reports every one already parsed
 * (https://chromedevtools.github.io/devtools-protocol/v8/Debugger/#event-scriptParsed), which covers ES modules
 * that no module cache of Node's lists. The inspector itself is loaded only when asked, to leave memory as it was.
 */
async function loadedModules(): Promise<string[]> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  const urls = new Set<string>();
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (params.url) urls.add(params.url);
  });
  try {
    await session.post('Debugger.enable');
    await session.post('Debugger.disable');
  } finally {
    session.disconnect();
  }
  return [...urls];
}

interface Question {
  advance?: number;
  rss?: boolean;
  memory?: boolean;
  stop?: boolean;
  memoryReport?: boolean;
  heapSnapshot?: string;
  loadedModules?: boolean;
}

process.on('message', (message: Question) => {
  if (message.stop) {
    void bot.stop().then(() => {
      // Named in the parent's failure should something still keep the process alive.
      setTimeout(() => process.stderr.write(`still running: ${process.getActiveResourcesInfo().join(', ')}\n`), 5000).unref();
      process.disconnect();
    });
    return;
  }
  if (message.rss) {
    process.send?.({ rss: process.memoryUsage().rss });
    return;
  }
  if (message.memory) {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ memory: process.memoryUsage() });
    return;
  }
  if (message.memoryReport) {
    process.send?.({ memoryReport: memoryReport() });
    return;
  }
  if (message.loadedModules) {
    void loadedModules().then((urls) => process.send?.({ loadedModules: urls }));
    return;
  }
  if (message.heapSnapshot) {
    process.send?.({ heapSnapshot: writeHeapSnapshot(`${message.heapSnapshot}/bot-${process.pid}.heapsnapshot`) });
    return;
  }
  if (typeof message.advance !== 'number') return;
  clock.offset += message.advance;
  bot.scheduler.wake();
  void bot.scheduler.idle().then(() => process.send?.({ advanced: clock.offset }));
});
process.send?.({ ready: true, httpPort: bot.httpPort });
// A graceful stop, so that a profile asked for with --cpu-prof is written at exit.
process.once('SIGTERM', () => {
  void bot.stop().finally(() => process.exit(0));
});
