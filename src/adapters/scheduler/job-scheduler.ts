// Runs the durable jobs and the sweep: a precise timer set for the next job or deadline (so a grant ends within
// moments of its scheduled end), a node-cron safety net every minute, and a catch-up pass at start.

import cron, { type ScheduledTask } from 'node-cron';
import type { JobOutcome } from '../../application/jobs/index.js';
import type { Clock, JobQueue, StoredJob } from '../../application/ports.js';
import { changedBy, type SweepResult } from '../../application/sweep.js';
import type { Logger } from '../../logger.js';

export interface SchedulerDeps {
  jobs: JobQueue;
  clock: Clock;
  log: Logger;
  runJob: (job: StoredJob) => Promise<JobOutcome>;
  sweep: () => Promise<SweepResult>;
  nextSweepAt: () => Promise<number | undefined>;
  /** Hourly work, such as reconciliation with Graph. */
  hourly?: () => Promise<void>;
  /** Jobs run at once; Graph's throttling, not the bot, should bound revocation throughput. */
  concurrency?: number;
  /**
   * How long a claimed job stays ours without a heartbeat. Heartbeats renew it while the job runs, so this is
   * how soon another process takes over the jobs of one that died.
   */
  leaseMs?: number;
}

// Even with nothing scheduled, look again this often (a second instance may have written jobs).
const MAX_IDLE_MS = 30_000;
// Slots that messages and Boundary sign-outs may never take, so a burst of Slack news or a slow Boundary cannot
// delay a grant or a revocation.
const RESERVED_FOR_ACCESS = 4;
// While grants or revocations run, messages take at most this many slots. Fifty approvals at once queue fifty
// grants beside fifty messages (a card update, a thread reply, a DM and Home tabs each): with twelve slots the
// messages' Slack calls and reads ran beside the grants and held the later ones back (bench/profile-approve.ts).
// Messages wait seconds without harm; a grant is what the approver is waiting for.
const NOTIFY_BESIDE_ACCESS = 4;
const ACCESS_JOBS = ['revoke', 'cleanup', 'grant', 'extend'] as const;
// Boundary sign-outs have slots of their own, beside `concurrency`: a Boundary that answers slowly, or only at
// the timeout, takes nothing from Entra removals, grants and messages. A sign-out is some nine calls in turn, so
// with 40 ms a call 16 slots end about 45 people's sign-ins a second.
const SIGN_OUT_SLOTS = 16;
// ServiceNow change records have slots of their own too: a ServiceNow that answers slowly or not at all takes
// nothing from grants and removals (a required change holds only its own grant). A change is a few calls in turn.
const CHANGE_RECORD_SLOTS = 4;
// A lease is renewed this many times within its length, so one late heartbeat does not lose it.
const HEARTBEATS_PER_LEASE = 4;
export const DEFAULT_LEASE_MS = 8_000;

