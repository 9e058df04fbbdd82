// Links the audit events that changes store in audit_pending onto the one hash chain in audit_events.
//
// Why apart from the change: appending to the chain means taking the lock of its head row until the commit, and
// when every change of every replica did that, they all waited in line for each other (BENCHMARKS.md: 50
// Approve clicks on two replicas, p99 1.15 s against 47 ms on SQLite). A change now writes its event beside it,
// unchained, in the same statement and commit, so an event is never lost nor written without its change; the
// chainer then links waiting events onto the chain, a batch per statement, and only chainers contend for the head.
//
// The order: a batch takes the waiting events it sees in id order. Two events of one request keep their order: a
// request's next change cannot commit before the one before it did (each is a compare-and-set on the request's
// row, locked for it), so its event takes a larger id, and is visible no sooner. Events of different requests
// may take the chain in an order a little different from their ids (an id is drawn before its commit); the
// chain records the order they were linked in.
//
// The window: between its commit and its batch (a few milliseconds while a replica runs, see AuditChainer), an
// event is not yet hash-linked. It is not unguarded: triggers refuse to edit it or to delete it other than onto
// the chain (migration 0013), its `body` is the hashed text as the bot wrote it (so an edited field shows once
// chained), and its request's version counts it (so a removed one shows); `npm run audit -- --verify` checks
// waiting events those two ways, and says when they have waited too long (no chainer running).

import type { PostgresPool } from './database.js';
import { JOBS_CHANNEL } from './job-notifications.js';
import { statement } from './statement.js';

/** Events linked by one statement: a few milliseconds of the head's lock, however many are waiting. */
export const CHAIN_BATCH = 500;

/**
 * The hash of an audit event, in SQL: the same text and hash as `auditHash`, from the event's seq, the rest of
 * its hashed text as the bot wrote it (`auditBody`) and the hash before it.
 */
function chainHash(seq: string, body: string, previousHash: string): string {
  return `encode(sha256(convert_to('[' || (${seq}) || ',' || ${body} || ',"' || ${previousHash} || '"]', 'UTF8')), 'hex')`;
}

// One statement, so one round trip and one transaction. The head is locked first, SKIP LOCKED: a chainer that
// finds it taken (another replica's chainer is linking a batch) leaves at once rather than waiting in line; its
// replica tries again shortly. A chainer that gets the head right after another committed sees the newest head
// (a locked row is read at its latest version), and the waiting rows that one moved are skipped: they are read
// FOR UPDATE, and a row deleted since the statement began is left out. Nothing is locked while nothing waits.
// The recursive CTE numbers the batch on from the head, each hash from the one before it, reading the bodies from
// one array (joined to the batch instead, each step scanned the whole batch: 0.19 s for 500 events, against
// 22 ms). The batch's rows leave audit_pending in the same statement, and the other replicas are told there may
// be new jobs (see chainPending).
const chainBatch = statement<{ limit: number; channel: string }>(
  (v) => `WITH RECURSIVE head AS MATERIALIZED (
    SELECT seq, hash FROM audit_chain_head WHERE EXISTS (SELECT 1 FROM audit_pending) FOR UPDATE SKIP LOCKED),
  batch AS MATERIALIZED (
    SELECT oldest.*, row_number() OVER (ORDER BY oldest.id) AS k FROM (
      SELECT id, at, request_id, request_version, actor, action, state_before, state_after, detail, body FROM audit_pending
      WHERE EXISTS (SELECT 1 FROM head) ORDER BY id LIMIT ${v.limit} FOR UPDATE) oldest),
  bodies AS MATERIALIZED (
    SELECT array_agg(body ORDER BY k) AS body, COUNT(*) AS n FROM batch),
  chain (k, seq, prev_hash, hash) AS (
    SELECT 0::bigint, (SELECT seq FROM head), NULL::text, (SELECT hash FROM head)
    UNION ALL
    SELECT chain.k + 1, chain.seq + 1, chain.hash, ${chainHash('chain.seq + 1', 'bodies.body[chain.k + 1]', 'chain.hash')}
    FROM chain, bodies WHERE chain.k < bodies.n),
  appended AS (
    INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash, request_version, pending_id)
    SELECT chain.seq, batch.at, batch.request_id, batch.actor, batch.action, batch.state_before, batch.state_after, batch.detail,
      chain.prev_hash, chain.hash, batch.request_version, batch.id
    FROM chain JOIN batch ON batch.k = chain.k ORDER BY chain.k
    RETURNING seq, hash, pending_id),
  moved AS (
    UPDATE audit_chain_head SET seq = last.seq, hash = last.hash
    FROM (SELECT seq, hash FROM appended ORDER BY seq DESC LIMIT 1) last RETURNING audit_chain_head.seq),
  removed AS (
    DELETE FROM audit_pending WHERE id IN (SELECT pending_id FROM appended) RETURNING id)
  SELECT (SELECT COUNT(*) FROM removed) AS chained, EXISTS (SELECT 1 FROM head) AS ours,
    EXISTS (SELECT 1 FROM audit_pending) AS waiting, EXISTS (SELECT 1 FROM audit_chain_head) AS headed,
    (SELECT pg_notify(${v.channel}, '') FROM moved) IS NOT NULL AS woken`,
);

