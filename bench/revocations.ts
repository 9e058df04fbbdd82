// One revocation run: grants seeded into a store, the bot (one process on SQLite, or replicas sharing
// PostgreSQL) started against a throttled Graph, and every removal timed from its grant's scheduled end.

import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import type { MemoryReport } from '../simulators/bot-process.js';
import { type BotProcess, spawnBotProcess } from '../simulators/bot-process-handle.js';
import { startSimulators } from '../simulators/sandbox.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import {
  addHolders,
  BOT_ENV,
  type GrantPlan,
  MINUTE,
  mb,
  ms,
  POLICY,
  pause,
  percentile,
  RevocationWatch,
  record,
  retimeSqlite,
  type SeededPostgres,
  sampleRss,
  seconds,
  seedSqlite,
  THROTTLE,
} from './measure.js';

// From the bots' start to the first end. The policy warns a minute ahead, so with live warnings (a Slack message
// per grant) the lead leaves them that minute before the ends come due; with the warnings counted as sent, it
// only leaves the bots time to start (reconciliation included).
const LEAD_MS = 80_000;
const LEAD_WARNED_MS = 25_000;
// How long after the bots' start their memory is read: reconciliation at start is under way by then.
const RSS_AFTER_MS = 3000;

export interface RevocationRunOptions {
  /** Absent: one bot on SQLite. */
  postgres?: SeededPostgres;
  replicas: number;
  count: number;
  spreadMs: number;
  /** The grants' expiry warnings count as sent: the run measures the removals alone. */
  warningsSent?: boolean;
  /** Kills the last replica (kill -9) this long after the first end. */
  killAfterMs?: number;
}

export interface RevocationRun {
  plan: GrantPlan;
  watch: RevocationWatch;
  /** Per bot, RSS_AFTER_MS after it started. */
  rssAtStart: number[];
  /** Per bot, the highest RSS seen until the last removal (or its death). */
  peakRss: number[];
  /** Revocation jobs claimed more than once (after a retry, or a lease that ran out), and the most claims of one. */
  retried: number;
  maxAttempts: number;
}

export async function revocationRun(options: RevocationRunOptions): Promise<RevocationRun> {
  const planFrom = (endsFrom: number) => ({ count: options.count, spreadMs: options.spreadMs, endsFrom });
  const lead = options.warningsSent ? LEAD_WARNED_MS : LEAD_MS;
  // PostgreSQL: a copy of the seeded template, timed from now. SQLite: seeded afresh, then timed from now.
  let plan = planFrom(Date.now() + lead);
  const database = await options.postgres?.seeded(plan, options.warningsSent);
  const sims = await startSimulators({ policy: POLICY, ...(database && { databaseUrl: database.url }) });
  const bots: BotProcess[] = [];
  // kill9 waits for an exit, which a process already killed never makes again.
  const killed = new Set<BotProcess>();
  let store: StoreProbe | undefined;
  try {
    if (!database) {
      await seedSqlite(sims.databaseFile, plan);
      plan = planFrom(Date.now() + lead);
      retimeSqlite(sims.databaseFile, plan, options.warningsSent);
    }
    addHolders(sims, options.count);
    sims.graph.writeThrottle = THROTTLE;
    const watch = new RevocationWatch(sims.graph);
    for (let replica = 0; replica < options.replicas; replica++) bots.push(await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV }));
    store = database ? await probePostgres(database.url) : probeSqlite(sims.databaseFile);
    const trace = process.env.JIT_BENCH_TRACE === '1' ? traceProgress(store, watch, plan.endsFrom, bots) : undefined;
    await pause(RSS_AFTER_MS);
    const rssAtStart = await Promise.all(bots.map((bot) => bot.rss()));
    const peaks = sampleRss(bots);

    const victim = bots.at(-1);
    if (options.killAfterMs !== undefined && victim) {
      await pause(plan.endsFrom + options.killAfterMs - Date.now());
      killed.add(victim);
      await victim.kill9();
      process.stderr.write(`  (killed a replica ${seconds(Date.now() - plan.endsFrom)} after the first end)\n`);
    }
    await sims.slack.waitFor(() => watch.revokedAt.size >= options.count, 10 * MINUTE, 'every revocation');
    const peakRss = peaks();
    trace?.();
    watch.stop();
    const attempts = await store.rows("SELECT attempts, COUNT(*) AS n FROM jobs WHERE kind = 'revoke' GROUP BY attempts");
    const retried = attempts.reduce((sum, row) => sum + (Number(row.attempts) > 1 ? Number(row.n) : 0), 0);
    const maxAttempts = Math.max(0, ...attempts.map((row) => Number(row.attempts)));
    return { plan, watch, rssAtStart, peakRss, retried, maxAttempts };
  } finally {
    await store?.close();
    for (const bot of bots) if (!killed.has(bot)) await bot.kill9();
    await sims.slack.stop();
    await sims.graph.stop();
    await database?.drop();
    // The world's folder (policy, and the SQLite file of 10,000 grants) is this run's alone.
    await rm(dirname(dirname(sims.databaseFile)), { recursive: true, force: true });
  }
}

