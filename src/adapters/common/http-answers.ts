// Reading an outside service's HTTP answer, alike for every fetch-based client and for Graph: how long it asks
// to be left alone, and what a failed connection says in a person's words.

/** Retry-After in milliseconds: seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(headers: Pick<Headers, 'get'> | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Why a fetch got no answer: the timeout, the connection's error code, or the error's own message. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return `connection failed (${cause.code})`;
  return error instanceof Error ? error.message : String(error);
}
