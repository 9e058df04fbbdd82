// Spaces calls out in time: each caller of the pause returned by `pacer` goes on no sooner than 1/rate of a
// second after the one before it, in the order they called.

export function pacer(perSecond: number, now: () => number = Date.now): () => Promise<void> {
  const intervalMs = 1000 / perSecond;
  let nextAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const at = Math.max(now(), nextAt);
    nextAt = at + intervalMs;
    const waitMs = at - now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  };
}
