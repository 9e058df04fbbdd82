// npm run bench — performance figures of the real bot (its own processes) against the simulators, as a table
// with a column per setup: Slack ack latency at 50 concurrent interactions, approve click → Graph grant request,
// memory, start to connected, revocation lag for 10,000 grants ending in the same minute against a Graph
// simulator throttled like the real service, a revocation run where grants end faster than Graph allows, and the
// end of a grant → Boundary sign-outs verified for 1,000 grants. Figures are measured, never asserted;
// BENCHMARKS.md records a run. Parts (JIT_BENCH_ONLY=sqlite,replicas,throttle,boundary picks some):
// sqlite, one process on SQLite; replicas (replicas.ts), two replicas sharing PostgreSQL, and a replica killed
// mid-run; throttle (throttle-bound.ts), on both setups; boundary (boundary.ts). One more part, not in the full
// run: interactions, the interactions of both setups alone (no grants seeded, no revocation runs), to compare
// their acks within one short run.

import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createDatabase, startPostgres } from '../simulators/postgres-server.js';
import { startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { benchBoundary } from './boundary.js';
import { benchAckFloor, benchInteractions } from './interactions.js';
import { GRANTS, MINUTE, mb, POLICY, printTable, SeededPostgres, SQLITE, selected } from './measure.js';
import { benchReplicaInteractions, benchReplicas } from './replicas.js';
import { reportMinute, revocationRun } from './revocations.js';
import { benchThrottleBound } from './throttle-bound.js';

async function bench(): Promise<void> {
  process.stderr.write(`jit-access-bot benchmark (${cpus().length} cores, ${mb(totalmem())} memory, Node ${process.version})\n`);
  if (selected('sqlite')) await sqlite();
  if (selected('interactions', { inFullRun: false })) await interactions();
  // One PostgreSQL server and one seeded template for both parts that use it.
  if (selected('replicas') || selected('throttle')) {
    const postgres = await SeededPostgres.start(GRANTS);
    try {
      if (selected('replicas')) await benchReplicas(postgres);
      if (selected('throttle')) await benchThrottleBound(postgres);
    } finally {
      await postgres.stop();
    }
  }
  if (selected('boundary')) await benchBoundary();
  printTable();
}

/** One bot process on SQLite: the floor under its acks, interactions, then 10,000 grants ending in one minute. */
async function sqlite(): Promise<void> {
  await sqliteInteractions();
  reportMinute(SQLITE, await revocationRun({ replicas: 1, count: GRANTS, spreadMs: MINUTE }));
}

/** The floor under the acks (a Bolt app that only acks), then the interactions of one bot process on SQLite. */
async function sqliteInteractions(): Promise<void> {
  const floor = await startSimulators({ policy: POLICY });
  try {
    await benchAckFloor(floor, SQLITE);
  } finally {
    await floor.slack.stop();
    await floor.graph.stop();
  }
  const sims = await startSimulators({ policy: POLICY });
  try {
    await benchInteractions(sims, 1, SQLITE);
  } finally {
    await sims.slack.stop();
    await sims.graph.stop();
  }
}

/** The interactions of one process on SQLite, then of two replicas on PostgreSQL, in the same run. */
async function interactions(): Promise<void> {
  await sqliteInteractions();
  const server = await startPostgres();
  try {
    await benchReplicaInteractions(await createDatabase(server.url));
  } finally {
    await server.stop();
  }
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), bench);
