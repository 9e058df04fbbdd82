// npm run bench — performance figures of the real bot (its own process) against the simulators, as a table:
// Slack ack latency at 50 concurrent interactions, approve click → Graph grant request, revocation lag for
// 10,000 grants ending in the same minute against a Graph simulator throttled like the real service, memory,
// start to connected, and the end of a grant → Boundary sign-outs verified for 1,000 grants. Figures are
// measured, never asserted; BENCHMARKS.md records a run. JIT_BENCH_SCENARIOS (comma-separated: interactions,
// revocation, boundary) runs only those.

import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnBotProcess } from '../simulators/bot-process-handle.js';
import { BoundarySimulator } from '../simulators/boundary/boundary-simulator.js';
import { APPROVALS, addPerson, crowdMember, MEMBER_GROUP, PEOPLE, type Simulators, startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { findMigrationsDirectory, readMigrations } from '../src/adapters/sql/migration-files.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import { migrate } from '../src/adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../src/adapters/sqlite/request-repository.js';
import { approve, confirmGrant, openRequest } from '../src/domain/access-request.js';

const CONCURRENT = 50;
const SEQUENTIAL = 20;
const GRANTS = Number(process.env.JIT_BENCH_GRANTS ?? 10_000);
const BOUNDARY_GRANTS = Number(process.env.JIT_BENCH_BOUNDARY_GRANTS ?? 1000);
const SCENARIOS = (process.env.JIT_BENCH_SCENARIOS ?? 'interactions,revocation,boundary').split(',').map((name) => name.trim());
// Graph allows an app 3,000 writes per 2.5 minutes per tenant. The bench keeps that shape with time compressed
// tenfold (3,000 per 15 s) so that 10,000 revocations fit in about a minute.
const THROTTLE = { writes: 3000, windowMs: 15_000 };
const MINUTE = 60_000;

const POLICY = `version: 1
admins: [U0ADMIN01]
settings: { pending_timeout: 4h, expiry_warning: 1m }
targets:
  - id: bench-db
    name: Bench database
    grant: { kind: group_membership, group_id: ${MEMBER_GROUP} }
    duration: { default: 30m, max: 2h }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1, U0MANAGER2], required: 1 }
`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rows: [string, string, string][] = [];
const record = (figure: string, value: string, target: string) => {
  rows.push([figure, value, target]);
  process.stderr.write(`  ${figure}: ${value}\n`);
};

/** 10,000 active grants in the store and in Graph, ending spread over one minute from `endsFrom`. */
async function seedGrants(sims: Simulators, count: number, endsFrom: number): Promise<void> {
  const db = openDatabase(sims.databaseFile);
  const migrated = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!migrated.ok) throw new Error(migrated.error);
  const requests = new SqliteRequestRepository(db);
  const target = {
    id: 'bench-db',
    name: 'Bench database',
    grant: { kind: 'group_membership' as const, groupId: MEMBER_GROUP },
    duration: { defaultMinutes: 30, maxMinutes: 120, choices: [] },
    approvers: { channel: APPROVALS, users: [PEOPLE.approver1.slack], required: 1 },
    allowGuests: false,
  };
  // One transaction around the whole seed: the repository's own transactions nest inside it as savepoints.
  db.exec('BEGIN');
  for (let index = 0; index < count; index++) {
    const person = crowdMember(1000 + index);
    sims.graph.addUser({ id: person.entra, userPrincipalName: person.email });
    sims.graph.directory.groups.get(MEMBER_GROUP)?.members.add(person.entra);
    const endsAt = endsFrom + Math.floor((index * MINUTE) / count);
    const grantedAt = endsAt - 30 * MINUTE;
    const opened = openRequest({
      id: `req_BENCH${index}`,
      requesterId: person.slack,
      principalId: person.entra,
      target,
      reason: 'Benchmark grant',
      durationMinutes: 30,
      pendingTimeoutMinutes: 240,
      now: grantedAt - 2000,
    });
    await requests.create(opened, grantedAt - 2000);
    const approved = approve(opened.request, target, PEOPLE.approver1.slack, grantedAt - 1000);
    if (!approved.ok) throw new Error('seed approval refused');
    await requests.apply(opened.request, approved, grantedAt - 1000);
    const active = confirmGrant(
      approved.request,
      { kind: 'group_membership', groupId: MEMBER_GROUP, principalId: person.entra },
      grantedAt,
    );
    if (!active.ok) throw new Error('seed grant refused');
    await requests.apply(approved.request, active, grantedAt);
  }
  // The seeded rows were never jobs of a bot: mark their notifications sent, so the run measures revocation.
  db.exec("UPDATE jobs SET state = 'done'");
  db.exec('COMMIT');
  db.close();
}

