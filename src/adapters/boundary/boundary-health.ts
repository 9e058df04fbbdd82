// Whether Boundary answers the bot, for /healthz. Checked with one cheap signed-in call under a short deadline,
// and remembered a few seconds, so that health checks never pile calls onto a slow controller.

import type { OutsideFailure } from '../../application/ports.js';

export type Reachability = { ok: true } | { ok: false; error: string };

export interface BoundaryHealthOptions {
  /** The bot's clock, in milliseconds. */
  now: () => number;
  /** How long a check's answer is reused (default 5 s). */
  ttlMs?: number;
  /** How long a check may wait for Boundary (default 2 s). */
  timeoutMs?: number;
}

const DEFAULT_TTL_MS = 5000;
const DEFAULT_TIMEOUT_MS = 2000;

export class BoundaryHealth {
  private last: { at: number; answer: Promise<Reachability> } | undefined;

  constructor(
    private readonly probe: () => Promise<{ ok: true } | OutsideFailure>,
    private readonly options: BoundaryHealthOptions,
  ) {}

  /** The last answer while it is fresh (a check in flight included), else a new check. */
  check(): Promise<Reachability> {
    const now = this.options.now();
    if (this.last && now - this.last.at < (this.options.ttlMs ?? DEFAULT_TTL_MS)) return this.last.answer;
    const answer = this.checkNow();
    this.last = { at: now, answer };
    return answer;
  }

  private async checkNow(): Promise<Reachability> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<OutsideFailure>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, kind: 'transient', message: `Boundary did not answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([this.probe().catch((error: unknown) => failure(error)), deadline]);
      return result.ok ? { ok: true } : { ok: false, error: result.message };
    } finally {
      clearTimeout(timer);
    }
  }
}

function failure(error: unknown): OutsideFailure {
  return { ok: false, kind: 'transient', message: error instanceof Error ? error.message : String(error) };
}
