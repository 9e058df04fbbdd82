// What the bench's scenarios share: the policy and the load, the table every figure goes into, seeding active
// grants into either store, and watching Graph for the revocations.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { BotProcess } from '../simulators/bot-process-handle.js';
import type { GraphSimulator } from '../simulators/graph/graph-simulator.js';
import { APPROVALS, MANAGERS, MEMBER_GROUP, policyYaml, prodDb } from '../simulators/policies.js';
import { createDatabase, type RunningPostgres, startPostgres, type TestDatabase } from '../simulators/postgres-server.js';
import { addPerson, crowdMember, PEOPLE, type Simulators } from '../simulators/sandbox.js';
import { chainPending } from '../src/adapters/postgres/audit-chainer.js';
import { openPool } from '../src/adapters/postgres/database.js';
import { findPostgresMigrationsDirectory, migrate as migratePostgres } from '../src/adapters/postgres/migrations.js';
import { PostgresRequestRepository } from '../src/adapters/postgres/request-repository.js';
import { DEFAULT_LEASE_MS } from '../src/adapters/scheduler/job-scheduler.js';
import { findMigrationsDirectory, readMigrations } from '../src/adapters/sql/migration-files.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import { migrate } from '../src/adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../src/adapters/sqlite/request-repository.js';
import type { RequestRepository } from '../src/application/ports.js';
import { approve, confirmGrant, openRequest } from '../src/domain/access-request.js';

export const CONCURRENT = 50;
export const SEQUENTIAL = 20;
export const GRANTS = Number(process.env.JIT_BENCH_GRANTS ?? 10_000);
// Graph allows an app 3,000 writes per 2.5 minutes per tenant. The bench keeps that shape with time compressed
// tenfold (3,000 per 15 s) so that 10,000 revocations fit in about a minute.
export const THROTTLE = { writes: 3000, windowMs: 15_000 };
export const MINUTE = 60_000;

export const POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '1m' },
  targets: [prodDb({ id: 'bench-db', name: 'Bench database', approvers: { users: MANAGERS, required: 1 } })],
});

// bot-process.ts shortens the job lease to 1 s for the restart tests; the bench runs the lease the bot ships
// with, so heartbeats and a takeover after a kill cost what they cost in production.
export const BOT_ENV = { JIT_TEST_JOB_LEASE_MS: String(DEFAULT_LEASE_MS) };

/** The columns of the table: one store setup each, so the same figure reads across them. */
export const SQLITE = 'SQLite, 1 process';
export const REPLICAS = 'PostgreSQL, 2 replicas';

// ── which parts run ─────────────────────────────────────────────────────────────────────────────────────

export const PARTS = ['sqlite', 'replicas', 'throttle', 'boundary', 'interactions'] as const;
export type Part = (typeof PARTS)[number];

/**
 * JIT_BENCH_ONLY (comma-separated parts) re-runs some parts without the rest; without it, every part that
 * belongs to the full run (`inFullRun`; the others repeat figures of the full run's parts).
 */