/** What a run did: how many events it linked, and whether another chainer held the head meanwhile. */
export interface ChainRun {
  chained: number;
  busy: boolean;
}

type BatchResult = { chained: number; ours: boolean; waiting: boolean; headed: boolean };

/**
 * Links the waiting events onto the chain, a batch at a time, until none is left that it can see, or another
 * chainer holds the head (`busy`: that one links what it sees; whatever it does not see needs another run).
 *
 * Each batch also wakes the other replicas (LISTEN/NOTIFY, see job-notifications.ts): the jobs stored with the
 * changes it linked are theirs to claim too. The wake-up used to come from every change, and PostgreSQL
 * serializes the commits of all transactions that notify (PreCommit_Notify holds a lock on "database 0" until
 * the commit ends: https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/commands/async.c), a
 * second line every change waited in. The replica that made a change runs its jobs without being told.
 */
export async function chainPending(pool: PostgresPool, batch = CHAIN_BATCH): Promise<ChainRun> {
  let chained = 0;
  for (;;) {
    const result = await pool.query<BatchResult>(chainBatch.bind({ limit: batch, channel: JOBS_CHANNEL }));
    const row = result.rows[0];
    if (!row?.headed) throw new Error('the audit chain head is missing: events wait unchained (npm run audit -- --verify)');
    chained += row.chained;
    if (!row.ours) return { chained, busy: row.waiting };
    if (row.chained < batch) return { chained, busy: false };
  }
}

export interface ChainerOptions {
  /** A run that failed (the database unreachable, say); the chainer tries again later. */
  onError(error: unknown): void;
  /** How often it runs with nothing asked (default 5 s): a replica that died mid-way left events waiting. */
  everyMs?: number;
  /** The first pause after finding the head taken (default 10 ms), doubled while it stays taken, up to a second. */
  busyRetryMs?: number;
}

const MAX_BUSY_RETRY_MS = 1000;
const FIRST_ERROR_RETRY_MS = 1000;
const MAX_ERROR_RETRY_MS = 30_000;

/**
 * A replica's chainer. `kick()` after each change it writes: one run at a time, and a kick during a run asks
 * for one more run after it (the run may have begun before the change committed), however many kicks came.
 * Also runs at start and every `everyMs`, so events a replica left waiting when it died are linked by the others.
 */
export class AuditChainer {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private periodic: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private busyRuns = 0;
  private failedRuns = 0;

  constructor(
    private readonly pool: PostgresPool,
    private readonly options: ChainerOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.periodic = setInterval(() => this.kick(), this.options.everyMs ?? 5000);
    this.periodic.unref();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops kicking, waits for a run in progress, then links what it can one last time. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.periodic);
    clearTimeout(this.retry);
    await this.running;
    await chainPending(this.pool).catch((error: unknown) => this.options.onError(error));
  }

  private async run(): Promise<void> {
    try {
      const { busy } = await chainPending(this.pool);
      this.failedRuns = 0;
      if (!busy) {
        this.busyRuns = 0;
        return;
      }
      this.busyRuns += 1;
      this.later(Math.min(MAX_BUSY_RETRY_MS, (this.options.busyRetryMs ?? 10) * 2 ** (this.busyRuns - 1)));
    } catch (error) {
      this.options.onError(error);
      this.failedRuns += 1;
      this.later(Math.min(MAX_ERROR_RETRY_MS, FIRST_ERROR_RETRY_MS * 2 ** (this.failedRuns - 1)));
    }
  }

  private later(delayMs: number): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.kick();
    }, delayMs);
    this.retry.unref();
  }
}
