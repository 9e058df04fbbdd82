// The process's own metrics, as every Node service exposes them: prom-client's default metrics (CPU, resident
// memory, heap and heap spaces, event-loop lag, garbage collection, handles, file descriptors, Node version;
// github.com/siimon/prom-client#default-metrics).
//
// They describe the process, not a bot, so the process collects them once, in a registry of its own that every
// bot's /metrics serves beside its own metrics. prom-client offers no way to stop them
// (github.com/siimon/prom-client/issues/494 and /issues/500): its event-loop monitor and GC observer run for as
// long as the process lives, which neither keeps alive; collected once, a process that starts many bots (the
// tests do) still runs one pair.

import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/** The registry holding the default metrics, collecting from the first call on. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
