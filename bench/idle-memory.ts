// Not part of the bench: the idle memory of the built bot (`tsc -p tsconfig.bench.json` first), one process on
// SQLite at a time, several times, as process.memoryUsage() reports it 2 s and 10 s after it connected (each
// time after a full garbage collection, which the run-to-run figures otherwise depend on), and the CPU time it
// spent idle in between.
// Usage: npx tsc -p tsconfig.bench.json && npx tsx bench/idle-memory.ts [runs]

import { fileURLToPath } from 'node:url';
import { spawnBotProcess } from '../simulators/bot-process-handle.js';
import { startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { BOT_ENV, cpuMs, POLICY, pause } from './measure.js';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  for (let run = 1; run <= runs; run++) {
    const sims = await startSimulators({ policy: POLICY });
    const bot = await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV, execArgv: ['--expose-gc'] });
    await pause(2000);
    const early = await bot.memory();
    const cpuBefore = cpuMs(bot.child.pid);
    await pause(8000);
    const idleCpuMs = cpuMs(bot.child.pid) - cpuBefore;
    const late = await bot.memory();
    const line = (usage: NodeJS.MemoryUsage) =>
      `rss ${mb(usage.rss)}, heap used ${mb(usage.heapUsed)} of ${mb(usage.heapTotal)}, external ${mb(usage.external)}`;
    console.log(`run ${run}: at 2 s ${line(early)}; at 10 s ${line(late)}; CPU in between ${idleCpuMs.toFixed(0)} ms`);
    await bot.kill9();
    await sims.slack.stop();
    await sims.graph.stop();
  }
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), main);
