import { describe, expect, it } from 'vitest';
import { atMostAtOnce } from '../../src/application/at-most.js';

/** A work that runs until it is told to end. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('a runner that lets a few works run at once', () => {
  it('runs at most the limit at once, starts the others in the order given, and hands each its own result', async () => {
    const run = atMostAtOnce(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    const results = gates.map(({ opened }, index) =>
      run(async () => {
        started.push(index);
        running += 1;
        most = Math.max(most, running);
        await opened;
        running -= 1;
        return index * 10;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    for (const { open } of gates) open();
    expect(await Promise.all(results)).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the place of a work that failed', async () => {
    const run = atMostAtOnce(1);
    await expect(run(async () => Promise.reject(new Error('Graph is down')))).rejects.toThrow('Graph is down');
    expect(await run(async () => 'next')).toBe('next');
  });
});