/** Reads the store the bots write, beside them: the same SQL on SQLite and PostgreSQL. */
interface StoreProbe {
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function probeSqlite(file: string): StoreProbe {
  const db = openDatabase(file);
  return {
    rows: async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
    close: async () => {
      db.close();
    },
  };
}

async function probePostgres(url: string): Promise<StoreProbe> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { rows: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
}

/**
 * JIT_BENCH_TRACE=1: every two seconds, the removals so far, the 429s, the unfinished jobs, the requests by
 * state and each bot's memory and CPU time so far (garbage collection's share beside it), for seeing where a run
 * spends its time and what grows.
 */
function traceProgress(store: StoreProbe, watch: RevocationWatch, endsFrom: number, bots: BotProcess[]): () => void {
  const counts = async (sql: string) => (await store.rows(sql)).map((row) => `${String(row.k)} ${String(row.n)}`).join(', ');
  const timer = setInterval(() => {
    void Promise.all([
      counts("SELECT kind || ':' || state AS k, COUNT(*) AS n FROM jobs WHERE state <> 'done' GROUP BY 1 ORDER BY 1"),
      counts(
        "SELECT state || CASE WHEN ending_reason IS NULL THEN '' ELSE ' (ending)' END AS k, COUNT(*) AS n FROM requests GROUP BY 1 ORDER BY 1",
      ),
      Promise.all(bots.filter((bot) => bot.child.connected).map((bot) => bot.memoryReport())),
    ]).then(
      ([jobs, requests, memory]) =>
        process.stderr.write(
          `  t=${seconds(Date.now() - endsFrom)} removed ${watch.revokedAt.size}, 429s ${watch.throttled()}; jobs: ${jobs}; requests: ${requests}; ${memory.map(memoryLine).join('; ')}\n`,
        ),
      () => undefined,
    );
  }, 2000);
  return () => clearInterval(timer);
}

const memoryLine = ({ now, cpu, gc }: MemoryReport) =>
  `RSS ${mb(now.rss)} (heap ${mb(now.heapUsed)} of ${mb(now.heapTotal)}, external ${mb(now.external)}), CPU ${seconds((cpu.user + cpu.system) / 1000)} (GC ${seconds(gc.ms)})`;

/** The figures of a run of every grant ending within one minute, under `setup`. */
export function reportMinute(setup: string, run: RevocationRun): void {
  const { plan, watch } = run;
  record(
    `RSS with ${plan.count} active grants, at start / peak of the removals`,
    run.rssAtStart.map((rss, index) => `${mb(rss)} / ${mb(run.peakRss[index] ?? Number.NaN)}`).join('; '),
    '< 100 MB idle, < 200 MB peak',
    setup,
  );
  const lags = watch.lags(plan);
  record(
    `revocation lag, ${plan.count} grants ending in one minute: p50 / p99`,
    `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))}`,
    'p99 < 2 s, bounded by throttling',
    setup,
  );
  const { first, last } = watch.span();
  const achieved = plan.count / Math.max(1, (last - first) / 1000);
  const allowed = THROTTLE.writes / (THROTTLE.windowMs / 1000);
  // The bot can go no faster than grants fall due, nor than Graph allows.
  const demanded = plan.count / (plan.spreadMs / 1000);
  const ceiling = Math.min(allowed, demanded);
  record(
    'revocations per second: achieved / ceiling (min of due, allowed)',
    `${achieved.toFixed(0)} / ${ceiling.toFixed(0)} (due ${demanded.toFixed(0)}, allowed ${allowed.toFixed(0)}; ratio ${(achieved / ceiling).toFixed(2)})`,
    'ratio ≈ 1',
    setup,
  );
  record('Graph 429 answers during the revocations', String(watch.throttled()), 'informational', setup);
}
