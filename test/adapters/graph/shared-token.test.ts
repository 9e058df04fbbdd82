import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { SharedTokenCredential } from '../../../src/adapters/graph/shared-token.js';

const HOUR = 3_600_000;
const SCOPE = 'https://graph.microsoft.com/.default';

/** A credential that answers each request when told to, and counts the requests. */
class CountingCredential implements TokenCredential {
  requests = 0;
  private answers: ((token: AccessToken | Error) => void)[] = [];

  getToken(): Promise<AccessToken | null> {
    this.requests += 1;
    return new Promise((resolve, reject) => {
      this.answers.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
    });
  }

  answer(token: AccessToken | Error): void {
    for (const answer of this.answers.splice(0)) answer(token);
  }
}

describe('the shared Graph token', () => {
  it('asks Entra once for a burst of concurrent first calls, and hands every caller that token', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => 0);
    const calls = Array.from({ length: 50 }, () => shared.getToken(SCOPE));
    inner.answer({ token: 'first', expiresOnTimestamp: HOUR });
    expect((await Promise.all(calls)).map((token) => token?.token)).toEqual(Array(50).fill('first'));
    expect(inner.requests).toBe(1);
  });

  it('reuses the token until five minutes before it expires, then asks again', async () => {
    let now = 0;
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => now);
    const first = shared.getToken(SCOPE);
    inner.answer({ token: 'first', expiresOnTimestamp: HOUR });
    await first;
    now = HOUR - 5 * 60_000 - 1;
    expect((await shared.getToken(SCOPE))?.token).toBe('first');
    now = HOUR - 5 * 60_000;
    const second = shared.getToken(SCOPE);
    inner.answer({ token: 'second', expiresOnTimestamp: 2 * HOUR });
    expect((await second)?.token).toBe('second');
    expect(inner.requests).toBe(2);
  });

  it('hands a refusal to every waiting caller, and asks again on the next call', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => 0);
    const calls = [shared.getToken(SCOPE), shared.getToken(SCOPE)];
    inner.answer(new Error('AADSTS7000215: Invalid client secret provided.'));
    for (const call of calls) await expect(call).rejects.toThrow(/AADSTS7000215/);
    const again = shared.getToken(SCOPE);
    inner.answer({ token: 'after', expiresOnTimestamp: HOUR });
    expect((await again)?.token).toBe('after');
    expect(inner.requests).toBe(2);
  });

  it('never answers one scope with another scope’s token', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => 0);
    const graph = shared.getToken(SCOPE);
    inner.answer({ token: 'graph', expiresOnTimestamp: HOUR });
    await graph;
    const other = shared.getToken('https://management.azure.com/.default');
    inner.answer({ token: 'other', expiresOnTimestamp: HOUR });
    expect((await other)?.token).toBe('other');
  });
});