export class JobScheduler {
  private timer: NodeJS.Timeout | undefined;
  private tasks: ScheduledTask[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private armings = 0;
  private stopped = true;
  /** Wakes a running pass that is waiting for a job to finish, so new work gets a free slot at once. */
  private poke: () => void = () => {};
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly sweeps: Sweeps;

  constructor(private readonly deps: SchedulerDeps) {
    this.concurrency = deps.concurrency ?? 16;
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
    this.sweeps = new Sweeps(() => this.sweep(), deps.clock);
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
   * Keeps up to `concurrency` jobs running, claiming the next due job (revocations first) as soon as a slot
   * frees, so one slow job never holds back the others; and sweeps whenever a deadline has come, beside the
   * jobs. Neither waits for the other: slow jobs (Boundary sign-outs against a slow controller) must not hold
   * back the end of other grants, and a long sweep (grants falling due faster than they can be ended) must not
   * leave the slots of the revocations it queues idle.
   */
  private async pass(): Promise<void> {
    const running = new Map<Promise<void>, StoredJob>();
    const heartbeat = setInterval(() => this.renew([...running.values()]), this.leaseMs / HEARTBEATS_PER_LEASE);
    const sweeps = this.sweeps;
    sweeps.beginPass();
    try {
      sweeps.start();
      const start = (job: StoredJob) => {
        if (job.takenOver)
          this.deps.log.warn({ jobId: job.id, kind: job.kind, requestId: job.requestId }, 'job taken over: its lease ran out');
        const run: Promise<void> = this.run(job).finally(() => running.delete(run));
        running.set(run, job);
      };
      for (;;) {
        sweeps.throwIfFailed();
        // Read once a round only when it can change what happens: each read is a round trip, and a round comes
        // with every job that finishes.
        const sweepAt = sweeps.needsDeadline(this.deps.clock.now()) ? sweeps.nextAt(await this.deps.nextSweepAt()) : sweeps.lookAgainAt();
        if (!this.stopped) {
          const now = this.deps.clock.now();
          if (sweepAt !== undefined && sweepAt <= now) sweeps.start(sweepAt);
          // A slot freed while claiming is filled in the next round at once.
          if (await this.fill(now, running, start)) continue;
        }
        if (running.size === 0 && !sweeps.running) {
          sweeps.throwIfFailed();
          return;
        }
        await this.nextEvent([...running.keys(), ...(sweeps.running ? [sweeps.running] : [])], sweeps.running ? undefined : sweepAt);
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'scheduler pass failed');
      // Jobs already started finish (or their leases run out); the next pass starts from the store again.
      await Promise.allSettled([...running.keys(), sweeps.running]);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async sweep(): Promise<SweepResult> {
    const swept = await this.deps.sweep();
    if (changedBy(swept) > 0) this.deps.log.info(swept, 'sweep');
    return swept;
  }

  /**
   * Claims due work for the free slots: grants and revocations first, then messages; Boundary sign-outs and
   * ServiceNow change records in slots of their own. The slots are counted once, here: one freed while claiming waits for the next round, where it
   * goes to the most urgent kind, not to whichever is claimed last. True when a job finished meanwhile.
   */
  private async fill(now: number, running: Map<Promise<void>, StoredJob>, start: (job: StoredJob) => void): Promise<boolean> {
    const kinds = [...running.values()].map((job) => job.kind);
    const claim = async (limit: number, wanted: readonly StoredJob['kind'][]) => {
      if (limit <= 0) return;
      for (const job of await this.deps.jobs.claimDue(now, limit, this.leaseMs, wanted)) {
        start(job);
        kinds.push(job.kind);
      }
    };
    const count = (...counted: StoredJob['kind'][]) => kinds.filter((kind) => counted.includes(kind)).length;
    const freeShared = () => this.concurrency - count(...ACCESS_JOBS, 'notify');
    await claim(freeShared(), ACCESS_JOBS);
    await claim(SIGN_OUT_SLOTS - count('sign_out'), ['sign_out']);
    await claim(CHANGE_RECORD_SLOTS - count('change_record'), ['change_record']);
    // Messages may never take the slots reserved for grants and revocations, and take fewer while those run.
    const notifySlots = count(...ACCESS_JOBS) > 0 ? NOTIFY_BESIDE_ACCESS : Math.max(1, this.concurrency - RESERVED_FOR_ACCESS);
    await claim(Math.min(freeShared(), notifySlots - count('notify')), ['notify']);
    return running.size < kinds.length;
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

  /** Keeps the leases of running jobs: a job is taken over only when this process stops renewing it. */
  private renew(jobs: StoredJob[]): void {
    if (jobs.length === 0) return;
    this.deps.jobs.heartbeat(jobs, this.deps.clock.now(), this.leaseMs).catch((error: unknown) => {
      this.deps.log.error({ err: error }, 'lease heartbeat failed');
    });
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
    const generation = ++this.armings;
    this.nextWakeDelay().then(
      (delay) => this.setTimer(delay, generation),
      (error: unknown) => {
        this.deps.log.error({ err: error }, 'reading the next deadline failed');
        this.setTimer(MAX_IDLE_MS, generation);
      },
    );
  }

  private setTimer(delay: number, generation: number): void {
    // A wake may have started a pass while the deadline was read (that pass arms the timer when it ends), and
    // an older reading may land after a newer one: only the newest sets the timer.
    if (this.stopped || this.running || generation !== this.armings) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async nextWakeDelay(): Promise<number> {
    const [nextJob, nextSweep] = await Promise.all([this.deps.jobs.nextRunAt(this.deps.clock.now()), this.deps.nextSweepAt()]);
    const next = Math.min(nextJob ?? Number.POSITIVE_INFINITY, this.sweeps.nextAt(nextSweep) ?? Number.POSITIVE_INFINITY);
    return Math.max(0, Math.min(next - this.deps.clock.now(), MAX_IDLE_MS));
  }
}

// A sweep that changed nothing although something was due (another replica got there first, or the store lists
// a request the domain will not change) is not run again for this long, rather than at once, in a loop.
const QUIET_AFTER_EMPTY_SWEEP_MS = 1000;

/**
 * The scheduler's sweeps: one at a time, beside the jobs, a failure ending the pass it ran in; after a sweep
 * that changed nothing although something was due, quiet for a moment, across passes too.
 */
class Sweeps {
  running: Promise<void> | undefined;
  private failed: { error: unknown } | undefined;
  private quietUntil = 0;
  private startedAt = 0;
  private forDue = false;

  constructor(
    private readonly sweep: () => Promise<SweepResult>,
    private readonly clock: Clock,
  ) {}

  beginPass(): void {
    this.failed = undefined;
  }

  /**
   * `dueAt`: the deadline the store says has come. Without it (a pass sweeps once at its start, in case), a
   * sweep in a quiet moment is skipped. Told while a sweep runs, it marks that sweep as one for a deadline due
   * when it began, so that changing nothing makes it quiet.
   */
  start(dueAt?: number): void {
    const now = this.clock.now();
    if (this.running) {
      if (dueAt !== undefined && dueAt <= this.startedAt) this.forDue = true;
      return;
    }
    if (this.failed || (dueAt === undefined && now < this.quietUntil)) return;
    this.startedAt = now;
    this.forDue = dueAt !== undefined;
    this.running = this.sweep().then(
      (swept) => {
        this.running = undefined;
        if (this.forDue && changedBy(swept) === 0) this.quietUntil = this.clock.now() + QUIET_AFTER_EMPTY_SWEEP_MS;
      },
      (error: unknown) => {
        this.running = undefined;
        this.failed = { error };
      },
    );
  }

  /**
   * Whether the store's next deadline could start or mark a sweep now: not while a sweep for a due deadline
   * runs (it is marked already), nor in a quiet moment (nothing starts before it ends).
   */
  needsDeadline(now: number): boolean {
    return this.running ? !this.forDue : now >= this.quietUntil;
  }

  /** When a pass that did not read the deadline looks again: at the end of the running sweep, or of the quiet. */
  lookAgainAt(): number | undefined {
    return this.running ? undefined : this.quietUntil;
  }

  /** When the next sweep should run, given when the store says something falls due. */
  nextAt(dueAt: number | undefined): number | undefined {
    return dueAt === undefined ? undefined : Math.max(dueAt, this.quietUntil);
  }

  throwIfFailed(): void {
    if (this.failed) throw this.failed.error;
  }
}
