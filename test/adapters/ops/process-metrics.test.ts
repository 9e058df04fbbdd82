import { register as globalRegistry, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { collectProcessMetrics } from '../../../src/adapters/ops/process-metrics.js';
import { causeGarbageCollection, stallEventLoop } from '../../support/process-activity.js';
import { parseExposition } from '../../support/prometheus-text.js';
import { waitFor } from '../../support/wait-for.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function collecting(): Registry {
  const register = new Registry();
  stops.push(collectProcessMetrics(register));
  return register;
}

async function sample(register: Registry, name: string): Promise<number> {
  const family = parseExposition(await register.metrics()).get(name.replace(/_count$/, ''));
  return (family?.samples ?? []).filter((one) => one.name === name).reduce((sum, one) => sum + one.value, 0);
}

describe('collectProcessMetrics', () => {
  it('puts prom-client’s default metrics in the registry it is given, once for each, and none in the global one', async () => {
    const first = collecting();
    const second = collecting();
    for (const register of [first, second]) {
      const names = [...parseExposition(await register.metrics()).keys()];
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
    }
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('stops observing garbage collections when stopped', async () => {
    const register = new Registry();
    const stop = collectProcessMetrics(register);
    stops.push(stop);
    await waitFor(
      async () => {
        await causeGarbageCollection();
        return (await sample(register, 'nodejs_gc_duration_seconds_count')) > 0;
      },
      10_000,
      'a collection counted',
    );

    stop();
    const counted = await sample(register, 'nodejs_gc_duration_seconds_count');
    await causeGarbageCollection();
    expect(await sample(register, 'nodejs_gc_duration_seconds_count')).toBe(counted);
  });

  it('stops sampling the event loop when stopped', async () => {
    const register = new Registry();
    const stop = collectProcessMetrics(register);
    stops.push(stop);
    // The monitor measures from its previous tick: let it tick once first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stallEventLoop(100);
    // A timer due every 10 ms fired some 90 ms late.
    expect(await sample(register, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0.05);

    stop();
    await stallEventLoop(100);
    // Each scrape starts the monitor's figures afresh: a stopped monitor has recorded nothing since.
    expect(await sample(register, 'nodejs_eventloop_lag_max_seconds')).toBe(0);
  });
});
