// npm run bench — performance figures of the real bot (its own process) against the simulators, as a table:
// Slack ack latency at 50 concurrent interactions, approve click → Graph grant request, revocation lag for
// 10,000 grants ending in the same minute against a Graph simulator throttled like the real service, memory,
// and start to connected. Figures are measured, never asserted; BENCHMARKS.md records a run.
// Parts (JIT_BENCH_ONLY=sqlite,replicas,throttle picks some): sqlite, this file, one process on SQLite;
// replicas (replicas.ts), the same figures for two replicas sharing PostgreSQL, and a replica killed mid-run;
// throttle (throttle-bound.ts), grants falling due faster than Graph allows, on both setups.

import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnBotProcess } from '../simulators/bot-process-handle.js';
import { APPROVALS, addPerson, crowdMember, MEMBER_GROUP, PEOPLE, type Simulators, startSimulators } from '../simulators/sandbox.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { findMigrationsDirectory, readMigrations } from '../src/adapters/sql/migration-files.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import { migrate } from '../src/adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../src/adapters/sqlite/request-repository.js';
import { approve, confirmGrant, openRequest } from '../src/domain/access-request.js';
import {
  BOT_ENV,
  CONCURRENT,
  GRANTS,
  MINUTE,
  mb,
  ms,
  POLICY,
  percentile,
  printTable,
  record,
  SEQUENTIAL,
  SeededPostgres,
  selected,
  THROTTLE,
} from './measure.js';
import { benchReplicas } from './replicas.js';
import { benchThrottleBound } from './throttle-bound.js';

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

async function bench(): Promise<void> {
  process.stderr.write(`jit-access-bot benchmark (${cpus().length} cores, ${mb(totalmem())} memory, Node ${process.version})\n`);
  if (selected('sqlite')) await sqlite();
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
  printTable();
}

/** One bot process on SQLite: interactions, then 10,000 grants ending in one minute. */
async function sqlite(): Promise<void> {
  const sims = await startSimulators({ policy: POLICY });
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);

  // ── start and idle memory ─────────────────────────────────────────────────────────────────────────────
  let bot = await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV });
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
  bot = await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV });
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
  await sims.slack.stop();
  await sims.graph.stop();
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), bench);