export function selected(part: Part, { inFullRun = true }: { inFullRun?: boolean } = {}): boolean {
  const only = process.env.JIT_BENCH_ONLY;
  if (!only) return inFullRun;
  const wanted = only.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !(PARTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`JIT_BENCH_ONLY: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  return wanted.includes(part);
}

// ── the table ───────────────────────────────────────────────────────────────────────────────────────────

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const pause = (delay: number) => new Promise((resolve) => setTimeout(resolve, delay));

/** User and system CPU time of a process so far, in ms (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
export function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** One figure per replica, in the order they started. */
export const perReplica = (values: number[], format: (value: number) => string) => values.map(format).join(' / ');

interface Row {
  figure: string;
  target: string;
  values: Map<string, string>;
}
const rows: Row[] = [];

/** One measured figure under one setup; a figure measured under several setups is one row with a column each. */
export function record(figure: string, value: string, target: string, setup: string = SQLITE): void {
  let row = rows.find((existing) => existing.figure === figure);
  if (!row) {
    row = { figure, target, values: new Map() };
    rows.push(row);
  }
  row.values.set(setup, value);
  process.stderr.write(`  [${setup}] ${figure}: ${value}\n`);
}

export function printTable(): void {
  const setups = [...new Set(rows.flatMap((row) => [...row.values.keys()]))];
  const table = [
    ['figure', ...setups, 'target'],
    ...rows.map((row) => [row.figure, ...setups.map((setup) => row.values.get(setup) ?? '–'), row.target]),
  ];
  const width = (table[0] ?? []).map((_, column) => Math.max(...table.map((cells) => cells[column]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(width[column] ?? 0)).join(' | ')} |`;
  const [header, ...body] = table;
  process.stdout.write(`\n${line(header ?? [])}\n| ${width.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
  for (const cells of body) process.stdout.write(`${line(cells)}\n`);
  process.stdout.write(
    `\nGraph throttle simulated: ${THROTTLE.writes} writes per ${THROTTLE.windowMs / 1000} s (Graph's 3,000 per 150 s, time compressed tenfold).\n`,
  );
}

// ── seeding active grants ───────────────────────────────────────────────────────────────────────────────

/** `count` active grants whose ends are spread evenly over `spreadMs` from `endsFrom`. */
export interface GrantPlan {
  count: number;
  endsFrom: number;
  spreadMs: number;
}

export const endOf = (plan: GrantPlan, index: number) => plan.endsFrom + Math.floor((index * plan.spreadMs) / plan.count);
/** The person holding the index-th seeded grant (clear of the crowd the interactions use). */
export const holderOf = (index: number) => crowdMember(1000 + index);
const ID_PREFIX = 'req_BENCH';

const TARGET = {
  id: 'bench-db',
  name: 'Bench database',
  grant: { kind: 'group_membership' as const, groupId: MEMBER_GROUP },
  duration: { defaultMinutes: 30, maxMinutes: 120, choices: [] },
  approvers: { channel: APPROVALS, users: [PEOPLE.approver1.slack], required: 1 },
  allowGuests: false,
};

// JIT_BENCH_SLACK_HOLDERS=1 makes the grants' holders Slack users, so their warnings and end notices are
// delivered (about eight Slack calls each, Home tabs included) instead of refused at the first DM.
const SLACK_HOLDERS = process.env.JIT_BENCH_SLACK_HOLDERS === '1';

/** The seeded grants' holders in Entra, members of the group their grants gave them (and in Slack, on request). */
export function addHolders(sims: Simulators, count: number): void {
  for (let index = 0; index < count; index++) {
    const person = holderOf(index);
    if (SLACK_HOLDERS) addPerson(sims, person);
    else sims.graph.addUser({ id: person.entra, userPrincipalName: person.email });
    sims.graph.directory.groups.get(MEMBER_GROUP)?.members.add(person.entra);
  }
}

/** One grant as the bot would have stored it: opened, approved, granted, each step through the repository. */
async function seedOne(requests: RequestRepository, plan: GrantPlan, index: number): Promise<void> {
  const person = holderOf(index);
  const grantedAt = endOf(plan, index) - 30 * MINUTE;
  const opened = openRequest({
    id: `${ID_PREFIX}${index}`,
    requesterId: person.slack,
    principalId: person.entra,
    target: TARGET,
    reason: 'Benchmark grant',
    durationMinutes: 30,
    pendingTimeoutMinutes: 240,
    now: grantedAt - 2000,
  });
  await requests.create(opened, grantedAt - 2000);
  const approved = approve(opened.request, TARGET, PEOPLE.approver1.slack, grantedAt - 1000);
  if (!approved.ok) throw new Error('seed approval refused');
  await requests.apply(opened.request, approved, grantedAt - 1000);
  const active = confirmGrant(approved.request, { kind: 'group_membership', groupId: MEMBER_GROUP, principalId: person.entra }, grantedAt);
  if (!active.ok) throw new Error('seed grant refused');
  await requests.apply(approved.request, active, grantedAt);
}

// The seeded rows were never jobs of a bot: their notifications count as sent, so a run measures revocation.
const NOTIFICATIONS_SENT = "UPDATE jobs SET state = 'done'";

/** Into the bot's SQLite file, before the bot starts. */
export async function seedSqlite(file: string, plan: GrantPlan): Promise<void> {
  const db = openDatabase(file);
  const migrated = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!migrated.ok) throw new Error(migrated.error);
  const requests = new SqliteRequestRepository(db);
  // One transaction around the whole seed: the repository's own transactions nest inside it as savepoints.
  db.exec('BEGIN');
  for (let index = 0; index < plan.count; index++) await seedOne(requests, plan, index);
  db.exec(NOTIFICATIONS_SENT);
  db.exec('COMMIT');
  db.close();
}

/**
 * Moves the seeded grants' times (and their requests' and decisions') so that they end as `plan` says. Seeding
 * happens before a run's clock starts: the grants end a set time after the bots start, however long seeding took.
 * Integer division in SQL, as Math.floor in endOf, since every operand is a positive integer.
 */
function retimeStatements(plan: GrantPlan, warningsSent: boolean): string[] {
  const [from, spread, count] = [plan.endsFrom, plan.spreadMs, plan.count].map((value) => Math.trunc(value));
  const index = `CAST(substr(request_id, ${ID_PREFIX.length + 1}) AS BIGINT)`;
  return [
    `CREATE TEMP TABLE shift AS SELECT request_id, ${from} + (${index} * ${spread}) / ${count} - ends_at AS delta FROM grants`,
    'UPDATE grants SET ends_at = grants.ends_at + s.delta, granted_at = grants.granted_at + s.delta FROM shift s WHERE grants.request_id = s.request_id',
    `UPDATE requests SET created_at = requests.created_at + s.delta, pending_until = requests.pending_until + s.delta,
      decided_at = requests.decided_at + s.delta, updated_at = requests.updated_at + s.delta FROM shift s WHERE requests.id = s.request_id`,
    'UPDATE decisions SET decided_at = decisions.decided_at + s.delta FROM shift s WHERE decisions.request_id = s.request_id',
    'DROP TABLE shift',
    // The expiry warnings count as sent a minute ahead (POLICY's expiry_warning), as if they had gone out then.
    ...(warningsSent
      ? [`UPDATE requests SET expiry_warned_at = g.ends_at - ${MINUTE} FROM grants g WHERE g.request_id = requests.id`]
      : []),
  ];
}

export function retimeSqlite(file: string, plan: GrantPlan, warningsSent = false): void {
  const db = openDatabase(file);
  db.transaction(() => {
    for (const statement of retimeStatements(plan, warningsSent)) db.exec(statement);
  })();
  db.close();
}

// Several seeding transactions at once, so the round trips of one overlap the others'.
const SEED_CONNECTIONS = 8;

/**
 * PostgreSQL with `count` grants seeded once, through the repository, into a template database; each run gets
 * a copy of it. Seeding 10,000 grants takes about a minute here (30,000 transactions, and their audit events
 * chained), too long to repeat for every run.
 */
export class SeededPostgres {
  private constructor(
    private readonly server: RunningPostgres,
    private readonly template: string,
    readonly count: number,
  ) {}

  static async start(count: number): Promise<SeededPostgres> {
    const server = await startPostgres();
    try {
      const started = performance.now();
      const template = await createDatabase(server.url);
      const pool = openPool(template.url, { max: SEED_CONNECTIONS });
      try {
        const migrated = await migratePostgres(pool, readMigrations(findPostgresMigrationsDirectory()));
        if (!migrated.ok) throw new Error(migrated.error);
        const requests = new PostgresRequestRepository(pool);
        const plan = { count, endsFrom: Date.now() + 60 * MINUTE, spreadMs: MINUTE };
        let next = 0;
        const worker = async () => {
          for (let index = next++; index < count; index = next++) await seedOne(requests, plan, index);
        };
        await Promise.all(Array.from({ length: SEED_CONNECTIONS }, worker));
        // Chained now, as the bots' chainers would have done by then, so that no run starts by chaining 30,000.
        await chainPending(pool);
        await pool.query(NOTIFICATIONS_SENT);
        // Statistics, as autovacuum keeps them on a database in use, and each copy inherits them. Without them
        // the planner takes the 10,000 rows written since the tables were created for none, and chose to walk
        // every open request (0.1–0.4 s) for what an index answers in 0.1 ms.
        await pool.query('ANALYZE');
      } finally {
        await pool.end();
      }
      process.stderr.write(`  (seeded ${count} active grants into PostgreSQL in ${seconds(performance.now() - started)})\n`);
      return new SeededPostgres(server, new URL(template.url).pathname.slice(1), count);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** A new database with nothing in it, for a run that starts from scratch. */
  empty(): Promise<TestDatabase> {
    return createDatabase(this.server.url);
  }

  /** A copy of the seeded database, its grants ending as `plan` says. */
  async seeded(plan: GrantPlan, warningsSent = false): Promise<TestDatabase> {
    if (plan.count !== this.count) throw new Error(`the template holds ${this.count} grants, not ${plan.count}`);
    const name = `jit_run_${randomBytes(6).toString('hex')}`;
    await this.asSuperuser((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${this.template}`));
    const url = new URL(this.server.url);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query('BEGIN');
      for (const statement of retimeStatements(plan, warningsSent)) await client.query(statement);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    return {
      url: url.toString(),
      drop: () => this.asSuperuser((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async asSuperuser<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.server.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}

// ── watching the revocations ────────────────────────────────────────────────────────────────────────────

/** When Graph removed each seeded membership (the first 204 to its DELETE), and the 429s it answered meanwhile. */
export class RevocationWatch {
  readonly revokedAt = new Map<string, number>();
  private readonly logFrom: number;

  constructor(private readonly graph: GraphSimulator) {
    this.logFrom = graph.log.length;
    graph.onRequest = (entry) => {
      if (entry.method !== 'DELETE' || entry.status !== 204) return;
      const principal = entry.path.split('/')[5] ?? '';
      if (!this.revokedAt.has(principal)) this.revokedAt.set(principal, Date.now());
    };
  }

  throttled(): number {
    return this.graph.log.slice(this.logFrom).filter((entry) => entry.status === 429).length;
  }

  /** Lag of each seeded grant, from its scheduled end to its removal at Graph (NaN: never removed). */
  lags(plan: GrantPlan): number[] {
    return Array.from({ length: plan.count }, (_, index) => (this.revokedAt.get(holderOf(index).entra) ?? Number.NaN) - endOf(plan, index));
  }

  /** The first and the last removal. */
  span(): { first: number; last: number } {
    const times = [...this.revokedAt.values()];
    return { first: Math.min(...times), last: Math.max(...times) };
  }

  stop(): void {
    this.graph.onRequest = undefined;
  }
}

/**
 * When the last removal could come at the earliest, for a client that sends each one the moment it is due and
 * the sliding window allows it: the i-th write may go once the (i − writes)-th has left the window.
 */
export function earliestFinish(plan: GrantPlan, throttle: { writes: number; windowMs: number }): number {
  const sent: number[] = [];
  for (let index = 0; index < plan.count; index++) {
    const windowFrees = sent[index - throttle.writes];
    sent.push(Math.max(endOf(plan, index), windowFrees === undefined ? 0 : windowFrees + throttle.windowMs));
  }
  return sent.at(-1) ?? plan.endsFrom;
}

/** The highest RSS each bot reached while sampled, for memory under load rather than at one moment. */
export function sampleRss(bots: BotProcess[], everyMs = 1000): () => number[] {
  const peaks = bots.map(() => 0);
  const timer = setInterval(() => {
    bots.forEach((bot, index) => {
      // A killed replica has no IPC channel left to answer on.
      if (!bot.child.connected) return;
      bot.rss().then(
        (rss) => {
          peaks[index] = Math.max(peaks[index] ?? 0, rss);
        },
        () => undefined,
      );
    });
  }, everyMs);
  return () => {
    clearInterval(timer);
    return peaks;
  };
}
