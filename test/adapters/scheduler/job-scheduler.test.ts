import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobScheduler, type SchedulerDeps } from '../../../src/adapters/scheduler/job-scheduler.js';
import type { JobOutcome } from '../../../src/application/jobs/index.js';
import type { JobQueue, StoredJob } from '../../../src/application/ports.js';
import type { JobKind } from '../../../src/domain/access-request.js';
import { createLogger } from '../../../src/logger.js';

const T0 = Date.UTC(2025, 0, 6, 9, 0);

/** A queue that hands out due jobs in the order of the kinds asked for, as the SQLite queue promises. */
class FakeJobQueue implements JobQueue {
  readonly queued: StoredJob[] = [];
  nextDue: number | undefined;
  /** Time left on another process's lease, which a shared store measures by its own clock. */
  leaseLeftMs: number | undefined;
  readonly beats: { ids: number[]; until: number }[] = [];
  private nextId = 1;

  add(kind: JobKind, count = 1): void {
    for (let i = 0; i < count; i++) {
      const id = this.nextId++;
      const event = kind === 'notify' ? ('granted' as const) : null;
      this.queued.push({
        id,
        kind,
        requestId: `req_${id}`,
        event,
        state: 'queued',
        attempts: 0,
        runAt: T0,
        lastError: null,
        takenOver: false,
      });
    }
  }

  async claimDue(
    _now: number,
    limit: number,
    _leaseMs: number,
    kinds: readonly JobKind[] = ['revoke', 'grant', 'change_record', 'sign_out', 'notify'],
  ): Promise<StoredJob[]> {
    const claimed = kinds.flatMap((kind) => this.queued.filter((job) => job.kind === kind)).slice(0, Math.max(0, limit));
    for (const job of claimed) this.queued.splice(this.queued.indexOf(job), 1);
    return claimed;
  }

  async complete(): Promise<boolean> {
    return true;
  }
  async retry(): Promise<boolean> {
    return true;
  }
  async bury(): Promise<boolean> {
    return true;
  }
  async heartbeat(leases: readonly StoredJob[], now: number, leaseMs: number): Promise<number> {
    this.beats.push({ ids: leases.map((lease) => lease.id), until: now + leaseMs });
    return leases.length;
  }
  async nextRunAt(now: number): Promise<number | undefined> {
    if (this.queued.length > 0) return Date.now();
    return this.leaseLeftMs === undefined ? this.nextDue : now + this.leaseLeftMs;
  }
}

/** Jobs that run until the test lets them finish. */
class HeldJobs {
  readonly started: StoredJob[] = [];
  private readonly release = new Map<number, () => void>();
  hold = true;

  run = (job: StoredJob): Promise<JobOutcome> => {
    this.started.push(job);
    if (!this.hold) return Promise.resolve({ result: 'done', detail: 'ran' });
    return new Promise((resolve) => this.release.set(job.id, () => resolve({ result: 'done', detail: 'ran' })));
  };

  finish(id: number): void {
    this.release.get(id)?.();
    this.release.delete(id);
  }

  finishAll(): void {
    for (const finish of this.release.values()) finish();
    this.release.clear();
  }

  get running(): number {
    return this.release.size;
  }
}

let queue: FakeJobQueue;
let jobs: HeldJobs;
let sweeps: number;
let scheduler: JobScheduler;

function startScheduler(overrides: Partial<SchedulerDeps> = {}): JobScheduler {
  scheduler = new JobScheduler({
    jobs: queue,
    clock: { now: () => Date.now() },
    log: createLogger('silent'),
    runJob: jobs.run,
    sweep: async () => {
      sweeps += 1;
      return { timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 };
    },
    nextSweepAt: async () => undefined,
    ...overrides,
  });
  scheduler.start();
  return scheduler;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  queue = new FakeJobQueue();
  jobs = new HeldJobs();
  sweeps = 0;
});

afterEach(async () => {
  jobs.hold = false;
  jobs.finishAll();
  await scheduler.stop();
  vi.useRealTimers();
});

