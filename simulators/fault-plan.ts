// Faults a test asks a simulator to inject: per route (a Slack method, or a Graph method and path pattern),
// a delay, an HTTP status (429 with Retry-After, 5xx, a permanent 403), or a dropped connection, before the
// request runs or (Graph) after it has taken effect.

export interface Fault {
  /** A Slack method name, or for Graph "METHOD /path" matched as a prefix or a RegExp. */
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
}

export class FaultPlan {
  private readonly faults: (Fault & { left: number })[] = [];
  readonly hits: { route: string; fault: Fault }[] = [];

  add(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The first fault that matches `route` and has uses left, spending one use. */
  take(route: string): Fault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        candidate.left > 0 && (typeof candidate.route === 'string' ? route.startsWith(candidate.route) : candidate.route.test(route)),
    );
    if (!fault) return undefined;
    fault.left -= 1;
    this.hits.push({ route, fault });
    return fault;
  }
}
