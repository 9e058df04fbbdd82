// Runs the durable jobs and the sweep: a precise timer set for the next job or deadline (so a grant ends within
// moments of its scheduled end), a node-cron safety net every minute, and a catch-up pass at start.

import cron, { type ScheduledTask } from 'node-cron';
import type { Clock, JobQueue, StoredJob } from '../../application/ports.js';
import type { JobOutcome } from '../../application/run-job.js';
import type { SweepResult } from '../../application/sweep.js';
import type { Logger } from '../../logger.js';

export interface SchedulerDeps {
  jobs: JobQueue;
  clock: Clock;
  log: Logger;
  runJob: (job: StoredJob) => Promise<JobOutcome>;
  sweep: () => SweepResult;
  nextSweepAt: () => number | undefined;
  /** Hourly work, such as reconciliation with Graph. */
  hourly?: () => Promise<void>;
  /** Jobs run at once; Graph's throttling, not the bot, should bound revocation throughput. */
  concurrency?: number;
  /** How long a claimed job is ours before another pass may take it over. */
  leaseMs?: number;
}

// Even with nothing scheduled, look again this often (a second instance may have written jobs).
const MAX_IDLE_MS = 30_000;
// Slots that messages and Boundary sign-outs may never take, so a burst of Slack news or a slow Boundary cannot
// delay a grant or a revocation.
const RESERVED_FOR_ACCESS = 4;
const ACCESS_JOBS = ['revoke', 'grant'] as const;
// Boundary sign-outs hold at most this many slots: a Boundary that answers slowly, or only at the timeout, leaves
// the rest to Entra removals, grants and messages.
const SIGN_OUT_SLOTS = 6;

export class JobScheduler {
  private timer: NodeJS.Timeout | undefined;
  private tasks: ScheduledTask[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Wakes a running pass that is waiting for a job to finish, so new work gets a free slot at once. */
  private poke: () => void = () => {};
  private readonly concurrency: number;
  private readonly leaseMs: number;

  constructor(private readonly deps: SchedulerDeps) {
    this.concurrency = deps.concurrency ?? 16;
    this.leaseMs = deps.leaseMs ?? 60_000;
  }

  start(): void {
    this.stopped = false;
    this.tasks = [cron.schedule('* * * * *', () => this.wake(), { name: 'jit-sweep-safety-net' })];
    const hourly = this.deps.hourly;
    if (hourly) {
      this.tasks.push(
        cron.schedule('17 * * * *', () => {
          hourly().catch((error: unknown) => this.deps.log.error({ err: error }, 'hourly work failed'));
        }),
      );
    }
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const task of this.tasks) await task.stop();
    this.tasks = [];
    clearTimeout(this.timer);
    await this.running;
  }

  /** Run a pass now: something was written, or the clock moved. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.poke();
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.arm();
      }
    });
  }

  /** Resolves when no pass is running and nothing is due right now (for tests and the demo). */
  async idle(): Promise<void> {
    while (this.running || this.again) await (this.running ?? Promise.resolve());
  }

  /**
   * Sweeps, then keeps up to `concurrency` jobs running, claiming the next due job (revocations first) as soon
   * as a slot frees, so one slow job never holds back the others. A deadline that comes while jobs run is swept
   * when it comes, not once the last of them is done: slow jobs (Boundary sign-outs against a slow controller)
   * keep a pass going, and must not hold back the end of other grants.
   */
  private async pass(): Promise<void> {
    try {
      this.sweep();
      const running = new Map<Promise<void>, StoredJob['kind']>();
      const start = (job: StoredJob) => {
        const run: Promise<void> = this.run(job).finally(() => running.delete(run));
        running.set(run, job.kind);
      };
      for (;;) {
        let sweepAt = this.deps.nextSweepAt();
        if (!this.stopped) {
          const now = this.deps.clock.now();
          if (sweepAt !== undefined && sweepAt <= now) {
            this.sweep();
            sweepAt = this.deps.nextSweepAt();
          }
          this.fill(now, running, start);
        }
        if (running.size === 0) return;
        await this.nextEvent([...running.keys()], sweepAt);
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'scheduler pass failed');
    }
  }

  /** Claims due work for the free slots: grants and revocations first, then Boundary sign-outs, then messages. */
  private fill(now: number, running: Map<Promise<void>, StoredJob['kind']>, start: (job: StoredJob) => void): void {
    const claim = (limit: number, kinds: readonly StoredJob['kind'][]) => {
      if (limit > 0) for (const job of this.deps.jobs.claimDue(now, limit, this.leaseMs, kinds)) start(job);
    };
    claim(this.concurrency - running.size, ACCESS_JOBS);
    const signOuts = [...running.values()].filter((kind) => kind === 'sign_out').length;
    claim(Math.min(this.roomBeyondAccess([...running.values()]), SIGN_OUT_SLOTS - signOuts), ['sign_out']);
    claim(this.roomBeyondAccess([...running.values()]), ['notify']);
  }

  /** Free slots that sign-outs and messages may take: never those reserved for grants and revocations. */
  private roomBeyondAccess(running: StoredJob['kind'][]): number {
    const others = running.filter((kind) => kind === 'sign_out' || kind === 'notify').length;
    return Math.min(this.concurrency - running.length, Math.max(1, this.concurrency - RESERVED_FOR_ACCESS) - others);
  }

  private sweep(): void {
    const swept = this.deps.sweep();
    if (swept.timedOut + swept.expired + swept.warned > 0) this.deps.log.info(swept, 'sweep');
  }

  /** Until a job finishes, someone wakes the scheduler, or the next deadline comes. */
  private async nextEvent(running: Promise<void>[], sweepAt: number | undefined): Promise<void> {
    const poked = new Promise<void>((resolve) => {
      this.poke = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      if (sweepAt === undefined || this.stopped) return;
      timer = setTimeout(resolve, Math.max(0, Math.min(sweepAt - this.deps.clock.now(), MAX_IDLE_MS)));
    });
    try {
      await Promise.race([...running, poked, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(job: StoredJob): Promise<void> {
    try {
      const outcome = await this.deps.runJob(job);
      const fields = { jobId: job.id, kind: job.kind, requestId: job.requestId, attempt: job.attempts, result: outcome.result };
      if (outcome.result === 'done') this.deps.log.info(fields, outcome.detail);
      else this.deps.log.warn(fields, outcome.detail);
    } catch (error) {
      // A bug, not a service failure: leave the job leased; it runs again when the lease runs out.
      this.deps.log.error({ err: error, jobId: job.id, kind: job.kind, requestId: job.requestId }, 'job crashed');
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const next = Math.min(this.deps.jobs.nextRunAt() ?? Number.POSITIVE_INFINITY, this.deps.nextSweepAt() ?? Number.POSITIVE_INFINITY);
    const delay = Math.max(0, Math.min(next - now, MAX_IDLE_MS));
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }
}
