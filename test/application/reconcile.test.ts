import { describe, expect, it } from 'vitest';
import { endAccess } from '../../src/application/end-access.js';
import { reconcile } from '../../src/application/reconcile.js';
import { makePolicy, makeTarget, REQUESTER } from '../support/fixtures.js';
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
    expect(await reconcile(deps)).toEqual({ checked: 1, removedOutside: [], lingering: [], cleanedUp: [], unknown: [] });
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

  it('waits for its pace before checking each grant with Graph', async () => {
    const otherGroup = { kind: 'pim_group' as const, groupId: 'a4d1c6e2-0b7f-4f5e-9a51-2d9b6f0c7e11', requireEligibility: false };
    const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases', grant: otherGroup })]));
    await approved(deps, 60, 'prod-ssh');
    await approved(deps, 60, 'prod-db');
    await drain(deps);
    let paced = 0;
    const pacedAtCheck: number[] = [];
    const isPresent = deps.access.isPresent.bind(deps.access);
    deps.access.isPresent = (spec, principalId) => {
      pacedAtCheck.push(paced);
      return isPresent(spec, principalId);
    };
    const pace = async () => {
      paced += 1;
    };
    expect(await reconcile({ ...deps, pace })).toMatchObject({ checked: 2 });
    expect(pacedAtCheck).toEqual([1, 2]);
  });

  it('reports what it could not check instead of guessing', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.isPresent = async () => ({ ok: false, kind: 'transient', message: 'Graph is down' });
    expect(await reconcile(deps)).toMatchObject({ unknown: [id], removedOutside: [] });
    expect((await deps.requests.find(id))?.state).toBe('active');
  });

  it('leaves a membership held again by an assignment the bot did not make after its grant ended', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    deps.access.heldElsewhere.set(`${GROUP}/${PRINCIPAL}`, 'sched-admin');
    expect(await reconcile(deps)).toMatchObject({ lingering: [] });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'ended' });
  });
});

describe('reconcile after a failed grant', () => {
  /** A grant whose first call landed though its answer was a refusal: failed at once, with no cleanup ordered. */
  async function failedAfterLanding(deps: JobDepsForTests): Promise<string> {
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403' }];
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', grantCall: { groupId: GROUP } });
    expect((await deps.requests.find(id))?.cleanup).toBeUndefined();
    return id;
  }

  it('removes the membership a failed grant left behind, records the cleanup and tells the thread, once', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    expect(await reconcile(deps)).toMatchObject({ cleanedUp: [id], unknown: [] });
    expect(deps.access.present.size).toBe(0);
    expect(deps.access.calls.at(-1)).toMatchObject({ op: 'revoke', groupId: GROUP, ownership: { requestId: id } });
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'removed' } });
    await drain(deps);
    expect(deps.notifier.told.at(-1)).toMatchObject({ requestId: id, event: 'cleaned_up' });
    const calls = deps.access.calls.length;
    expect(await reconcile(deps)).toMatchObject({ cleanedUp: [] });
    expect(deps.access.calls).toHaveLength(calls);
  });

  it('cleans up the group the call was sent for, even after the policy removed the target', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    const withoutTarget = { ...deps, policy: makePolicy([]) };
    expect(await reconcile(withoutTarget)).toMatchObject({ cleanedUp: [id] });
    expect(deps.access.calls.at(-1)).toMatchObject({ op: 'revoke', groupId: GROUP, principalId: PRINCIPAL });
  });

  it('leaves the membership to another active grant of the bot that covers it', async () => {
    const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]));
    const covering = await approved(deps, 60, 'prod-db');
    await drain(deps);
    const failed = await failedAfterLanding(deps);
    expect(await reconcile(deps)).toMatchObject({ cleanedUp: [] });
    expect(await deps.requests.find(failed)).toMatchObject({ cleanup: { result: 'covered' }, keptBy: covering });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('never removes a PIM assignment the bot did not make', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    deps.access.heldElsewhere.set(`${GROUP}/${PRINCIPAL}`, 'sched-admin');
    expect(await reconcile(deps)).toMatchObject({ cleanedUp: [] });
    expect(await deps.requests.find(id)).toMatchObject({ cleanup: { result: 'standing' }, heldBy: 'sched-admin' });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('leaves standing access alone: a grant that failed as already held is never looked at again', async () => {
    const { deps } = setUpJobs();
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: true, alreadyPresent: true }];
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'standing' } });
    await reconcile(deps);
    expect(deps.access.calls.map((call) => call.op)).toEqual(['grant']);
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('reports a failed grant it could not check, and checks it again next time', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    deps.access.revokeAnswers = [{ ok: false, kind: 'transient', message: 'Graph is down' }];
    expect(await reconcile(deps)).toMatchObject({ unknown: [id], cleanedUp: [] });
    expect(await reconcile(deps)).toMatchObject({ unknown: [], cleanedUp: [id] });
  });
});
