// Faults a test asks a simulator to inject: per route (a Slack method, or a Graph or Boundary method and path
// pattern), a delay, an HTTP status (429 or 503 with Retry-After, 5xx, a permanent 403), or a dropped
// connection, before the request runs or (Graph) after it has taken effect; for a number of requests or for a
// time window on the simulator's clock. The Graph and Boundary servers answer faults through the helpers below.

import type { IncomingMessage } from 'node:http';

export interface Fault {
  /** A Slack method name, or for Graph and Boundary "METHOD /path" matched as a prefix or a RegExp. */
  route: string | RegExp;
  latencyMs?: number;
  status?: number;
  retryAfterSeconds?: number;
  /** The error body to answer with, for simulators whose errors carry one. */
  error?: { code: string; message: string };
  drop?: boolean;
  /**
   * Graph only: let the request take effect first, then answer with the fault (`drop` or `status`): the write happened but
   * the client never learns it did, as after a gateway timeout.
   */
  afterWrite?: boolean;
  /** How many requests it hits; Infinity for a lasting fault. Default 1. */
  times?: number;
  /** Instead of `times`: every matching request for this long on the simulator's clock, from when it is added. */
  forMs?: number;
}

type Planned = Fault & { left: number; until: number };

export class FaultPlan {
  private readonly faults: Planned[] = [];
  readonly hits: { route: string; fault: Fault }[] = [];

  /** `now`: the simulator's clock, which a test may move; timed faults run out on it. */
  constructor(private readonly now: () => number = Date.now) {}

  add(fault: Fault): void {
    const timed = fault.forMs !== undefined;
    this.faults.push({
      ...fault,
      left: timed ? Number.POSITIVE_INFINITY : (fault.times ?? 1),
      until: timed ? this.now() + (fault.forMs ?? 0) : Number.POSITIVE_INFINITY,
    });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The fault that hits `route` now, spending one use: a timed fault in its window first, else the first with uses left. */
  take(route: string): Fault | undefined {
    const now = this.now();
    const hitting = (candidate: Planned) =>
      candidate.left > 0 &&
      candidate.until > now &&
      (typeof candidate.route === 'string' ? route.startsWith(candidate.route) : candidate.route.test(route));
    const fault = this.faults.find((candidate) => candidate.forMs !== undefined && hitting(candidate)) ?? this.faults.find(hitting);
    if (!fault) return undefined;
    fault.left -= 1;
    this.hits.push({ route, fault });
    return fault;
  }
}

/** Holds the request for the fault's latency, if it has one. */
export async function waitOut(fault: Fault | undefined): Promise<void> {
  if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
}

/**
 * Answers with the fault's dropped connection or error status (with Retry-After when it has one); `send` writes
 * the simulator's own error body for the status. Returns what the client saw (-1 for a dropped connection), or
 * undefined when the fault does neither and the request goes on.
 */
export function answerFault(
  fault: Fault | undefined,
  request: IncomingMessage,
  send: (status: number, headers: Record<string, string>) => void,
): number | undefined {
  if (fault?.drop) {
    request.socket.destroy();
    return -1;
  }
  if (!fault?.status) return undefined;
  send(fault.status, fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
  return fault.status;
}
