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
// Slots that messages may never take, so a burst of Slack news cannot delay a grant or a revocation.
const RESERVED_FOR_ACCESS = 4;
const ACCESS_JOBS = ['revoke', 'grant'] as const;

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
   * as a slot frees, so one slow job never holds back the others.
   */
  private async pass(): Promise<void> {
    try {
      const swept = this.deps.sweep();
      if (swept.timedOut + swept.expired + swept.warned > 0) this.deps.log.info(swept, 'sweep');
      const running = new Map<Promise<void>, StoredJob['kind']>();
      const start = (job: StoredJob) => {
        const run: Promise<void> = this.run(job).finally(() => running.delete(run));
        running.set(run, job.kind);
      };
      for (;;) {
        if (!this.stopped) {
          const now = this.deps.clock.now();
          for (const job of this.deps.jobs.claimDue(now, this.concurrency - running.size, this.leaseMs, ACCESS_JOBS)) start(job);
          const messages = [...running.values()].filter((kind) => kind === 'notify').length;
          const room = Math.min(this.concurrency - running.size, Math.max(1, this.concurrency - RESERVED_FOR_ACCESS) - messages);
          if (room > 0) for (const job of this.deps.jobs.claimDue(now, room, this.leaseMs, ['notify'])) start(job);
        }
        if (running.size === 0) return;
        const poked = new Promise<void>((resolve) => {
          this.poke = resolve;
        });
        await Promise.race([...running.keys(), poked]);
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'scheduler pass failed');
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
