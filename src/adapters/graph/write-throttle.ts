// Graph throttles an app's writes per tenant and says, with a 429 and Retry-After, when it will take the next one
// (https://learn.microsoft.com/graph/throttling). Every grant and removal job running meanwhile would still send
// its call and be refused in turn: with removals falling due faster than Graph allowed, the bench saw thousands
// of refusals, each one a request Graph counts against the app all the same. Once Graph has named a time, this
// holds the writes back until then: a short wait is waited out here, in the job's own slot, and the call then
// goes; a longer one is answered here, exactly as Graph would (429, Retry-After), and the job queue reschedules
// the job as it does any 429. Answering every held write at once was tried: each answer costs the job an
// attempt, and five attempts raise a "revocation still failing" alert — thousands of them in that run
// (measured: BENCHMARKS.md, What changed because of these measurements).
// Reads have a budget of their own and always go through, the POSTs that only read (checkMemberGroups and its
// kin) included.

import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { retryAfterMs } from '../common/http-answers.js';

// Below the Graph call's own deadline (GRAPH_TIMEOUT_MS, counted from before the wait), with room for the call.
export const MAX_HOLD_MS = 10_000;
const READING_ACTIONS = /\/(checkMemberGroups|checkMemberObjects|getMemberGroups|getMemberObjects)$/;

function isWrite(context: Context): boolean {
  if ((context.options?.method ?? 'GET').toUpperCase() === 'GET') return false;
  const url = typeof context.request === 'string' ? context.request : context.request.url;
  return !READING_ACTIONS.test(new URL(url).pathname);
}

export class WriteThrottleGate implements Middleware {
  private next: Middleware | undefined;
  /** When Graph takes writes again, on the bot's clock. */
  private openAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  async execute(context: Context): Promise<void> {
    const write = isWrite(context);
    for (let wait = this.openAt - this.now(); write && wait > 0; wait = this.openAt - this.now()) {
      if (wait > MAX_HOLD_MS) {
        context.response = heldBack(wait);
        return;
      }
      await sleep(wait, context.options?.signal ?? undefined);
    }
    await this.next?.execute(context);
    if (!write || context.response?.status !== 429) return;
    const after = retryAfterMs(context.response.headers);
    if (after !== undefined) this.openAt = Math.max(this.openAt, this.now() + after);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** Graph's own answer to a throttled write; Retry-After in fractional seconds, so the retry lands on the time. */
function heldBack(waitMs: number): Response {
  const body = {
    error: { code: 'TooManyRequests', message: `Not sent: Graph takes no writes from the app for ${Math.ceil(waitMs)} ms more.` },
  };
  return new Response(JSON.stringify(body), {
    status: 429,
    headers: { 'Content-Type': 'application/json', 'Retry-After': (waitMs / 1000).toFixed(3) },
  });
}

/** Waits, unless the call's deadline comes first: it then fails as the timed-out call it is. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const aborted = () => {
      done();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
  });
}
