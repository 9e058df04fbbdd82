import type { JobLease, JobQueue, StoredJob } from '../../application/ports.js';
import { JOB_KINDS, type JobKind } from '../../domain/access-request.js';
import { type JobRow, toStoredJob } from '../sql/rows.js';
import type { SqliteDatabase } from './database.js';

/**
 * One process uses the file, so the leases carry no owner: every lease belongs to this process, and one found at
 * start belongs to a process that is gone.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly statements;
  // Made once, not per call: each transaction() of better-sqlite3 builds four wrapped functions of its own.
  private readonly transactions;

  constructor(db: SqliteDatabase) {
    this.transactions = {
      claim: db.transaction((now: number, limit: number, leaseMs: number, kinds: readonly JobKind[] | undefined) =>
        this.claim(now, limit, leaseMs, kinds),
      ),
      heartbeat: db.transaction((leases: readonly JobLease[], now: number, leaseMs: number) =>
        leases.reduce((kept, lease) => kept + this.statements.heartbeat.run(now + leaseMs, now, lease.id, lease.attempts).changes, 0),
      ),
    };
    this.statements = {
      // One kind at a time, in the order of JOB_KINDS. Ordering every due job by kind meant sorting the whole
      // backlog on every claim, and a pass claims each time a job finishes (measured: BENCHMARKS.md, What changed
      // because of these measurements); the queued jobs of one kind come in order from jobs_queued_by_kind, and
      // expired leases are a handful.
      due: db.prepare(`SELECT id, takenOver FROM (
          SELECT * FROM (SELECT id, run_at, 0 AS takenOver FROM jobs
            WHERE state = 'queued' AND kind = @kind AND run_at <= @now ORDER BY run_at, id LIMIT @limit)
          UNION ALL
          SELECT id, run_at, 1 FROM jobs WHERE state = 'running' AND kind = @kind AND locked_until <= @now)
        ORDER BY run_at, id LIMIT @limit`),
      lease: db.prepare(`UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = @until, updated_at = @now
        WHERE id = @id RETURNING *`),
      complete: db.prepare(`UPDATE jobs SET state = 'done', locked_until = NULL, updated_at = ?
        WHERE id = ? AND attempts = ? AND state = 'running'`),
      retry: db.prepare(`UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?, locked_until = NULL, updated_at = ?
        WHERE id = ? AND attempts = ? AND state = 'running'`),
      bury: db.prepare(`UPDATE jobs SET state = 'dead', last_error = ?, locked_until = NULL, updated_at = ?
        WHERE id = ? AND attempts = ? AND state = 'running'`),
      heartbeat: db.prepare(`UPDATE jobs SET locked_until = ?, updated_at = ? WHERE id = ? AND attempts = ? AND state = 'running'`),
      release: db.prepare("UPDATE jobs SET state = 'queued', run_at = ?, locked_until = NULL, updated_at = ? WHERE state = 'running'"),
      next: db.prepare(`SELECT MIN(at) AS at FROM (
          SELECT MIN(run_at) AS at FROM jobs WHERE state = 'queued'
          UNION ALL SELECT MIN(locked_until) FROM jobs WHERE state = 'running')`),
    };
  }

  async claimDue(now: number, limit: number, leaseMs: number, kinds?: readonly JobKind[]): Promise<StoredJob[]> {
    return this.transactions.claim.immediate(now, limit, leaseMs, kinds);
  }

  private claim(now: number, limit: number, leaseMs: number, kinds: readonly JobKind[] | undefined): StoredJob[] {
    const due: { id: number; takenOver: number }[] = [];
    for (const kind of JOB_KINDS.filter((kind) => !kinds || kinds.includes(kind))) {
      if (due.length >= limit) break;
      due.push(...(this.statements.due.all({ now, kind, limit: limit - due.length }) as typeof due));
    }
    return due.map(({ id, takenOver }) =>
      toStoredJob(this.statements.lease.get({ id, until: now + leaseMs, now }) as JobRow, takenOver === 1),
    );
  }

  async complete(lease: JobLease, now: number): Promise<boolean> {
    return this.statements.complete.run(now, lease.id, lease.attempts).changes === 1;
  }

  async retry(lease: JobLease, runAt: number, error: string, now: number): Promise<boolean> {
    return this.statements.retry.run(runAt, error, now, lease.id, lease.attempts).changes === 1;
  }

  async bury(lease: JobLease, error: string, now: number): Promise<boolean> {
    return this.statements.bury.run(error, now, lease.id, lease.attempts).changes === 1;
  }

  async heartbeat(leases: readonly JobLease[], now: number, leaseMs: number): Promise<number> {
    return this.transactions.heartbeat(leases, now, leaseMs);
  }

  /** At start, with one process, every running job was leased by a process that is gone: hand them all back. */
  releaseLeases(now: number): number {
    return this.statements.release.run(now, now).changes;
  }

  async nextRunAt(): Promise<number | undefined> {
    const row = this.statements.next.get() as { at: number | null };
    return row.at ?? undefined;
  }
}