describe('the job scheduler', () => {
  it('claims revocations before grants, and grants before notify jobs', async () => {
    queue.add('notify');
    queue.add('grant');
    queue.add('revoke');
    jobs.hold = false;
    startScheduler({ concurrency: 1 });
    await scheduler.idle();

    expect(jobs.started.map((job) => job.kind)).toEqual(['revoke', 'grant', 'notify']);
  });

  it('keeps slots free for grants and revocations while a burst of notify jobs runs', async () => {
    queue.add('notify', 50);
    startScheduler({ concurrency: 16 });
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.running).toBe(12);

    queue.add('grant');
    queue.add('revoke');
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(1);

    expect(jobs.started.slice(-2).map((job) => job.kind)).toEqual(['revoke', 'grant']);
    expect(jobs.running).toBe(14);
    expect(jobs.started.filter((job) => job.kind === 'notify')).toHaveLength(12);
  });

  it('gives messages a quarter of the slots while grants or revocations run, and their share back once those are done', async () => {
    queue.add('grant', 6);
    queue.add('notify', 20);
    startScheduler({ concurrency: 16 });
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.started.filter((job) => job.kind === 'grant')).toHaveLength(6);
    expect(jobs.started.filter((job) => job.kind === 'notify')).toHaveLength(4);

    for (const grant of jobs.started.filter((job) => job.kind === 'grant')) jobs.finish(grant.id);
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.running).toBe(12);
    expect(jobs.started.filter((job) => job.kind === 'notify')).toHaveLength(12);
  });

  it('gives Boundary sign-outs 16 slots of their own: however many wait, grants, revocations and messages keep theirs', async () => {
    queue.add('sign_out', 30);
    queue.add('notify', 20);
    startScheduler({ concurrency: 16 });
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.started.filter((job) => job.kind === 'sign_out')).toHaveLength(16);
    expect(jobs.started.filter((job) => job.kind === 'notify')).toHaveLength(12);

    queue.add('revoke', 5);
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.started.filter((job) => job.kind === 'revoke')).toHaveLength(4);
    expect(jobs.running).toBe(32);
  });

  it('gives ServiceNow change records 4 slots of their own: a ServiceNow that hangs holds up no grant or revocation', async () => {
    queue.add('change_record', 10);
    queue.add('grant', 20);
    startScheduler({ concurrency: 16 });
    await vi.advanceTimersByTimeAsync(1);
    expect(jobs.started.filter((job) => job.kind === 'change_record')).toHaveLength(4);
    expect(jobs.started.filter((job) => job.kind === 'grant')).toHaveLength(16);
  });

  it('runs the pass again when woken while a pass is running', async () => {
    queue.add('grant');
    startScheduler();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(1);

    scheduler.wake();
    jobs.finishAll();
    await scheduler.idle();

    expect(sweeps).toBe(2);
  });

  it('sleeps until the next job or deadline is due, then runs a pass', async () => {
    queue.nextDue = T0 + 5000;
    startScheduler();
    await scheduler.idle();
    expect(sweeps).toBe(1);

    await vi.advanceTimersByTimeAsync(4999);
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(2);
  });

  it('wakes when a lease another process holds runs out, told by the queue in the scheduler’s own clock', async () => {
    queue.leaseLeftMs = 5000;
    startScheduler();
    await scheduler.idle();
    expect(sweeps).toBe(1);

    await vi.advanceTimersByTimeAsync(4999);
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(2);
  });

  it('sweeps a deadline that comes while a slow job keeps the pass running', async () => {
    queue.add('revoke');
    startScheduler({ nextSweepAt: async () => (sweeps < 2 ? T0 + 5000 : undefined) });
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(1);
    expect(jobs.running).toBe(1);

    await vi.advanceTimersByTimeAsync(4999);
    expect(sweeps).toBe(2);
    expect(jobs.running).toBe(1);
  });

  it('runs jobs while a long sweep is still going', async () => {
    let endSweep = () => {};
    queue.add('revoke', 3);
    startScheduler({
      sweep: () => {
        sweeps += 1;
        return new Promise((resolve) => {
          endSweep = () => resolve({ timedOut: 0, expired: 100, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
        });
      },
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(1);
    expect(jobs.running).toBe(3);
    endSweep();
  });

  it('reads the next deadline once for a sweep that runs, not again for every job that finishes meanwhile', async () => {
    let endSweep = () => {};
    let reads = 0;
    queue.add('revoke', 10);
    startScheduler({
      nextSweepAt: async () => {
        reads += 1;
        return T0;
      },
      // The first sweep runs until the test ends it; the next one finds nothing left.
      sweep: () => {
        sweeps += 1;
        if (sweeps > 1) return Promise.resolve({ timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
        return new Promise((resolve) => {
          endSweep = () => resolve({ timedOut: 0, expired: 100, warned: 0, realerted: 0, reminded: 0, escalated: 0 });
        });
      },
    });
    await vi.advanceTimersByTimeAsync(1);
    const readsAtStart = reads;
    for (const job of [...jobs.started]) {
      jobs.finish(job.id);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(jobs.started).toHaveLength(10);
    expect(reads).toBe(readsAtStart);
    endSweep();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(2);
    // One read for the sweep after it; the pass then ends, and one more sets the timer for the next deadline.
    expect(reads).toBe(readsAtStart + 2);
  });

  it('sweeps a deadline that comes just after the pass began, on time', async () => {
    startScheduler({ nextSweepAt: async () => (sweeps < 2 ? T0 + 200 : undefined) });
    await scheduler.idle();
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(sweeps).toBe(2);
  });

  it('does not sweep in a loop when a deadline the store reports as due changes nothing: it looks again a second later', async () => {
    queue.add('revoke');
    startScheduler({ nextSweepAt: async () => T0 });
    await vi.advanceTimersByTimeAsync(1);
    // The pass's first sweep, which found the deadline due.
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(998);
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(sweeps).toBe(2);
  });

  it('stays quiet across passes too: with nothing running, it does not start pass after pass for a due deadline that changes nothing', async () => {
    startScheduler({ nextSweepAt: async () => T0 });
    await vi.advanceTimersByTimeAsync(999);
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(sweeps).toBe(2);
  });

  it('renews the leases of the jobs still running, four times a lease, and stops when they end', async () => {
    queue.add('grant', 2);
    startScheduler({ leaseMs: 8_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(jobs.running).toBe(2);

    await vi.advanceTimersByTimeAsync(2_000);
    expect(queue.beats).toEqual([{ ids: [1, 2], until: T0 + 10_000 }]);
    jobs.finish(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(queue.beats.at(-1)).toEqual({ ids: [2], until: T0 + 12_000 });
    jobs.finishAll();
    await scheduler.idle();
    const beats = queue.beats.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.beats).toHaveLength(beats);
  });

  it('looks again after at most 30 seconds when nothing is scheduled', async () => {
    startScheduler({ nextSweepAt: async () => T0 + 10 * 60_000 });
    await scheduler.idle();

    await vi.advanceTimersByTimeAsync(29_999);
    expect(sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toBe(2);
  });
});
