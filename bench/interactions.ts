// Start, idle memory, Slack ack latency and approve click → grant request, for one process or for replicas
// sharing one database (Slack hands each envelope to one of their sockets, in turn).

import { type BotProcess, spawnBotProcess } from '../simulators/bot-process-handle.js';
import { APPROVALS } from '../simulators/policies.js';
import { addPerson, crowdMember, PEOPLE, type Simulators } from '../simulators/sandbox.js';
import type { SimMessage } from '../simulators/slack/workspace.js';
import { describeSamples, sampleLockWaits } from './lock-waits.js';
import { BOT_ENV, CONCURRENT, mb, ms, pause, percentile, perReplica, record, SEQUENTIAL } from './measure.js';

/**
 * The floor under the `/jit` row: the same burst acked by a Bolt app built as the bot's whose `/jit` only acks
 * (`simulators/bare-bolt-process.ts`), so the cost of Bolt, the socket and the measuring simulator is known in
 * the same run as the bot's figure.
 */
export async function benchAckFloor(sims: Simulators, setup: string): Promise<void> {
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);
  const bare = await spawnBotProcess(sims, 0, { built: true, program: 'bare-bolt-process' });
  try {
    await pause(2000);
    const acks = await slashBurst(sims, crowd);
    record(
      `ack latency, ${CONCURRENT} concurrent /jit, a Bolt app that only acks (the floor): p50 / p99`,
      p50p99(acks),
      'informational',
      setup,
    );
  } finally {
    const exited = new Promise((resolve) => bare.child.once('exit', resolve));
    bare.child.kill('SIGTERM');
    await exited;
  }
}

type Person = ReturnType<typeof crowdMember>;

/**
 * Each person of `crowd` submits the `/jit` modal they opened, with `reason` and their name; resolves with the
 * cards in the approvers' channel, which come in the order of submission.
 */
export async function submitAll(sims: Simulators, crowd: readonly Person[], reason: string): Promise<SimMessage[]> {
  const cards = () => sims.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
  const before = cards().length;
  for (const person of crowd) {
    // A replica opens the modal after its ack, so it may not be open yet when the ack is back.
    const requester = sims.slack.person(person.slack);
    await requester.waitForModal();
    await requester.submit({ reason: `${reason} from ${person.slack}` });
  }
  return sims.slack.waitFor(
    () => {
      const posted = cards().slice(before);
      return posted.length >= crowd.length && posted;
    },
    30_000,
    'the cards',
  );
}

/** When Graph receives each grant request from now on (until its onRequest is replaced), by the Entra id it adds. */
export function timeGrantRequests(sims: Simulators): Map<string, number> {
  const sentAt = new Map<string, number>();
  sims.graph.onRequest = (entry) => {
    const reference = (entry.body as { '@odata.id'?: string } | undefined)?.['@odata.id'];
    if (entry.method === 'POST' && reference) sentAt.set(reference.split('/').pop() ?? '', performance.now());
  };
  return sentAt;
}

/**
 * An approver clicks Approve on every card at once (`cards[i]` is the request of `crowd[i]`); resolves once every
 * click is acked, with when each was sent, by the requester's Entra id.
 */
export async function approveAtOnce(
  sims: Simulators,
  crowd: readonly Person[],
  cards: readonly SimMessage[],
): Promise<Map<string, number>> {
  const clickedAt = new Map<string, number>();
  await Promise.all(
    cards.map((card, index) => {
      const person = crowd[index];
      if (person) clickedAt.set(person.entra, performance.now());
      return sims.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: card });
    }),
  );
  return clickedAt;
}

/** The ack latencies of the envelopes Slack sent from the `mark`-th on (`sims.slack.envelopes.length` before). */
export function acksSince(sims: Simulators, mark: number): number[] {
  return sims.slack.envelopes.slice(mark).flatMap((envelope) => (envelope.ackMs === undefined ? [] : [envelope.ackMs]));
}

/** 50 people who have never asked before type `/jit` at once; the ack latencies. */
async function slashBurst(sims: Simulators, crowd: readonly Person[]): Promise<number[]> {
  const mark = sims.slack.envelopes.length;
  await Promise.all(crowd.map((person) => sims.slack.person(person.slack).slash('/jit')));
  return acksSince(sims, mark);
}

