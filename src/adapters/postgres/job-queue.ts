// The durable job queue in PostgreSQL, shared by several replicas. A claim leases jobs to this replica (its
// owner id and an end time); the replica's heartbeats keep its leases alive, and a lease that ran out (its
// replica died or stalled) is claimed by any replica, with the attempt count fencing the late holder out.
//
// Leases run by the database's clock, never a replica's: compared with each replica's own clock, a replica whose
// clock runs more than a lease ahead would take every other replica's running jobs, over and over. When a queued
// job falls due (`run_at`) is still read with the caller's `now`, because the bot writes `run_at` from its own
// clock (when it queues a job, and when it retries one a while later). By that clock the writer sees its job due
// when it meant to, and a retry waits as long as it asked, whatever the others' clocks say; read by the
// database's clock instead, a job written by a replica whose clock runs ahead would wait that much longer for
// everyone, and a bot on a moved clock (the end-to-end tests and the demo move it ahead to reach a grant's end)
// would not see its own jobs due until real time caught up. With clocks apart, the replica whose clock runs furthest ahead sees a
// job due first; a replica whose clock is behind sees it late, but the writer's own clock bounds the wait.

import type { JobLease, JobQueue, StoredJob } from '../../application/ports.js';
import { JOB_KINDS, type JobKind, jobPriority } from '../../domain/access-request.js';
import { type JobRow, toStoredJob } from '../sql/rows.js';
import { type PostgresClient, type PostgresPool, prepared } from './database.js';
import { type HydratedRow, requestColumns, requestOf } from './request-statements.js';

// The database's time in epoch milliseconds, as the bot stores times. statement_timestamp() is when the statement
// began: one value for every row the statement touches, and stable, so the lease index can use it (the time
// clock_timestamp() tells changes row by row; now() is the start of a transaction, which could be older).
const DATABASE_NOW = '(extract(epoch from statement_timestamp()) * 1000)::bigint';

// Each wanted kind is read on its own, oldest first, from jobs_queued_by_kind (ordering every due job by kind
// sorted the whole backlog on every claim), and the kinds are ranked in the order of JOB_KINDS: one statement,
// so one round trip, for all the kinds a pass claims at once. Expired leases are a handful. SKIP LOCKED lets
// replicas claiming at the same moment take different jobs instead of queueing behind each other's row locks;
// taken_over is read before the update, while the row still shows the expired lease. $1 is the caller's clock,
// for run_at and updated_at; the lease is the database's. Each job comes with its request, read as `find` reads
// it: the job reads it first thing, which was one more round trip on the way from an approval to Graph.
const CLAIM = `WITH wanted AS (
    SELECT kind, rank FROM unnest($5::text[]) WITH ORDINALITY AS wanted(kind, rank)),
  due AS (
    SELECT wanted.rank, queued.id, queued.run_at, queued.request_id, false AS taken_over FROM wanted CROSS JOIN LATERAL (
      SELECT id, run_at, request_id FROM jobs WHERE state = 'queued' AND kind = wanted.kind AND run_at <= $1
      ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) queued
    UNION ALL
    SELECT wanted.rank, expired.id, expired.run_at, expired.request_id, true AS taken_over FROM wanted CROSS JOIN LATERAL (
      SELECT id, run_at, request_id FROM jobs WHERE state = 'running' AND kind = wanted.kind AND locked_until <= ${DATABASE_NOW}
      ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) expired),
  picked AS (SELECT id, request_id, taken_over FROM due ORDER BY rank, run_at, id LIMIT $2)
  UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, locked_until = ${DATABASE_NOW} + $3, lease_owner = $4, updated_at = $1
  FROM picked LEFT JOIN requests r ON r.id = picked.request_id WHERE jobs.id = picked.id
  RETURNING row_to_json(jobs) AS job, picked.taken_over, ${requestColumns('r')}`;

const FENCE = "id = $1 AND attempts = $2 AND state = 'running'";

