import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { processMetrics } from '../../../src/adapters/ops/process-metrics.js';
import { causeGarbageCollection, stallEventLoop } from '../../support/process-activity.js';
import { parseExposition } from '../../support/prometheus-text.js';
import { waitFor } from '../../support/wait-for.js';

async function sample(name: string): Promise<number> {
  const family = parseExposition(await processMetrics().metrics()).get(name.replace(/_count$/, ''));
  return (family?.samples ?? []).filter((one) => one.name === name).reduce((sum, one) => sum + one.value, 0);
}

describe('processMetrics', () => {
  it('collects prom-client’s default metrics once for the process, in a registry of its own and not the global one', async () => {
    expect(processMetrics()).toBe(processMetrics());
    const names = [...parseExposition(await processMetrics().metrics()).keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_external_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_gc_duration_seconds',
        'nodejs_active_handles_total',
      ]),
    );
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('counts garbage collections', async () => {
    const before = await sample('nodejs_gc_duration_seconds_count');
    await waitFor(
      async () => {
        await causeGarbageCollection();
        return (await sample('nodejs_gc_duration_seconds_count')) > before;
      },
      10_000,
      'a collection counted',
    );
  });

  it('sees the event loop stall', async () => {
    processMetrics();
    // The monitor measures from its previous tick: let it tick once first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stallEventLoop(100);
    // A timer due every 10 ms fired some 90 ms late.
    expect(await sample('nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0.05);
  });
});
