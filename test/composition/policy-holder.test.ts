import { describe, expect, it } from 'vitest';
import { PolicyHolder, readingPolicy } from '../../src/composition/policy-holder.js';
import type { Policy } from '../../src/domain/policy.js';
import { createLogger } from '../../src/logger.js';
import type { PolicyLoad } from '../../src/policy-file.js';
import { UNREADABLE } from '../../src/policy-file-watch.js';
import { ADMIN, makePolicy, makeTarget } from '../support/fixtures.js';

const IN_FORCE = makePolicy();
const NEXT: Policy = {
  ...makePolicy([makeTarget(), makeTarget({ id: 'staging-ssh', name: 'Staging servers (SSH)' })]),
  admins: ['U0ADMIN02'],
};
const PROBLEM = { file: 'policy.yaml', line: 4, column: 5, field: 'targets[0].approvers', message: 'is required' };

const refused = (sha256?: string): PolicyLoad => ({ ok: false, problems: [PROBLEM], ...(sha256 !== undefined && { sha256 }) });

/** A holder whose file reads answer `loads` in turn, and what it told the admins. */
function holderReading(loads: PolicyLoad[], options: { failedTellings?: number } = {}) {
  let failedTellings = options.failedTellings ?? 0;
  const told: { admins: readonly string[]; lines: readonly string[] }[] = [];
  const policy = new PolicyHolder({
    initial: { policy: IN_FORCE, sha256: 'sha-in-force' },
    load: () => {
      const next = loads.shift();
      if (!next) throw new Error('read more often than the test expects');
      return next;
    },
    tellAdmins: async (admins, lines) => {
      if (failedTellings > 0) {
        failedTellings -= 1;
        throw new Error('chat.postMessage failed');
      }
      told.push({ admins, lines });
    },
    log: createLogger('silent'),
  });
  return { policy, told };
}

describe('the policy holder', () => {
  it('keeps the policy in force when the file read again is refused, and says why', async () => {
    const { policy } = holderReading([refused('sha-bad')]);

    expect(await policy.reload('SIGHUP')).toEqual({ ok: false, problems: ['policy.yaml:4:5: targets[0].approvers: is required'] });
    expect(policy.current()).toBe(IN_FORCE);
    expect(policy.sha256()).toBe('sha-in-force');
  });

  it('tells the admins of the policy in force once for each content refused', async () => {
    const { policy, told } = holderReading([refused('sha-bad'), refused('sha-bad'), refused('sha-worse')]);

    await policy.reload('file changed');
    await policy.reload('file changed');
    expect(told).toHaveLength(1);
    expect(told[0]?.admins).toEqual([ADMIN]);
    expect(told[0]?.lines).toContain('policy.yaml:4:5: targets[0].approvers: is required');

    await policy.reload('file changed');
    expect(told).toHaveLength(2);
  });

  it('tries telling the admins again on the next read when telling them failed', async () => {
    const { policy, told } = holderReading([refused('sha-bad'), refused('sha-bad')], { failedTellings: 1 });

    await policy.reload('file changed');
    expect(policy.isSettled('sha-bad')).toBe(false);
    await policy.reload('file changed');
    expect(told).toHaveLength(1);
    expect(policy.isSettled('sha-bad')).toBe(true);
  });

  it('counts a file it cannot read as one content, refused once', async () => {
    const { policy, told } = holderReading([refused(), refused()]);

    await policy.reload('file changed');
    await policy.reload('file changed');
    expect(told).toHaveLength(1);
    expect(policy.isSettled(UNREADABLE)).toBe(true);
  });

  it('puts a valid file in force at once and names it by its sha256', async () => {
    const { policy } = holderReading([{ ok: true, policy: NEXT, sha256: 'sha-next' }]);
    let reloads = 0;
    policy.onReload(() => {
      reloads += 1;
    });

    expect(await policy.reload('SIGHUP')).toEqual({ ok: true });
    expect(policy.current()).toBe(NEXT);
    expect(policy.sha256()).toBe('sha-next');
    expect(reloads).toBe(1);
  });

  it('counts the content in force and one already refused as settled, and forgets the refusal once a file is in force', async () => {
    const { policy } = holderReading([refused('sha-bad'), { ok: true, policy: NEXT, sha256: 'sha-next' }]);
    expect(policy.isSettled('sha-in-force')).toBe(true);
    expect(policy.isSettled('sha-bad')).toBe(false);

    await policy.reload('file changed');
    expect(policy.isSettled('sha-bad')).toBe(true);

    await policy.reload('file changed');
    expect(policy.isSettled('sha-next')).toBe(true);
    expect(policy.isSettled('sha-bad')).toBe(false);
    expect(policy.isSettled('sha-in-force')).toBe(false);
  });

  it('hands the use cases and jobs the policy in force at each read', async () => {
    const { policy } = holderReading([{ ok: true, policy: NEXT, sha256: 'sha-next' }]);
    const deps = readingPolicy(policy, { clock: { now: () => 0 } });
    expect(deps.policy).toBe(IN_FORCE);

    await policy.reload('SIGHUP');
    expect(deps.policy).toBe(NEXT);
  });
});