/** Start, idle memory, Slack ack latency, and approve click → grant request. */
async function interactions(sims: Simulators): Promise<void> {
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);

  // ── start and idle memory ─────────────────────────────────────────────────────────────────────────────
  const bot = await spawnBotProcess(sims, 0, { built: true });
  record('start to connected (process spawn → Socket Mode hello)', ms(bot.startToConnectedMs), '< 2 s after build');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  record('idle RSS', mb(await bot.rss()), '< 120 MB');

  // ── ack latency: 50 concurrent slash commands, then 50 concurrent approvals ────────────────────────────
  const acks = (from: number) =>
    sims.slack.envelopes.slice(from).flatMap((envelope) => (envelope.ackMs === undefined ? [] : [envelope.ackMs]));
  let mark = sims.slack.envelopes.length;
  await Promise.all(crowd.map((person) => sims.slack.person(person.slack).slash('/jit')));
  const slashAcks = acks(mark);
  record(
    `ack latency, ${CONCURRENT} concurrent /jit: p50 / p99`,
    `${ms(percentile(slashAcks, 50))} / ${ms(percentile(slashAcks, 99))}`,
    'p99 < 50 ms',
  );

  for (const person of crowd) await sims.slack.person(person.slack).submit({ reason: `Benchmark request from ${person.slack}` });
  const cards = await sims.slack.waitFor(
    () => {
      const posted = sims.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
      return posted.length >= CONCURRENT && posted;
    },
    30_000,
    'the cards',
  );
  const grantSentAt = new Map<string, number>();
  sims.graph.onRequest = (entry) => {
    const reference = (entry.body as { '@odata.id'?: string } | undefined)?.['@odata.id'];
    if (entry.method === 'POST' && reference) grantSentAt.set(reference.split('/').pop() ?? '', performance.now());
  };
  const clickedAt = new Map<string, number>();
  mark = sims.slack.envelopes.length;
  await Promise.all(
    cards.map((card, index) => {
      const person = crowd[index];
      if (person) clickedAt.set(person.entra, performance.now());
      return sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    }),
  );
  const clickAcks = acks(mark);
  record(
    `ack latency, ${CONCURRENT} concurrent Approve clicks: p50 / p99`,
    `${ms(percentile(clickAcks, 50))} / ${ms(percentile(clickAcks, 99))}`,
    'p99 < 50 ms',
  );
  await sims.slack.waitFor(() => grantSentAt.size >= CONCURRENT, 30_000, 'the grants');
  // Cards and requesters pair up by the order the cards were posted, which is the order of submission.
  const toGrant = crowd.flatMap((person) => {
    const sent = grantSentAt.get(person.entra);
    const clicked = clickedAt.get(person.entra);
    return sent !== undefined && clicked !== undefined ? [sent - clicked] : [];
  });
  record(
    `Approve click → grant request at Graph, ${CONCURRENT} clicks at once: p50 / p99`,
    `${ms(percentile(toGrant, 50))} / ${ms(percentile(toGrant, 99))}`,
    'informational (queueing)',
  );

  // One click at a time, as approvers click in practice.
  const single: number[] = [];
  for (let index = 0; index < SEQUENTIAL; index++) {
    const person = crowdMember(CONCURRENT + index);
    addPerson(sims, person);
    const requester = sims.slack.person(person.slack);
    await requester.slash('/jit');
    await requester.waitForModal();
    await requester.submit({ reason: `Benchmark request from ${person.slack}` });
    const card = await sims.slack.waitFor(
      () =>
        sims.slack.workspace.messages.find(
          (message) => message.channel === APPROVALS && !message.threadTs && message.text.includes(person.slack),
        ),
      10_000,
      'the card',
    );
    const clicked = performance.now();
    await sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    await sims.slack.waitFor(() => grantSentAt.has(person.entra), 10_000, 'the grant');
    single.push((grantSentAt.get(person.entra) ?? Number.NaN) - clicked);
  }
  record(
    `Approve click → grant request at Graph, one at a time (${SEQUENTIAL}): p50 / p99`,
    `${ms(percentile(single, 50))} / ${ms(percentile(single, 99))}`,
    'p50 < 100 ms + Graph',
  );
  sims.graph.onRequest = undefined;
  await bot.kill9();
}