// Idle is read once V8's memory reducer has run: it collects the start's garbage and gives the heap's free pages
// back once allocation has slowed, looking every 8 s, so 2 s after connecting it has not run yet. In every start
// measured it had by 24 s (bench/memory.ts prints the RSS of each second: the drop came at 8, 16 or 24 s).
const IDLE_AFTER_MS = 30_000;

const p50p99 = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;

/**
 * `replicas` bots against `sims`, each figure recorded under `setup`; the bots are killed at the end. With
 * `databaseUrl` (PostgreSQL), what the bots' sessions wait on is sampled from the Approve clicks to the last grant.
 */
export async function benchInteractions(sims: Simulators, replicas: number, setup: string, databaseUrl?: string): Promise<void> {
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(index));
  for (const person of crowd) addPerson(sims, person);

  // ── start and idle memory ─────────────────────────────────────────────────────────────────────────────
  // One after the other: the first migrates the empty database, the second finds it migrated.
  const bots: BotProcess[] = [];
  for (let replica = 0; replica < replicas; replica++) bots.push(await spawnBotProcess(sims, 0, { built: true, env: BOT_ENV }));
  record(
    'start to connected (process spawn → Socket Mode hello)',
    perReplica(
      bots.map((bot) => bot.startToConnectedMs),
      ms,
    ),
    '< 2 s after build',
    setup,
  );
  await pause(2000);
  const rss = async () => perReplica(await Promise.all(bots.map((bot) => bot.rss())), mb);
  record('RSS 2 s after connecting (start-up garbage not yet collected)', await rss(), 'informational', setup);
  await pause(IDLE_AFTER_MS - 2000);
  record(`idle RSS, ${IDLE_AFTER_MS / 1000} s after connecting`, await rss(), '< 100 MB', setup);

  // ── ack latency: 50 concurrent slash commands, then 50 concurrent approvals ────────────────────────────
  const slashAcks = await slashBurst(sims, crowd);
  record(`ack latency, ${CONCURRENT} concurrent /jit: p50 / p99`, p50p99(slashAcks), 'p99 < 25 ms', setup);

  const cards = await submitAll(sims, crowd, 'Benchmark request');
  const grantSentAt = timeGrantRequests(sims);
  const mark = sims.slack.envelopes.length;
  const clickedAt = await approveAtOnce(sims, crowd, cards);
  const clickAcks = acksSince(sims, mark);
  const perConnection = new Map<number | undefined, number>();
  for (const envelope of sims.slack.envelopes.slice(mark))
    perConnection.set(envelope.connection, (perConnection.get(envelope.connection) ?? 0) + 1);
  if (replicas > 1) process.stderr.write(`  (Approve clicks per replica: ${[...perConnection.values()].join(' / ')})\n`);
  record(
    `ack latency, ${CONCURRENT} concurrent Approve clicks: p50 / p99`,
    `${ms(percentile(clickAcks, 50))} / ${ms(percentile(clickAcks, 99))}`,
    'p99 < 50 ms',
    setup,
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
    setup,
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
    setup,
  );
  if (databaseUrl)
    record(
      `database sessions from ${CONCURRENT} more Approve clicks at once to the last grant, sampled every 5 ms: running or waiting on`,
      describeSamples(await sampledApproveBurst(sims, databaseUrl)),
      'few lock waits',
      setup,
    );
  sims.graph.onRequest = undefined;
  for (const bot of bots) await bot.kill9();
}

/**
 * What the bots' database sessions run or wait on while 50 more people are approved at once, sampled every 5 ms.
 * A burst of its own, after the timed ones: the sampling's own queries took CPU from the burst they watched
 * (click → grant p99 534 and 555 ms with it, 385 ms without, runs of the interactions alone on 2026-12-06).
 */
async function sampledApproveBurst(sims: Simulators, databaseUrl: string): Promise<Map<string, number>> {
  const crowd = Array.from({ length: CONCURRENT }, (_, index) => crowdMember(CONCURRENT + SEQUENTIAL + index));
  for (const person of crowd) addPerson(sims, person);
  await Promise.all(crowd.map((person) => sims.slack.person(person.slack).slash('/jit')));
  const cards = await submitAll(sims, crowd, 'Sampled request');
  const grantSentAt = timeGrantRequests(sims);
  const sampler = await sampleLockWaits(databaseUrl);
  await approveAtOnce(sims, crowd, cards);
  await sims.slack.waitFor(() => crowd.every((person) => grantSentAt.has(person.entra)), 30_000, 'the sampled burst’s grants');
  return sampler.stop();
}
