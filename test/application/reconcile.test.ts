import { describe, expect, it } from 'vitest';
import { applyTransition } from '../../src/application/apply-transition.js';
import { endAccess } from '../../src/application/end-access.js';
import { type ReconcileDeps, reconcile, SETTLING_MS } from '../../src/application/reconcile.js';
import { failGrant, fieldsOf, journalGrantCall } from '../../src/domain/access-request.js';
import { FakeBoundarySignOuts } from '../support/fakes.js';
import { fields, makePolicy, makeTarget, REQUESTER } from '../support/fixtures.js';
import { approved, drain, type JobDepsForTests, PRINCIPAL, setUpJobs } from '../support/job-harness.js';

const GROUP = makeTarget().grant.groupId;

async function activeGrant(deps: JobDepsForTests): Promise<string> {
  const id = await approved(deps);
  await drain(deps);
  return id;
}

/** Reconciles once the last change has settled in Graph's index (see SETTLING_MS). */
function settledReconcile(deps: ReconcileDeps & { clock: { advance(ms: number): void } }) {
  deps.clock.advance(SETTLING_MS);
  return reconcile(deps);
}

/**
 * As a release before grants and removals were kept apart could leave it: the first grant's end kept the
 * membership for a second grant, whose call was then taken for standing access, so nobody ever removed it.
 */
async function keptForAStandingGrant() {
  const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]));
  const first = await activeGrant(deps);
  const second = await approved(deps, 60, 'prod-db');
  await applyTransition(deps, second, (request, now) => journalGrantCall(request, makeTarget().grant, now));
  deps.access.grantAnswers = [{ ok: false, kind: 'transient', message: 'answer lost' }];
  await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
  await drain(deps);
  await applyTransition(deps, second, (request, now) => failGrant(request, 'already held', now, { standing: true }));
  return { deps, first, second };
}

