// The process's own metrics, as every Node service exposes them: prom-client's default metrics (CPU, resident
// memory, heap and heap spaces, event-loop lag, garbage collection, handles, file descriptors, Node version;
// github.com/siimon/prom-client#default-metrics), in the registry they are given.
//
// prom-client offers no way to stop them (github.com/siimon/prom-client/issues/494 and /issues/500): the event-loop
// monitor samples the loop every 10 ms and the GC observer is called at every collection, for as long as the
// process lives. A process that starts several bots (the tests do) would keep every stopped bot's pair running. So
// the two are caught as prom-client creates them, and stopped with the bot.

import perfHooks, { type IntervalHistogram, type PerformanceObserver } from 'node:perf_hooks';
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Starts the default metrics in `register`; the function returned stops what keeps them running. */
export function collectProcessMetrics(register: Registry): () => void {
  const monitors: IntervalHistogram[] = [];
  const observers: PerformanceObserver[] = [];
  const { monitorEventLoopDelay, PerformanceObserver: Observer } = perfHooks;
  // prom-client looks both up on the perf_hooks module while collectDefaultMetrics runs (synchronously), so
  // nothing else can create one of either in between.
  perfHooks.monitorEventLoopDelay = (options) => {
    const monitor = monitorEventLoopDelay(options);
    monitors.push(monitor);
    return monitor;
  };
  perfHooks.PerformanceObserver = class extends Observer {
    constructor(callback: ConstructorParameters<typeof Observer>[0]) {
      super(callback);
      observers.push(this);
    }
  };
  try {
    collectDefaultMetrics({ register });
  } finally {
    perfHooks.monitorEventLoopDelay = monitorEventLoopDelay;
    perfHooks.PerformanceObserver = Observer;
  }
  return () => {
    for (const monitor of monitors) monitor.disable();
    for (const observer of observers) observer.disconnect();
  };
}
