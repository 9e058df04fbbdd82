import { describe, expect, it } from 'vitest';
import { GroupedCalls } from '../../../src/adapters/postgres/grouped-calls.js';

/** A sender whose groups are answered by hand, in any order: the calls of each group as sent, and its answer. */
function heldSender() {
  const groups: { calls: string[]; answer: (results: PromiseSettledResult<string>[]) => void; fail: (error: Error) => void }[] = [];
  const send = (calls: string[]) =>
    new Promise<PromiseSettledResult<string>[]>((resolve, reject) => {
      groups.push({ calls, answer: resolve, fail: reject });
    });
  return { groups, send };
}

/** Lets the answered groups' callbacks and the sending of the next group run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const upper = (calls: string[]): PromiseSettledResult<string>[] =>
  calls.map((call) => ({ status: 'fulfilled', value: call.toUpperCase() }));

describe('calls grouped into statements', () => {
  it('sends a call at once while fewer than `parallel` groups are out, and the calls made meanwhile together after', async () => {
    const { groups, send } = heldSender();
    const grouped = new GroupedCalls(send, { parallel: 2, most: 10 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((call) => grouped.call(call));
    expect(groups.map((group) => group.calls)).toEqual([['a'], ['b']]);

    groups[1]?.answer(upper(['b']));
    await settled();
    expect(groups.map((group) => group.calls)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    groups[2]?.answer(upper(['c', 'd', 'e']));
    groups[0]?.answer(upper(['a']));
    await expect(Promise.all(results)).resolves.toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('puts at most `most` calls, and never two with the same key, in one group; the others keep their places', async () => {
    const { groups, send } = heldSender();
    const grouped = new GroupedCalls(send, { parallel: 1, most: 3, key: (call: string) => call.slice(0, 1) });
    const results = ['x1', 'a1', 'a2', 'b1', 'c1', 'd1'].map((call) => grouped.call(call));
    groups[0]?.answer(upper(['x1']));
    await settled();
    expect(groups[1]?.calls).toEqual(['a1', 'b1', 'c1']);
    groups[1]?.answer(upper(['a1', 'b1', 'c1']));
    await settled();
    expect(groups[2]?.calls).toEqual(['a2', 'd1']);
    groups[2]?.answer(upper(['a2', 'd1']));
    expect(await Promise.all(results)).toEqual(['X1', 'A1', 'A2', 'B1', 'C1', 'D1']);
  });

  it('fails only the call its answer fails, and every call of a group whose sending fails', async () => {
    const { groups, send } = heldSender();
    const grouped = new GroupedCalls(send, { parallel: 1, most: 10 });
    const results = ['first', 'good', 'bad', 'lost'].map((call) =>
      grouped.call(call).then(String, (error: Error) => `failed: ${error.message}`),
    );
    groups[0]?.fail(new Error('connection lost'));
    await settled();
    groups[1]?.answer([
      { status: 'fulfilled', value: 'GOOD' },
      { status: 'rejected', reason: new Error('refused') },
    ]);
    expect(await Promise.all(results)).toEqual([
      'failed: connection lost',
      'GOOD',
      'failed: refused',
      'failed: a grouped call got no answer',
    ]);
  });
});