describe('reconcile', () => {
  it('leaves a grant made or ended moments ago for the next pass, as Graph’s index may not show it yet', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.present.clear();
    expect(await reconcile(deps)).toMatchObject({ checked: 0, removedOutside: [] });
    deps.clock.advance(SETTLING_MS);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, removedOutside: [id] });
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await reconcile(deps)).toMatchObject({ checked: 0, addedSince: [] });
    expect(await settledReconcile(deps)).toMatchObject({ checked: 1, addedSince: [id] });
  });

  it('finds nothing to do when Graph and the store agree', async () => {
    const { deps } = setUpJobs();
    await activeGrant(deps);
    expect(await settledReconcile(deps)).toEqual({
      checked: 1,
      removedOutside: [],
      lingering: [],
      addedSince: [],
      mismatched: [],
      cleanedUp: [],
      unknown: [],
    });
  });

  it('closes a grant whose membership was removed outside the bot, and tells everyone', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.present.clear();
    expect(await settledReconcile(deps)).toMatchObject({ removedOutside: [id] });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked', ending: { by: 'system' } });
    expect(deps.notifier.told.map((told) => told.event)).toContain('drift_removed_outside');
  });

  it('reports, and never touches, a membership someone added again after the bot confirmed its removal', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', removal: 'removed' });
    // A manager makes the person a permanent member in the Entra portal.
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    const calls = deps.access.calls.length;
    expect(await settledReconcile(deps)).toMatchObject({ addedSince: [id], lingering: [] });
    expect(await settledReconcile(deps)).toMatchObject({ addedSince: [id], lingering: [] });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
    expect(deps.access.calls.slice(calls).map((call) => call.op)).toEqual([]);
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'ended' });
  });

  it('removes a membership whose removal the bot never confirmed: kept for a grant that then took it as already held', async () => {
    const { deps, first, second } = await keptForAStandingGrant();
    expect(await deps.requests.find(first)).toMatchObject({ state: 'ended', keptBy: second });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);

    expect(await settledReconcile(deps)).toMatchObject({ lingering: [first], addedSince: [] });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(false);
    expect(await deps.requests.find(first)).toMatchObject({ removal: 'removed' });
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'drift_still_present', detail: { removed: true } });
    // Now confirmed: a membership found there later is someone else's.
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await settledReconcile(deps)).toMatchObject({ lingering: [], addedSince: [first] });
  });

  it('checks for a covering grant again right before it removes, so a grant that lands during the Graph read keeps its access', async () => {
    const { deps } = await keptForAStandingGrant();
    const third = await approved(deps, 60, 'prod-db');
    const isPresent = deps.access.isPresent.bind(deps.access);
    deps.access.isPresent = async (spec, principalId) => {
      // A new grant of the same membership is journaled while reconciliation reads Graph.
      await applyTransition(deps, third, (request, now) => journalGrantCall(request, makeTarget().grant, now));
      return isPresent(spec, principalId);
    };
    expect(await settledReconcile(deps)).toMatchObject({ lingering: [] });
    expect(deps.access.calls.filter((call) => call.op === 'revoke')).toEqual([]);
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('ends the person’s Boundary sign-ins after a lingering membership it removes', async () => {
    const { deps, first } = await keptForAStandingGrant();
    const boundary = new FakeBoundarySignOuts();
    const withBoundary = { ...deps, boundary };
    expect(await settledReconcile(withBoundary)).toMatchObject({ lingering: [first] });
    expect((await drain(withBoundary)).filter((outcome) => outcome.startsWith('sign_out'))).toEqual(['sign_out:done']);
    expect(boundary.people).toEqual([{ principalId: PRINCIPAL, email: '' }]);
    expect(deps.notifier.told.map((told) => told.event)).toContain('signed_out');
  });

  it('ends a grant recorded on another group than its journaled call, removing only the journaled group', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    const OTHER = '6f1d8a0e-3c2b-4e5f-9a7d-1b2c3d4e5f60';
    // As a retry that followed a policy edit could record it before the journal decided.
    await applyTransition(deps, id, (request) => ({
      ok: true,
      request: {
        ...request,
        grantCall: { sentAt: fieldsOf(request).grantedAt ?? 0, kind: 'pim_group', groupId: OTHER },
        version: request.version + 1,
      },
      audit: { action: 'test_seed', actor: 'system', from: 'active', to: 'active', detail: {} },
      jobs: [],
    }));
    deps.access.present.add(`${OTHER}/${PRINCIPAL}`);
    expect(await settledReconcile(deps)).toMatchObject({ mismatched: [id] });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked', removal: 'removed' });
    expect(deps.access.calls.filter((call) => call.op === 'revoke').map((call) => call.groupId)).toEqual([OTHER]);
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
    expect(deps.notifier.told.map((told) => told.event)).toContain('drift_journal_mismatch');
  });

  it('leaves membership alone while another active grant of the same group holds it', async () => {
    const { deps } = setUpJobs();
    const first = await activeGrant(deps);
    await endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    await activeGrant(deps);
    expect(await settledReconcile(deps)).toMatchObject({ checked: 1, lingering: [] });
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
    expect(await settledReconcile({ ...deps, pace })).toMatchObject({ checked: 2 });
    expect(pacedAtCheck).toEqual([1, 2]);
  });

  it('reports what it could not check instead of guessing', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    deps.access.isPresent = async () => ({ ok: false, kind: 'transient', message: 'Graph is down' });
    expect(await settledReconcile(deps)).toMatchObject({ unknown: [id], removedOutside: [] });
    expect((await deps.requests.find(id))?.state).toBe('active');
  });

  it('leaves a membership held again by an assignment the bot did not make after its grant ended', async () => {
    const { deps } = setUpJobs();
    const id = await activeGrant(deps);
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    deps.access.heldElsewhere.set(`${GROUP}/${PRINCIPAL}`, 'sched-admin');
    expect(await settledReconcile(deps)).toMatchObject({ lingering: [] });
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
    expect(fields(await deps.requests.find(id))?.cleanup).toBeUndefined();
    return id;
  }

  it('removes the membership a failed grant left behind, records the cleanup and tells the thread, once', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    expect(await settledReconcile(deps)).toMatchObject({ cleanedUp: [id], unknown: [] });
    expect(deps.access.present.size).toBe(0);
    expect(deps.access.calls.at(-1)).toMatchObject({ op: 'revoke', groupId: GROUP, ownership: { requestId: id } });
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed', cleanup: { result: 'removed' } });
    await drain(deps);
    expect(deps.notifier.told.at(-1)).toMatchObject({ requestId: id, event: 'cleaned_up' });
    const calls = deps.access.calls.length;
    expect(await settledReconcile(deps)).toMatchObject({ cleanedUp: [] });
    expect(deps.access.calls).toHaveLength(calls);
  });

  it('cleans up the group the call was sent for, even after the policy removed the target', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    const withoutTarget = { ...deps, policy: makePolicy([]) };
    expect(await settledReconcile(withoutTarget)).toMatchObject({ cleanedUp: [id] });
    expect(deps.access.calls.at(-1)).toMatchObject({ op: 'revoke', groupId: GROUP, principalId: PRINCIPAL });
  });

  it('leaves the membership to another active grant of the bot that covers it', async () => {
    const { deps } = setUpJobs(makePolicy([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]));
    const covering = await approved(deps, 60, 'prod-db');
    await drain(deps);
    const failed = await failedAfterLanding(deps);
    expect(await settledReconcile(deps)).toMatchObject({ cleanedUp: [] });
    expect(await deps.requests.find(failed)).toMatchObject({ cleanup: { result: 'covered' }, keptBy: covering });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('never removes a PIM assignment the bot did not make', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    deps.access.heldElsewhere.set(`${GROUP}/${PRINCIPAL}`, 'sched-admin');
    expect(await settledReconcile(deps)).toMatchObject({ cleanedUp: [] });
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
    await settledReconcile(deps);
    expect(deps.access.calls.map((call) => call.op)).toEqual(['grant']);
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('reports a failed grant it could not check, and checks it again next time', async () => {
    const { deps } = setUpJobs();
    const id = await failedAfterLanding(deps);
    deps.access.revokeAnswers = [{ ok: false, kind: 'transient', message: 'Graph is down' }];
    expect(await settledReconcile(deps)).toMatchObject({ unknown: [id], cleanedUp: [] });
    expect(await settledReconcile(deps)).toMatchObject({ unknown: [], cleanedUp: [id] });
  });
});
