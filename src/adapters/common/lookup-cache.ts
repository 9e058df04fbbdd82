// Answers of an outside lookup (a Slack profile, an Entra account), reused for a while: an approver deciding ten
// requests, or fifty people clicking at once, asks Slack and Graph once instead of once per click.

/** Past this many answers kept, the expired ones are dropped, then the oldest. */
const MAX_KEPT = 10_000;

/**
 * Keeps an answer for `ttlMs` when `keep` says it may be reused (a success; a failure is asked again next
 * time), and gives callers asking for the same key while the first ask is under way that ask's answer.
 */
export class LookupCache<V> {
  private readonly kept = new Map<string, { value: V; until: number }>();
  private readonly asking = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly keep: (value: V) => boolean,
  ) {}

  get(key: string, ask: () => Promise<V>): Promise<V> {
    const kept = this.kept.get(key);
    if (kept && kept.until > this.now()) return Promise.resolve(kept.value);
    this.kept.delete(key);
    const underWay = this.asking.get(key);
    if (underWay) return underWay;
    const answer = ask()
      .then((value) => {
        if (this.keep(value)) this.store(key, value);
        return value;
      })
      .finally(() => this.asking.delete(key));
    this.asking.set(key, answer);
    return answer;
  }

  private store(key: string, value: V): void {
    const now = this.now();
    if (this.kept.size >= MAX_KEPT) {
      for (const [old, entry] of this.kept) if (entry.until <= now) this.kept.delete(old);
      const oldest = this.kept.keys().next();
      if (this.kept.size >= MAX_KEPT && !oldest.done) this.kept.delete(oldest.value);
    }
    this.kept.set(key, { value, until: now + this.ttlMs });
  }
}
