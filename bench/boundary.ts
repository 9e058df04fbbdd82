// 1,000 grants ending in one minute with Boundary connected, each holder signed in to Boundary (an OIDC account,
// a token, a session through it): from each grant's end to its Boundary sign-outs verified, and to its Entra
// removal in the same run. One process on SQLite; every Boundary call answers after BOUNDARY_LATENCY_MS, as a
// controller across a network would.

import { spawnBotProcess } from '../simulators/bot-process-handle.js';
import { type BoundaryRequestRecord, BoundarySimulator } from '../simulators/boundary/boundary-simulator.js';
import { startSimulators } from '../simulators/sandbox.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import {
  addHolders,
  BOT_ENV,
  holderOf,
  MINUTE,
  ms,
  POLICY,
  pause,
  percentile,
  record,
  retimeSqlite,
  SQLITE,
  seedSqlite,
} from './measure.js';

const GRANTS = Number(process.env.JIT_BENCH_BOUNDARY_GRANTS ?? 1000);
// From the bot's start to the first end: time to start and reconcile, short of the minute's expiry warnings.
const LEAD_MS = 30_000;
// A controller in another data centre: tens of milliseconds a call (the simulator answers in about one).
const BOUNDARY_LATENCY_MS = Number(process.env.JIT_BENCH_BOUNDARY_LATENCY_MS ?? 40);

export async function benchBoundary(): Promise<void> {
  const boundary = await BoundarySimulator.start();
  const sims = await startSimulators({ policy: POLICY, boundary });
  try {
    const planFrom = (endsFrom: number) => ({ count: GRANTS, spreadMs: MINUTE, endsFrom });
    await seedSqlite(sims.databaseFile, planFrom(Date.now() + LEAD_MS));
    retimeSqlite(sims.databaseFile, planFrom(Date.now() + LEAD_MS));
    addHolders(sims, GRANTS);
    for (let index = 0; index < GRANTS; index++) {
      const person = holderOf(index);
      const user = boundary.addUser({ name: person.email });
      const account = boundary.addAccount(user.id, { subject: person.entra, email: person.email });
      boundary.addSession(user.id, { authTokenId: boundary.signIn(account.id).id });
    }
    boundary.injectFault({ route: /./, latencyMs: BOUNDARY_LATENCY_MS, times: Number.POSITIVE_INFINITY });
    const bot = await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV });
    const db = openDatabase(sims.databaseFile);
    const signedOut = db.prepare('SELECT COUNT(*) FROM requests WHERE signed_out_at IS NOT NULL').pluck();
    const deadline = Date.now() + 10 * MINUTE;
    while ((signedOut.get() as number) < GRANTS && Date.now() < deadline) await pause(500);
    const rows = db
      .prepare(
        'SELECT g.ends_at AS endsAt, g.ended_at AS endedAt, r.signed_out_at AS signedOutAt FROM requests r JOIN grants g ON g.request_id = r.id',
      )
      .all() as { endsAt: number; endedAt: number | null; signedOutAt: number | null }[];
    db.close();
    await bot.kill9();
    const lag = (at: number | null, endsAt: number) => (at === null ? Number.NaN : at - endsAt);
    const toBoundary = rows.map((row) => lag(row.signedOutAt, row.endsAt));
    const toEntra = rows.map((row) => lag(row.endedAt, row.endsAt));
    record(
      `end of a grant → Boundary verified, ${GRANTS} grants ending in one minute, ${BOUNDARY_LATENCY_MS} ms a Boundary call: p50 / p99`,
      `${ms(percentile(toBoundary, 50))} / ${ms(percentile(toBoundary, 99))}`,
      'p99 < 5 s',
      SQLITE,
    );
    record(
      `end of a grant → Entra removal, same ${GRANTS} grants: p50 / p99`,
      `${ms(percentile(toEntra, 50))} / ${ms(percentile(toEntra, 99))}`,
      'p99 < 2 s',
      SQLITE,
    );
    // JIT_BENCH_TRACE=1: the calls by route, and how many came in each 5 s, for seeing where the time goes.
    if (process.env.JIT_BENCH_TRACE === '1') traceCalls(boundary.log);
    record('Boundary calls per sign-out', (boundary.log.length / GRANTS).toFixed(1), 'informational', SQLITE);
  } finally {
    await sims.slack.stop();
    await sims.graph.stop();
    await boundary.stop();
  }
}

function traceCalls(log: readonly BoundaryRequestRecord[]): void {
  const count = (key: (entry: BoundaryRequestRecord) => string) => {
    const counts = new Map<string, number>();
    for (const entry of log) counts.set(key(entry), (counts.get(key(entry)) ?? 0) + 1);
    return [...counts].map(([name, calls]) => `${name}: ${calls}`).join(', ');
  };
  const start = log[0]?.at ?? 0;
  process.stderr.write(
    `  Boundary calls by route: ${count((entry) => `${entry.method} ${entry.path.replace(/\/[a-z]+_\w+/g, '/:id')}`)}\n`,
  );
  process.stderr.write(`  Boundary calls by 5 s from the first: ${count((entry) => `${Math.floor((entry.at - start) / 5000) * 5}s`)}\n`);
}
