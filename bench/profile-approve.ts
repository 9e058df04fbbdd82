// Not part of the bench: profiles one bot process on SQLite, or with JIT_PROFILE_STORE=postgres two replicas
// (JIT_PROFILE_REPLICAS) sharing PostgreSQL, through
// the bench's burst of 50 simultaneous Approve clicks, and prints the acks and click → grant request at Graph.
// JIT_PROFILE_PAUSE_MS: the pause between the cards and the clicks (3000 ms; 0 clicks at once, as the bench does).
// PROFILE_DIR=… writes a V8 CPU profile of the bot there (taken at 200 µs intervals).
//   npx tsc -p tsconfig.bench.json && PROFILE_DIR=/tmp/prof-approve npx tsx bench/profile-approve.ts
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnBotProcess } from '../simulators/bot-process-handle.js';
import { createDatabase, startPostgres } from '../simulators/postgres-server.js';
import { addPerson, crowdMember, startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { acksSince, approveAtOnce, submitAll, timeGrantRequests } from './interactions.js';
import { BOT_ENV, cpuMs, POLICY, pause, percentile } from './measure.js';

const COUNT = 50;
const REPLICAS = Number(process.env.JIT_PROFILE_REPLICAS ?? 2);

async function main(): Promise<void> {
  const postgres = process.env.JIT_PROFILE_STORE === 'postgres' ? await startPostgres() : undefined;
  const databaseUrl = postgres && (await createDatabase(postgres.url)).url;
  const sims = await startSimulators({ policy: POLICY });
  const crowd = Array.from({ length: COUNT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);
  const dir = process.env.PROFILE_DIR ?? '';
  if (dir) rmSync(dir, { recursive: true, force: true });
  const spawn = () =>
    spawnBotProcess(sims, 0, {
      built: true,
      env: { ...BOT_ENV, ...(databaseUrl && { JIT_DATABASE_URL: databaseUrl }) },
      execArgv: dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] : [],
    });
  const bots = [await spawn()];
  if (databaseUrl && REPLICAS > 1) bots.push(await spawn());
  await pause(2000);
  await Promise.all(crowd.map((person) => sims.slack.person(person.slack).slash('/jit')));
  const cards = await submitAll(sims, crowd, 'Profile request');
  // The bench clicks as soon as the cards are back, while the bots still send the requests' other messages.
  await pause(Number(process.env.JIT_PROFILE_PAUSE_MS ?? 3000));
  const grantSentAt = timeGrantRequests(sims);
  const cpuBefore = bots.map((bot) => cpuMs(bot.child.pid));
  const callsBefore = sims.slack.calls.length;
  const mark = sims.slack.envelopes.length;
  const machineBefore = machineCpu();
  const clickMono = process.hrtime.bigint() / 1000n;
  const clickedAt = await approveAtOnce(sims, crowd, cards);
  const machineAtAcks = machineCpu();
  const acks = acksSince(sims, mark);
  await sims.slack.waitFor(() => grantSentAt.size >= COUNT, 30_000, 'the grants');
  const toGrant = crowd.map((person) => (grantSentAt.get(person.entra) ?? Number.NaN) - (clickedAt.get(person.entra) ?? Number.NaN));
  const line = (values: number[]) =>
    `min ${Math.min(...values).toFixed(1)} p50 ${percentile(values, 50).toFixed(1)} p99 ${percentile(values, 99).toFixed(1)} ms`;
  console.log(`acks: ${line(acks)}; click → grant: ${line(toGrant)}`);
  const machineAtGrants = machineCpu();
  if (dir) console.log(`profile window (µs, the profiles' clock): ${clickMono} ${process.hrtime.bigint() / 1000n}`);
  console.log(
    `machine's CPU from the clicks to the last ack: ${spent(machineBefore, machineAtAcks)}; to the last grant: ${spent(machineBefore, machineAtGrants)}`,
  );
  const cpuAtGrants = bots.map((bot, index) => cpuMs(bot.child.pid) - (cpuBefore[index] ?? 0));
  await pause(3000);
  const cpuAfter = bots.map((bot, index) => cpuMs(bot.child.pid) - (cpuBefore[index] ?? 0));
  const calls = new Map<string, number>();
  for (const call of sims.slack.calls.slice(callsBefore)) calls.set(call.method, (calls.get(call.method) ?? 0) + 1);
  console.log(
    `bots' CPU from the clicks to the last grant ${cpuAtGrants.join(' + ')} ms, and 3 s later ${cpuAfter.join(' + ')} ms; Slack calls: ${[...calls].map(([method, count]) => `${method} ${count}`).join(', ')}`,
  );
  for (const bot of bots) {
    bot.child.kill('SIGTERM');
    await new Promise((resolve) => bot.child.once('exit', resolve));
  }
  await sims.slack.stop();
  await sims.graph.stop();
  await postgres?.stop();
}

interface MachineCpu {
  at: number;
  busy: number;
  postgres: number;
  harness: number;
}

/** Busy CPU time of the whole machine (from /proc/stat, all cores), of every postgres process and of this process, in ms. */
function machineCpu(): MachineCpu {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  const values = ticks.map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const busy = (values.reduce((sum, value) => sum + value, 0) - idle) * 10;
  let postgres = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres += cpuMs(Number(pid));
    } catch {
      // The process ended while the list was read.
    }
  }
  const own = process.cpuUsage();
  return { at: performance.now(), busy, postgres, harness: (own.user + own.system) / 1000 };
}

function spent(from: MachineCpu, to: MachineCpu): string {
  const elapsed = to.at - from.at;
  return `${elapsed.toFixed(0)} ms elapsed, ${(to.busy - from.busy).toFixed(0)} ms busy of ${(availableParallelism() * elapsed).toFixed(0)} (postgres ${(to.postgres - from.postgres).toFixed(0)}, harness ${(to.harness - from.harness).toFixed(0)})`;
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), main);
