import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pacer } from '../../../src/adapters/common/pacer.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('pacer', () => {
  it('lets the first caller through at once and spaces the others 1/rate of a second apart', async () => {
    const pace = pacer(25);
    const through: number[] = [];
    for (let call = 0; call < 4; call++) void pace().then(() => through.push(Date.now()));
    await vi.advanceTimersByTimeAsync(200);
    expect(through).toEqual([0, 40, 80, 120]);
  });

  it('does not save up: after a quiet spell the next caller goes at once, and the one after waits again', async () => {
    const pace = pacer(25);
    await pace();
    await vi.advanceTimersByTimeAsync(1000);
    const through: number[] = [];
    void pace().then(() => through.push(Date.now()));
    void pace().then(() => through.push(Date.now()));
    await vi.advanceTimersByTimeAsync(100);
    expect(through).toEqual([1000, 1040]);
  });
});
