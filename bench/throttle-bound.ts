// Grants falling due faster than Graph lets them be removed: 10,000 ending within 20 s (500 a second) against
// 200 writes a second. The one-minute run never reaches the throttle (167 a second); this one shows whether the
// bot then keeps Graph busy at the rate it allows, and how often it runs into a 429 on the way.

import { earliestFinish, GRANTS, mb, ms, percentile, REPLICAS, record, type SeededPostgres, SQLITE, seconds, THROTTLE } from './measure.js';
import { type RevocationRun, revocationRun } from './revocations.js';

const SPREAD_MS = 20_000;

export async function benchThrottleBound(postgres: SeededPostgres): Promise<void> {
  report(SQLITE, await revocationRun({ replicas: 1, count: GRANTS, spreadMs: SPREAD_MS, warningsSent: true }));
  report(REPLICAS, await revocationRun({ postgres, replicas: 2, count: GRANTS, spreadMs: SPREAD_MS, warningsSent: true }));
}

function report(setup: string, run: RevocationRun): void {
  const { plan, watch } = run;
  const lags = watch.lags(plan);
  const allowed = THROTTLE.writes / (THROTTLE.windowMs / 1000);
  const due = plan.count / (plan.spreadMs / 1000);
  const label = `${plan.count} grants ending in ${plan.spreadMs / 1000} s`;
  record(
    `throttle-bound: revocation lag, ${label}: p50 / p99`,
    `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))}`,
    'bounded by throttling',
    setup,
  );
  const { first, last } = watch.span();
  const achieved = plan.count / Math.max(1, (last - first) / 1000);
  record(
    'throttle-bound: revocations per second, achieved / allowed',
    `${achieved.toFixed(0)} / ${allowed.toFixed(0)} (due ${due.toFixed(0)}; ratio ${(achieved / allowed).toFixed(2)})`,
    'ratio ≥ 0.95',
    setup,
  );
  // A sliding window lets a full window's writes through at once, so a client that wastes nothing finishes a
  // little sooner than count / rate: this is the figure to compare with.
  const earliest = earliestFinish(plan, THROTTLE) - plan.endsFrom;
  record(
    'throttle-bound: first end → last removal, measured / earliest the throttle allows',
    `${seconds(last - plan.endsFrom)} / ${seconds(earliest)}`,
    'close to the earliest',
    setup,
  );
  record('throttle-bound: Graph 429 answers', String(watch.throttled()), 'few (Retry-After honoured)', setup);
  // A 429 costs its job an attempt; the fifth raises a "revocation still failing" alert to the approvers.
  record(
    'throttle-bound: revocation jobs retried / most attempts of one',
    `${run.retried} / ${run.maxAttempts}`,
    'most attempts < 5',
    setup,
  );
  record(
    `throttle-bound: RSS with ${plan.count} active grants, at start / peak`,
    run.rssAtStart.map((rss, index) => `${mb(rss)} / ${mb(run.peakRss[index] ?? Number.NaN)}`).join('; '),
    'informational',
    setup,
  );
}
