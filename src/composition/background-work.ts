// The bot's background work: the durable jobs (grants, removals, messages), the sweep of what time alone
// changes, and reconciliation with Graph at start and hourly. Work every replica schedules (the sweep,
// reconciliation) is done by one replica at a time.

import { pacer } from '../adapters/common/pacer.js';
import type { BotMetrics } from '../adapters/ops/bot-metrics.js';
import { JobScheduler } from '../adapters/scheduler/job-scheduler.js';
import { type JobDeps, runJob } from '../application/jobs/index.js';
import { type ReconcileReport, reconcile } from '../application/reconcile.js';
import { nextSweepAt, sweep } from '../application/sweep.js';
import type { Logger } from '../logger.js';
import { type PolicyHolder, readingPolicy } from './policy-holder.js';
import type { Storage } from './storage.js';

// Graph checks a second when reconciling: 10,000 active grants in under seven minutes, a small share of what
// Graph allows an app, and little of the bot's time beside grants and ends falling due meanwhile.
const RECONCILE_CHECKS_PER_SECOND = 25;
const NOTHING_SWEPT = { timedOut: 0, expired: 0, warned: 0, realerted: 0, reminded: 0, escalated: 0 };

/** The outside world the jobs act on (JobDeps' own optional parts), and what this part adds to run them. */
export type BackgroundWorkDeps = Pick<
  JobDeps,
  'clock' | 'access' | 'notifier' | 'approverDirectory' | 'problems' | 'boundary' | 'changes' | 'onCall'
> & {
  storage: Storage;
  policy: PolicyHolder;
  metrics: BotMetrics;
  log: Logger;
  /** How long a claimed job stays leased without a heartbeat before another process takes it over. */
  leaseMs?: number;
};

export interface BackgroundWork {
  scheduler: JobScheduler;
  /** Compares Graph with the store and repairs the difference, here and now. */
  reconcileNow(): Promise<ReconcileReport>;
  /** Runs again the jobs a dead process left leased, follows the other replicas' work, and starts the timers. */
  start(): Promise<void>;
  /** Reconciles once in the background, unless another replica is already reconciling. */
  reconcileAtStart(): void;
}

export function createBackgroundWork(deps: BackgroundWorkDeps): BackgroundWork {
  const { storage, policy, metrics, log, leaseMs, ...outside } = deps;
  const { clock } = outside;
  const jobDeps = readingPolicy(policy, {
    ...outside,
    requests: storage.requests,
    jobs: storage.jobs,
    pace: pacer(RECONCILE_CHECKS_PER_SECOND),
  });
  const scheduler = new JobScheduler({
    hourly: () => reconcileShared(),
    jobs: storage.jobs,
    clock,
    log: log.child({ module: 'scheduler' }),
    runJob: async (job) => {
      const outcome = await runJob(jobDeps, job);
      metrics.observe(job, outcome);
      return outcome;
    },
    // Every replica's timer fires for the same deadlines: one replica at a time sweeps, so that two do not
    // both try each change (the loser's try is refused, but costs it a read and a write). One that finds the
    // sweep taken looks again a second later, and takes over within that second if the sweeping one died.
    sweep: async () => (await storage.alone('sweep', () => sweep(jobDeps))) ?? NOTHING_SWEPT,
    nextSweepAt: () => nextSweepAt(jobDeps),
    ...(leaseMs !== undefined && { leaseMs }),
  });

  async function reconcileNow(): Promise<ReconcileReport> {
    const report = await reconcile(jobDeps);
    const repaired =
      report.removedOutside.length +
      report.lingering.length +
      report.cleanedUp.length +
      report.addedSince.length +
      report.mismatched.length;
    const level = repaired > 0 ? 'warn' : 'info';
    log[level]({ module: 'reconcile', ...report }, 'reconciled with Graph');
    scheduler.wake();
    return report;
  }
  // At start and hourly every replica would reconcile; one of them at a time does.
  async function reconcileShared(): Promise<void> {
    if (!(await storage.alone('reconcile', reconcileNow))) log.info({ module: 'reconcile' }, 'another replica is reconciling');
  }

  return {
    scheduler,
    reconcileNow,
    async start() {
      // Jobs a dead process left leased run now, rather than when their lease would run out.
      const released = await storage.recoverLeases(clock.now());
      if (released > 0) log.warn({ released }, 'jobs left running by a stopped process run again now');
      await storage.watchOtherReplicas(() => scheduler.wake());
      scheduler.start();
    },
    reconcileAtStart() {
      reconcileShared().catch((error: unknown) => log.error({ err: error }, 'reconciliation at start failed'));
    },
  };
}
