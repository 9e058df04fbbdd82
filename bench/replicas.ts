// Two replicas of the bot sharing PostgreSQL, measured as run-bench.ts measures one process on SQLite: start,
// memory, Slack ack latency with the envelopes spread over both sockets (Slack hands each envelope to one
// connection, in turn), approve click → grant request at Graph, and 10,000 grants ending in one minute; then
// the same minute with one replica killed (kill -9) as the ends start coming due.

import { type BotProcess, spawnBotProcess } from '../simulators/bot-process-handle.js';
import { APPROVALS, addPerson, crowdMember, PEOPLE, type Simulators, startSimulators } from '../simulators/sandbox.js';
import {
  BOT_ENV,
  CONCURRENT,
  GRANTS,
  MINUTE,
  mb,
  ms,
  POLICY,
  pause,
  percentile,
  REPLICAS,
  record,
  SEQUENTIAL,
  type SeededPostgres,
  seconds,
  THROTTLE,
} from './measure.js';
import { type RevocationRun, revocationRun } from './revocations.js';

const REPLICA_COUNT = 2;
// "Shortly after the ends start coming due": a replica dies with its share of the first removals in hand.
const KILL_AFTER_MS = 5000;

export async function benchReplicas(postgres: SeededPostgres): Promise<void> {
  const database = await postgres.empty();
  const sims = await startSimulators({ policy: POLICY, databaseUrl: database.url });
  try {
    await interactions(sims);
  } finally {
    await sims.slack.stop();
    await sims.graph.stop();
    await database.drop();
  }

  const minute = await revocationRun({ postgres, replicas: REPLICA_COUNT, count: GRANTS, spreadMs: MINUTE });
  record(`RSS with ${GRANTS} active grants`, perReplica(minute.rssAtStart, mb), '< 120 MB idle', REPLICAS);
  const lags = minute.watch.lags(minute.plan);
  record(
    `revocation lag, ${GRANTS} grants ending in one minute: p50 / p99`,
    `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))}`,
    'p99 < 2 s, bounded by throttling',
    REPLICAS,
  );
  const { first, last } = minute.watch.span();
  const achieved = GRANTS / Math.max(1, (last - first) / 1000);
  const allowed = THROTTLE.writes / (THROTTLE.windowMs / 1000);
  const demanded = GRANTS / (MINUTE / 1000);
  const ceiling = Math.min(allowed, demanded);
  record(
    'revocations per second: achieved / ceiling (min of due, allowed)',
    `${achieved.toFixed(0)} / ${ceiling.toFixed(0)} (due ${demanded.toFixed(0)}, allowed ${allowed.toFixed(0)}; ratio ${(achieved / ceiling).toFixed(2)})`,
    'ratio ≈ 1',
    REPLICAS,
  );
  record('Graph 429 answers during the revocations', String(minute.watch.throttled()), 'informational', REPLICAS);

  killed(await revocationRun({ postgres, replicas: REPLICA_COUNT, count: GRANTS, spreadMs: MINUTE, killAfterMs: KILL_AFTER_MS }));
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

const perReplica = (values: number[], format: (value: number) => string) => values.map(format).join(' / ');

/** Start, idle memory, acks and approve → grant, exactly as run-bench.ts measures them for one process. */
async function interactions(sims: Simulators): Promise<void> {
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);

  // ── start and idle memory ─────────────────────────────────────────────────────────────────────────────
  // One after the other: the first migrates the empty database, the second finds it migrated.
  const bots: BotProcess[] = [];
  for (let replica = 0; replica < REPLICA_COUNT; replica++) bots.push(await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV }));
  record(
    'start to connected (process spawn → Socket Mode hello)',
    perReplica(
      bots.map((bot) => bot.startToConnectedMs),
      ms,
    ),
    '< 2 s after build',
    REPLICAS,
  );
  await pause(2000);
  record('idle RSS', perReplica(await Promise.all(bots.map((bot) => bot.rss())), mb), '< 120 MB', REPLICAS);

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
    REPLICAS,
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
  const perConnection = new Map<number | undefined, number>();
  for (const envelope of sims.slack.envelopes.slice(mark))
    perConnection.set(envelope.connection, (perConnection.get(envelope.connection) ?? 0) + 1);
  process.stderr.write(`  (Approve clicks per replica: ${[...perConnection.values()].join(' / ')})\n`);
  record(
    `ack latency, ${CONCURRENT} concurrent Approve clicks: p50 / p99`,
    `${ms(percentile(clickAcks, 50))} / ${ms(percentile(clickAcks, 99))}`,
    'p99 < 50 ms',
    REPLICAS,
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
    REPLICAS,
  );

  // One click at a time, as approvers click in practice; Slack hands them to the replicas in turn.
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
    REPLICAS,
  );
  sims.graph.onRequest = undefined;
  for (const bot of bots) await bot.kill9();
}
