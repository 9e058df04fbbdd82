// One app-only token for every Graph call at once. ClientSecretCredential asks Entra again for each call that
// finds no token cached, so a burst of first calls (fifty people typing /jit after a restart) sent fifty token
// requests at once: each a TLS connection and a signed request, all on the event loop Slack's acks wait for
// (measured in a CPU profile of that burst: BENCHMARKS.md). Here concurrent callers share one request, and the
// token is reused until shortly before it expires.

import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

// Asked for again this long before it expires, so a call never leaves with a token about to lapse.
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export class SharedTokenCredential implements TokenCredential {
  private token: AccessToken | undefined;
  private pending: Promise<AccessToken | null> | undefined;
  private scopesKey = '';

  /** `now`: wall-clock time, the clock token expiry is counted on. */
  constructor(
    private readonly inner: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {}

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const key = ([] as string[]).concat(scopes).join(' ');
    // The bot asks for one scope only; another scope is asked for as such, never answered from this one's token.
    if (key !== this.scopesKey) {
      this.scopesKey = key;
      this.token = undefined;
      this.pending = undefined;
    }
    if (this.token && this.token.expiresOnTimestamp - this.now() > REFRESH_BEFORE_EXPIRY_MS) return Promise.resolve(this.token);
    this.pending ??= this.inner.getToken(scopes, options).then(
      (token) => {
        this.token = token ?? undefined;
        this.pending = undefined;
        return token;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }
}
