import { describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/application/decide-request.js';
import { endAccess } from '../../src/application/end-access.js';
import { reconcile } from '../../src/application/reconcile.js';
import { runJob } from '../../src/application/run-job.js';
import { submitRequest } from '../../src/application/submit-request.js';
import { FakeAccessProvider, FakeClock, FakeNotifier, FakeRequestRepository, SequentialIds } from '../support/fakes.js';
import { APPROVER_1, makePolicy, makeTarget, REQUESTER, T0 } from '../support/fixtures.js';

const PRINCIPAL = '11111111-1111-4111-8111-111111111111';
const GROUP = makeTarget().grant.groupId;

function setUp() {
  const store = new FakeRequestRepository();
  return {
    requests: store,
    jobs: store,
    policy: makePolicy(),
    clock: new FakeClock(T0),
    ids: new SequentialIds(),
    access: new FakeAccessProvider(),
    notifier: new FakeNotifier(),
  };
}
type Deps = ReturnType<typeof setUp>;

async function drain(deps: Deps): Promise<void> {
  for (let due = deps.jobs.claimDue(deps.clock.now(), 10, 1000); due.length > 0; due = deps.jobs.claimDue(deps.clock.now(), 10, 1000)) {
    for (const job of due) await runJob(deps, job);
  }
}

async function activeGrant(deps: Deps): Promise<string> {
  const submitted = submitRequest(deps, {
    requesterId: REQUESTER,
    principalId: PRINCIPAL,
    targetId: 'prod-ssh',
    reason: 'Investigating incident INC-42',
    durationMinutes: 60,
  });
  if (!submitted.ok) throw new Error(submitted.code);
  decideRequest(deps, { requestId: submitted.request.id, actorId: APPROVER_1, decision: 'approve' });
  await drain(deps);
  return submitted.request.id;
}

describe('reconcile', () => {
  it('finds nothing to do when Graph and the store agree', async () => {
    const deps = setUp();
    await activeGrant(deps);
    expect(await reconcile(deps)).toEqual({ checked: 1, removedOutside: [], lingering: [], unknown: [] });
  });

  it('closes a grant whose membership was removed outside the bot, and tells everyone', async () => {
    const deps = setUp();
    const id = await activeGrant(deps);
    deps.access.present.clear();
    expect(await reconcile(deps)).toMatchObject({ removedOutside: [id] });
    await drain(deps);
    expect(deps.requests.find(id)).toMatchObject({ state: 'ended', endReason: 'revoked', ending: { by: 'system' } });
    expect(deps.notifier.told.map((told) => told.event)).toContain('drift_removed_outside');
  });

  it('removes membership still there after the grant ended, and records it', async () => {
    const deps = setUp();
    const id = await activeGrant(deps);
    endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await reconcile(deps)).toMatchObject({ lingering: [id] });
    expect(deps.access.present.size).toBe(0);
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'drift_still_present', detail: { removed: true } });
  });

  it('leaves membership alone while another active grant of the same group holds it', async () => {
    const deps = setUp();
    const first = await activeGrant(deps);
    endAccess(deps, { requestId: first, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    await activeGrant(deps);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, lingering: [] });
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
  });

  it('reports what it could not check instead of guessing', async () => {
    const deps = setUp();
    const id = await activeGrant(deps);
    deps.access.isPresent = async () => ({ ok: false, kind: 'transient', message: 'Graph is down' });
    expect(await reconcile(deps)).toMatchObject({ unknown: [id], removedOutside: [] });
    expect(deps.requests.find(id)?.state).toBe('active');
  });
});