/** Revocation lag and throughput when many grants end at once, Graph throttled. */
async function revocation(sims: Simulators): Promise<void> {
  // ── 10,000 grants ending in the same minute, Graph throttled ──────────────────────────────────────────
  const seedStart = performance.now();
  const endsFrom = Date.now() + 90_000;
  await seedGrants(sims, GRANTS, endsFrom);
  process.stderr.write(`  (seeded ${GRANTS} active grants in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)\n`);
  sims.graph.writeThrottle = THROTTLE;
  const revokedAt = new Map<string, number>();
  sims.graph.onRequest = (entry) => {
    if (entry.method === 'DELETE' && entry.status === 204) revokedAt.set(entry.path.split('/')[5] ?? '', Date.now());
  };
  const bot = await spawnBotProcess(sims, 0, { built: true });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  record(`RSS with ${GRANTS} active grants`, mb(await bot.rss()), '< 120 MB idle');
  await sims.slack.waitFor(() => revokedAt.size >= GRANTS, 10 * MINUTE, 'every revocation');
  const lags = Array.from({ length: GRANTS }, (_, index) => {
    const person = crowdMember(1000 + index);
    const endsAt = endsFrom + Math.floor((index * MINUTE) / GRANTS);
    return (revokedAt.get(person.entra) ?? Number.NaN) - endsAt;
  });
  record(
    `revocation lag, ${GRANTS} grants ending in one minute: p50 / p99`,
    `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))}`,
    'p99 < 2 s, bounded by throttling',
  );
  const first = Math.min(...revokedAt.values());
  const last = Math.max(...revokedAt.values());
  const achieved = GRANTS / Math.max(1, (last - first) / 1000);
  const allowed = THROTTLE.writes / (THROTTLE.windowMs / 1000);
  // The bot can go no faster than grants fall due, nor than Graph allows.
  const demanded = GRANTS / (MINUTE / 1000);
  const ceiling = Math.min(allowed, demanded);
  const throttledCalls = sims.graph.log.filter((entry) => entry.status === 429).length;
  record(
    'revocations per second: achieved / ceiling (min of due, allowed)',
    `${achieved.toFixed(0)} / ${ceiling.toFixed(0)} (due ${demanded.toFixed(0)}, allowed ${allowed.toFixed(0)}; ratio ${(achieved / ceiling).toFixed(2)})`,
    'ratio ≈ 1',
  );
  record('Graph 429 answers during the revocations', String(throttledCalls), 'informational');
  await bot.kill9();
}

/**
 * 1,000 grants ending in one minute with Boundary connected, each person signed in to Boundary (an OIDC account,
 * a token, a session through it): from each grant's end to its Boundary sign-outs verified, and to its Entra
 * removal in the same run.
 */
async function boundarySignOuts(): Promise<void> {
  const boundary = await BoundarySimulator.start();
  const sims = await startSimulators({ policy: POLICY, boundary });
  const endsFrom = Date.now() + 30_000;
  await seedGrants(sims, BOUNDARY_GRANTS, endsFrom);
  for (let index = 0; index < BOUNDARY_GRANTS; index++) {
    const person = crowdMember(1000 + index);
    const user = boundary.addUser({ name: person.email });
    const account = boundary.addAccount(user.id, { subject: person.entra, email: person.email });
    boundary.addSession(user.id, { authTokenId: boundary.signIn(account.id).id });
  }
  const bot = await spawnBotProcess(sims, 0, { built: true });
  const db = openDatabase(sims.databaseFile);
  const count = db.prepare('SELECT COUNT(*) FROM requests WHERE signed_out_at IS NOT NULL').pluck();
  const deadline = Date.now() + 10 * MINUTE;
  while ((count.get() as number) < BOUNDARY_GRANTS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  const rows = db
    .prepare(
      'SELECT g.ends_at AS endsAt, g.ended_at AS endedAt, r.signed_out_at AS signedOutAt FROM requests r JOIN grants g ON g.request_id = r.id',
    )
    .all() as { endsAt: number; endedAt: number | null; signedOutAt: number | null }[];
  db.close();
  const lag = (at: number | null, endsAt: number) => (at === null ? Number.NaN : at - endsAt);
  const toBoundary = rows.map((row) => lag(row.signedOutAt, row.endsAt));
  const toEntra = rows.map((row) => lag(row.endedAt, row.endsAt));
  record(
    `end of a grant → Boundary verified, ${BOUNDARY_GRANTS} grants ending in one minute: p50 / p99`,
    `${ms(percentile(toBoundary, 50))} / ${ms(percentile(toBoundary, 99))}`,
    'informational',
  );
  record(
    `end of a grant → Entra removal, same ${BOUNDARY_GRANTS} grants: p50 / p99`,
    `${ms(percentile(toEntra, 50))} / ${ms(percentile(toEntra, 99))}`,
    'p99 < 2 s',
  );
  record('Boundary calls per sign-out', (boundary.log.length / BOUNDARY_GRANTS).toFixed(1), 'informational');
  await bot.kill9();
  await sims.slack.stop();
  await sims.graph.stop();
  await boundary.stop();
}

async function bench(): Promise<void> {
  process.stderr.write(`jit-access-bot benchmark (${cpus().length} cores, ${mb(totalmem())} memory, Node ${process.version})\n`);
  if (SCENARIOS.includes('interactions') || SCENARIOS.includes('revocation')) {
    const sims = await startSimulators({ policy: POLICY });
    if (SCENARIOS.includes('interactions')) await interactions(sims);
    if (SCENARIOS.includes('revocation')) await revocation(sims);
    await sims.slack.stop();
    await sims.graph.stop();
  }
  if (SCENARIOS.includes('boundary')) await boundarySignOuts();

  const width = [0, 1, 2].map((column) => Math.max(...[['figure', 'measured', 'target'], ...rows].map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(width[column] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${line(['figure', 'measured', 'target'])}\n| ${width.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(
    `\nGraph throttle simulated: ${THROTTLE.writes} writes per ${THROTTLE.windowMs / 1000} s (Graph's 3,000 per 150 s, time compressed tenfold).\n`,
  );
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), bench);
