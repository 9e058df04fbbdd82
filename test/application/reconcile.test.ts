import { describe, expect, it } from 'vitest';
import { endAccess } from '../../src/application/end-access.js';
import { reconcile } from '../../src/application/reconcile.js';
import { makeTarget, REQUESTER } from '../support/fixtures.js';
import { approved, drain, type JobDepsForTests, PRINCIPAL, setUpJobs } from '../support/job-harness.js';

const GROUP = makeTarget().grant.groupId;

async function activeGrant(deps: JobDepsForTests): Promise<string> {
  const id = await approved(deps);
  await drain(deps);
  return id;
}

describe('reconcile', () => {
  it('finds nothing to do when Graph and the store agree', async () => {
    const { deps } = setUpJobs();
    await activeGrant(deps);
    expect(await reconcile(deps)).toEqual({ checked: 1, removedOutside: [], lingering: [], unknown: [] });
  });

  it('closes a grant whose membership was removed outside the bot, and tells everyone', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.present.clear();
    expect(await reconcile(deps)).toMatchObject({ removedOutside: [id] });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked', ending: { by: 'system' } });
    expect(deps.notifier.told.map((told) => told.event)).toContain('drift_removed_outside');
  });

  it('removes membership still there after the grant ended, and records it', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await reconcile(deps)).toMatchObject({ lingering: [id] });
    expect(deps.access.present.size).toBe(0);
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'drift_still_present', detail: { removed: true } });
  });

  it('leaves membership alone while another active grant of the same group holds it', async () => {
    const { deps } = setUpJobs();
    const first = await activeGrant(deps);
    await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    await activeGrant(deps);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, lingering: [] });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('reports what it could not check instead of guessing', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.isPresent = async () => ({ ok: false, kind: 'transient', message: 'Graph is down' });
    expect(await reconcile(deps)).toMatchObject({ unknown: [id], removedOutside: [] });
    expect((await deps.requests.find(id))?.state).toBe('active');
  });
});
