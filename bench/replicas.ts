// Two replicas of the bot sharing PostgreSQL, measured as one process on SQLite is: start, memory, Slack ack
// latency with the envelopes spread over both sockets, approve click → grant request at Graph, and 10,000 grants
// ending in one minute; then the same minute with one replica killed (kill -9) as the ends start coming due.

import type { TestDatabase } from '../simulators/postgres-server.js';
import { startSimulators } from '../simulators/sandbox.js';
import { benchInteractions } from './interactions.js';
import { GRANTS, MINUTE, ms, POLICY, percentile, REPLICAS, record, type SeededPostgres, seconds } from './measure.js';
import { type RevocationRun, reportMinute, revocationRun } from './revocations.js';

const REPLICA_COUNT = 2;
// "Shortly after the ends start coming due": a replica dies with its share of the first removals in hand.
const KILL_AFTER_MS = 5000;

export async function benchReplicas(postgres: SeededPostgres): Promise<void> {
  await benchReplicaInteractions(await postgres.empty());
  reportMinute(REPLICAS, await revocationRun({ postgres, replicas: REPLICA_COUNT, count: GRANTS, spreadMs: MINUTE }));
  killed(await revocationRun({ postgres, replicas: REPLICA_COUNT, count: GRANTS, spreadMs: MINUTE, killAfterMs: KILL_AFTER_MS }));
}

/** The interactions of two replicas sharing `database` (empty), which is dropped afterwards. */
export async function benchReplicaInteractions(database: TestDatabase): Promise<void> {
  const sims = await startSimulators({ policy: POLICY, databaseUrl: database.url });
  try {
    await benchInteractions(sims, REPLICA_COUNT, REPLICAS, database.url);
  } finally {
    await sims.slack.stop();
    await sims.graph.stop();
    await database.drop();
  }
}

function killed(run: RevocationRun): void {
  const lags = run.watch.lags(run.plan);
  record(
    `one of two replicas killed ${KILL_AFTER_MS / 1000} s into the ends: revocation lag p50 / p99 / max`,
    `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))} / ${ms(Math.max(...lags))}`,
    'max ≈ the lease (8 s)',
    REPLICAS,
  );
  const { last } = run.watch.span();
  record(
    'one of two replicas killed: first end → last removal (ends spread over 60 s)',
    seconds(last - run.plan.endsFrom),
    '≈ 60 s',
    REPLICAS,
  );
  record('one of two replicas killed: revocation jobs claimed again (taken over)', String(run.retried), 'informational', REPLICAS);
}
