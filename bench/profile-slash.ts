// Not part of the bench: profiles one bot process (built, as the bench runs it) through a burst of 50 /jit
// commands from 50 new people, then 3 s later a second burst from 50 other new people: the first burst after a
// start runs code V8 has not compiled or optimized yet, the second does not. Run `npx tsc -p tsconfig.bench.json`
// first.
// JIT_PROFILE_PROGRAM=bare-bolt-process runs the same burst against a Bolt app that only acks (the floor).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Program, spawnBotProcess } from '../simulators/bot-process-handle.js';
import { addPerson, crowdMember, startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { acksSince } from './interactions.js';
import { POLICY, percentile } from './measure.js';

async function main(): Promise<void> {
  const sims = await startSimulators({ policy: POLICY });
  const crowd = Array.from({ length: 100 }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);
  const dir = process.env.PROFILE_DIR ?? '';
  if (dir) rmSync(dir, { recursive: true, force: true });
  const program = (process.env.JIT_PROFILE_PROGRAM ?? 'bot-process') as Program;
  const bot = await spawnBotProcess(sims, 0, {
    program,
    built: program === 'bot-process',
    execArgv: dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] : [],
  });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  for (let round = 0; round < 2; round++) {
    const mark = sims.slack.envelopes.length;
    const people = crowd.slice(round * 50, round * 50 + 50);
    const start = performance.now();
    const mono = process.hrtime.bigint() / 1000n;
    await Promise.all(people.map((person) => sims.slack.person(person.slack).slash('/jit')));
    const acks = acksSince(sims, mark);
    if (dir) console.log(`profile window (µs, the profile's clock): ${mono} ${process.hrtime.bigint() / 1000n}`);
    console.log(
      `round ${round}: ${acks.length} acks p50 ${percentile(acks, 50).toFixed(1)} p99 ${percentile(acks, 99).toFixed(1)} ms (${(performance.now() - start).toFixed(0)} ms)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  bot.child.kill('SIGTERM');
  await new Promise((resolve) => bot.child.once('exit', resolve));
  await sims.slack.stop();
  await sims.graph.stop();
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), main);
