import { describe, expect, it } from 'vitest';
import { LookupCache } from '../../../src/adapters/common/lookup-cache.js';

type Answer = { ok: true; value: string } | { ok: false };

function counting() {
  const asked: string[] = [];
  let clock = 0;
  const cache = new LookupCache<Answer>(
    1000,
    () => clock,
    (answer) => answer.ok,
  );
  const ask = (key: string, answer: Answer) => () => {
    asked.push(key);
    return Promise.resolve(answer);
  };
  return { cache, asked, ask, advance: (ms: number) => (clock += ms) };
}

describe('LookupCache', () => {
  it('reuses a success until it is ttl old, then asks again', async () => {
    const { cache, asked, ask, advance } = counting();
    expect(await cache.get('a', ask('a', { ok: true, value: 'first' }))).toEqual({ ok: true, value: 'first' });
    advance(999);
    expect(await cache.get('a', ask('a', { ok: true, value: 'second' }))).toEqual({ ok: true, value: 'first' });
    advance(1);
    expect(await cache.get('a', ask('a', { ok: true, value: 'second' }))).toEqual({ ok: true, value: 'second' });
    expect(asked).toEqual(['a', 'a']);
  });

  it('never keeps a failure', async () => {
    const { cache, asked, ask } = counting();
    expect(await cache.get('a', ask('a', { ok: false }))).toEqual({ ok: false });
    expect(await cache.get('a', ask('a', { ok: true, value: 'now' }))).toEqual({ ok: true, value: 'now' });
    expect(asked).toEqual(['a', 'a']);
  });

  it('gives callers asking while an ask is under way that ask’s answer, and keys apart', async () => {
    const { cache } = counting();
    let asks = 0;
    let answer: (value: Answer) => void = () => undefined;
    const slow = () => {
      asks++;
      return new Promise<Answer>((resolve) => {
        answer = resolve;
      });
    };
    const together = [cache.get('a', slow), cache.get('a', slow), cache.get('a', slow)];
    expect(asks).toBe(1);
    answer({ ok: true, value: 'shared' });
    expect(await Promise.all(together)).toEqual(Array(3).fill({ ok: true, value: 'shared' }));
    void cache.get('b', slow);
    expect(asks).toBe(2);
  });

  it('asks again after an ask that threw', async () => {
    const { cache, asked, ask } = counting();
    await expect(cache.get('a', () => Promise.reject(new Error('socket hang up')))).rejects.toThrow('socket hang up');
    expect(await cache.get('a', ask('a', { ok: true, value: 'later' }))).toEqual({ ok: true, value: 'later' });
    expect(asked).toEqual(['a']);
  });

  it('keeps at most 10,000 answers, dropping the oldest', async () => {
    const { cache, asked, ask } = counting();
    for (let index = 0; index <= 10_000; index++) await cache.get(`k${index}`, ask(`k${index}`, { ok: true, value: 'x' }));
    asked.length = 0;
    await cache.get('k10000', ask('k10000', { ok: true, value: 'x' }));
    await cache.get('k0', ask('k0', { ok: true, value: 'x' }));
    expect(asked).toEqual(['k0']);
  });
});
