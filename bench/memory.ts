// Not part of the bench: where the memory of one idle bot process goes. Starts the built bot (as `npm run bench`
// does: run `tsc -p tsconfig.bench.json` first) against the simulators and prints process.memoryUsage() at each
// step of its start and after JIT_MEMORY_IDLE_S seconds idle (30 by default), V8's heap by space, the process's
// threads, how much of its RSS is anonymous memory, and its RSS at each second of the wait (when the start's
// garbage is given back). JIT_MEMORY_SNAPSHOT=1 also writes a heap snapshot and sums it by module
// (heap-summary.ts). JIT_MEMORY_RUNS starts that many processes one after the other (3).
// JIT_MEMORY_SERVICES=boundary,pagerduty,servicenow configures those too, to see what each costs;
// JIT_MEMORY_STORE=postgres runs the bot on PostgreSQL (a server of its own) instead of SQLite. The bot runs with
// the Node flags it ships with (package.json's start), or JIT_BENCH_NODE_FLAGS.
//
//   npx tsc -p tsconfig.bench.json && npx tsx bench/memory.ts

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryReport } from '../simulators/bot-process.js';
import { type BotProcess, spawnBotProcess } from '../simulators/bot-process-handle.js';
import { BoundarySimulator } from '../simulators/boundary/boundary-simulator.js';
import { PagerDutySimulator } from '../simulators/pagerduty/pagerduty-simulator.js';
import { createDatabase, startPostgres } from '../simulators/postgres-server.js';
import { type SandboxOptions, startSimulators } from '../simulators/sandbox.js';
import { ServiceNowSimulator } from '../simulators/servicenow/servicenow-simulator.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { summarizeHeapSnapshot } from './heap-summary.js';
import { BOT_ENV, mb, POLICY, pause } from './measure.js';

const IDLE_S = Number(process.env.JIT_MEMORY_IDLE_S ?? 30);
const RUNS = Number(process.env.JIT_MEMORY_RUNS ?? 3);
const SERVICES = (process.env.JIT_MEMORY_SERVICES ?? '').split(',').filter(Boolean);
const POSTGRES = process.env.JIT_MEMORY_STORE === 'postgres';

const megabytes = (bytes: number | undefined) => (bytes === undefined ? '–' : (bytes / 1024 / 1024).toFixed(1));

function printReport(report: MemoryReport): void {
  const columns = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;
  process.stdout.write(`  ${'step'.padEnd(24)}${columns.map((column) => column.padStart(13)).join('')}   (MB)\n`);
  for (const at of [...report.steps, { ...report.now, step: `idle ${IDLE_S} s` }]) {
    process.stdout.write(`  ${at.step.padEnd(24)}${columns.map((column) => megabytes(at[column]).padStart(13)).join('')}\n`);
  }
  const spaces = report.spaces.map(
    (space) => `${space.name.replace(/_space$/, '')} ${megabytes(space.used)}/${megabytes(space.committed)}`,
  );
  process.stdout.write(`  V8 spaces, used/committed MB: ${spaces.join(', ')}\n`);
  const cpuMs = (report.cpu.user + report.cpu.system) / 1000;
  process.stdout.write(
    `  since start: CPU ${cpuMs.toFixed(0)} ms, of which ${report.gc.count} garbage collections ${report.gc.ms.toFixed(0)} ms\n`,
  );
  const threads = Object.entries(report.threads).map(([name, count]) => `${name} ×${count}`);
  process.stdout.write(`  threads: ${threads.join(', ')}\n`);
  const { Rss, Anonymous, Shared_Clean, Private_Clean, Private_Dirty } = report.rollup;
  process.stdout.write(
    `  RSS ${megabytes(Rss)} MB: anonymous ${megabytes(Anonymous)}, file-backed clean ${megabytes((Shared_Clean ?? 0) + (Private_Clean ?? 0))}, private dirty ${megabytes(Private_Dirty)}\n`,
  );
  const largest = Object.entries(report.mappings)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 8)
    .map(([mapping, bytes]) => `${mapping.split('/').pop()} ${megabytes(bytes)}`);
  process.stdout.write(`  resident by mapping, MB: ${largest.join(', ')}\n`);
}

/** The bot's RSS at each second of `seconds` idle: when V8's memory reducer has given back the start's garbage. */
async function rssEverySecond(bot: BotProcess, seconds: number): Promise<number[]> {
  const curve: number[] = [];
  for (let second = 1; second <= seconds; second++) {
    await pause(1000);
    curve.push(await bot.rss());
  }
  return curve;
}

async function servicesOptions(): Promise<Partial<SandboxOptions>> {
  const [boundary, pagerDuty, servicenow] = await Promise.all([
    SERVICES.includes('boundary') ? BoundarySimulator.start() : undefined,
    SERVICES.includes('pagerduty') ? PagerDutySimulator.start() : undefined,
    SERVICES.includes('servicenow') ? ServiceNowSimulator.start() : undefined,
  ]);
  return { ...(boundary && { boundary }), ...(pagerDuty && { pagerDuty }), ...(servicenow && { servicenow }) };
}

async function main(): Promise<void> {
  const services = await servicesOptions();
  const postgres = POSTGRES ? await startPostgres() : undefined;
  const database = postgres && (await createDatabase(postgres.url));
  const sims = await startSimulators({ policy: POLICY, ...services, ...(database && { databaseUrl: database.url }) });
  const setup = [POSTGRES ? 'PostgreSQL' : 'SQLite', ...SERVICES].join(', ');
  const idle: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const bot = await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV });
      try {
        const curve = await rssEverySecond(bot, IDLE_S);
        const report = await bot.memoryReport();
        idle.push(report.now.rss);
        process.stdout.write(`run ${run + 1} (${setup}):\n`);
        printReport(report);
        process.stdout.write(
          `  RSS by second after connecting, MB: ${curve.map((rss, second) => `${second + 1}:${megabytes(rss)}`).join(' ')}\n`,
        );
        if (process.env.JIT_MEMORY_SNAPSHOT === '1' && run === 0) {
          const file = await bot.heapSnapshot(mkdtempSync(join(tmpdir(), 'jit-heap-')));
          process.stdout.write(`  heap snapshot: ${file}\n`);
          process.stdout.write(summarizeHeapSnapshot(file));
        }
      } finally {
        await bot.kill9();
      }
    }
  } finally {
    await sims.slack.stop();
    await sims.graph.stop();
    await Promise.all([services.boundary, services.pagerDuty, services.servicenow].map((simulator) => simulator?.stop()));
    await database?.drop();
    await postgres?.stop();
  }
  process.stdout.write(`idle RSS after ${IDLE_S} s: ${idle.map(mb).join(', ')}\n`);
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), main);
