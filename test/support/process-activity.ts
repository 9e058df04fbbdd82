// Makes the process do what its default metrics watch (collect garbage, stall the event loop), so that a test
// can see whether they are still watching.

import { PerformanceObserver } from 'node:perf_hooks';
import { waitFor } from './wait-for.js';

/** Allocates until the garbage collector has run, and returns once every GC observer has been told of it. */
export async function causeGarbageCollection(): Promise<void> {
  let seen = 0;
  const observer = new PerformanceObserver((list) => {
    seen += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await waitFor(
      () => {
        const garbage = Array.from({ length: 200_000 }, (_, index) => ({ index }));
        return garbage.length > 0 && seen > 0;
      },
      10_000,
      'a garbage collection',
    );
    // Node tells every observer of an entry in the same batch; a moment later the others have been told too.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    observer.disconnect();
  }
}

/** Keeps the event loop busy for `ms`, then lets it turn (so that a monitor's late timer fires). */
export async function stallEventLoop(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: nothing else runs meanwhile
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