const SQL = {
  complete: `UPDATE jobs SET state = 'done', locked_until = NULL, lease_owner = NULL, updated_at = $3 WHERE ${FENCE}`,
  retry: `UPDATE jobs SET state = 'queued', run_at = $3, last_error = $4, locked_until = NULL, lease_owner = NULL, updated_at = $5
    WHERE ${FENCE}`,
  bury: `UPDATE jobs SET state = 'dead', last_error = $3, locked_until = NULL, lease_owner = NULL, updated_at = $4 WHERE ${FENCE}`,
  // Joined to the leases by id, so each is one primary-key step: an IN over a row-valued subquery read every job.
  heartbeat: `UPDATE jobs SET locked_until = ${DATABASE_NOW} + $2, updated_at = $3
    FROM unnest($4::bigint[], $5::integer[]) AS lease(id, attempts)
    WHERE jobs.id = lease.id AND jobs.attempts = lease.attempts AND jobs.state = 'running' AND jobs.lease_owner = $1`,
  // A lease's end is told in the caller's clock ($1), as the time left on it by the database's clock.
  next: `SELECT LEAST(
      (SELECT MIN(run_at) FROM jobs WHERE state = 'queued'),
      $1::bigint + (SELECT MIN(locked_until) FROM jobs WHERE state = 'running') - ${DATABASE_NOW}) AS at`,
};

export class PostgresJobQueue implements JobQueue {
  /** `owner` names this replica in the leases it takes; it must differ from every other replica's. */
  constructor(
    private readonly pool: PostgresPool,
    private readonly owner: string,
  ) {}

  async claimDue(now: number, limit: number, leaseMs: number, kinds?: readonly JobKind[]): Promise<StoredJob[]> {
    const wanted = JOB_KINDS.filter((kind) => !kinds || kinds.includes(kind));
    if (limit <= 0 || wanted.length === 0) return [];
    const values = [now, limit, leaseMs, this.owner, wanted];
    const result = await this.pool.query<{ job: JobRow; taken_over: boolean } & HydratedRow>(prepared(CLAIM, values));
    return result.rows
      .sort((a, b) => byClaimOrder(a.job, b.job))
      .map((row) => ({ ...toStoredJob(row.job, row.taken_over), ...(row.request && { request: requestOf(row) }) }));
  }

  async complete(lease: JobLease, now: number): Promise<boolean> {
    return (await this.pool.query(prepared(SQL.complete, [lease.id, lease.attempts, now]))).rowCount === 1;
  }

  async retry(lease: JobLease, runAt: number, error: string, now: number): Promise<boolean> {
    return (await this.pool.query(prepared(SQL.retry, [lease.id, lease.attempts, runAt, error, now]))).rowCount === 1;
  }

  async bury(lease: JobLease, error: string, now: number): Promise<boolean> {
    return (await this.pool.query(prepared(SQL.bury, [lease.id, lease.attempts, error, now]))).rowCount === 1;
  }

  async heartbeat(leases: readonly JobLease[], now: number, leaseMs: number): Promise<number> {
    if (leases.length === 0) return 0;
    const ids = leases.map((lease) => lease.id);
    const attempts = leases.map((lease) => lease.attempts);
    return (await this.pool.query(prepared(SQL.heartbeat, [this.owner, leaseMs, now, ids, attempts]))).rowCount ?? 0;
  }

  async nextRunAt(now: number): Promise<number | undefined> {
    const result = await this.pool.query<{ at: number | null }>(prepared(SQL.next, [now]));
    return result.rows[0]?.at ?? undefined;
  }
}

/** Runs the claim once on `client` for no kind of job, claiming nothing, so that its connection has it prepared. */
export async function prepareClaim(client: PostgresClient): Promise<void> {
  await client.query(prepared(CLAIM, [0, 1, 0, '', []]));
}

// UPDATE … RETURNING promises no order.
function byClaimOrder(a: JobRow, b: JobRow): number {
  return jobPriority(a.kind) - jobPriority(b.kind) || a.run_at - b.run_at || a.id - b.id;
}
