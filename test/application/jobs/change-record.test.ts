import { describe, expect, it } from 'vitest';
import { endAccess } from '../../../src/application/end-access.js';
import { sweep } from '../../../src/application/sweep.js';
import type { Target } from '../../../src/domain/policy.js';
import { FakeChangeRecords } from '../../support/fake-servicenow-changes.js';
import { ADMIN, APPROVER_1, makePolicy, makeTarget, REQUESTER, T0 } from '../../support/fixtures.js';
import { approved, drain, PRINCIPAL, setUpJobs } from '../../support/job-harness.js';

const MINUTE = 60_000;
const TEMPLATE = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** `null`: a target without change_record. */
function setUp(changeRecord: Target['changeRecord'] | null = { templateId: TEMPLATE, required: false }) {
  const { deps: base, store } = setUpJobs(makePolicy([makeTarget(changeRecord ? { changeRecord } : {})]));
  const changes = new FakeChangeRecords();
  changes.addTemplate(TEMPLATE);
  return { deps: { ...base, changes }, store, changes };
}

describe('the change record job', () => {
  it('opens a standard change from the template when access is approved, names who, what and why, and moves it to Implement', async () => {
    const { deps, changes } = setUp();
    const id = await approved(deps);
    await drain(deps);
    expect(changes.changes).toEqual([
      expect.objectContaining({ templateId: TEMPLATE, correlationId: id, state: 'implement', number: 'CHG0030001' }),
    ]);
    const [change] = changes.changes;
    expect(change?.shortDescription).toBe('Just-in-time access for U0SRE0001 to Production servers (SSH) (1h)');
    expect(change?.description.split('\n')).toEqual([
      'Requester: U0SRE0001 (Slack user U0SRE0001)',
      'Target: Production servers (SSH) (prod-ssh); Entra group c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a (pim_group)',
      'Duration: 1h',
      'Reason: Investigating incident INC-42',
      `Approved by: Slack user ${APPROVER_1}`,
      `Request: ${id} (jit-access-bot)`,
    ]);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'active',
      change: { sysId: change?.sysId, number: 'CHG0030001', state: 'implement' },
    });
    expect(deps.notifier.told.map((told) => told.event)).toContain('change_opened');
  });

  it.each([
    ['expired', 'successful'],
    ['released', 'successful'],
    ['revoked', 'successful_issues'],
  ] as const)('closes the change through Review when the access %s, with close code %s', async (reason, closeCode) => {
    const { deps, changes } = setUp();
    const id = await approved(deps);
    await drain(deps);
    if (reason === 'expired') {
      deps.clock.advance(61 * MINUTE);
      await sweep(deps);
    } else {
      const actorId = reason === 'released' ? REQUESTER : ADMIN;
      await endAccess(deps, { requestId: id, actorId, reason });
    }
    await drain(deps);
    expect(changes.changes).toEqual([expect.objectContaining({ state: 'closed', closeCode })]);
    expect(changes.changes[0]?.closeNotes).toMatch(new RegExp(`^Outcome: ${reason}\\.[^]*Request ${id}: access ended \\(${reason}\\)`));
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', change: { state: 'closed' } });
    expect(deps.notifier.told.map((told) => told.event)).toContain('change_closed');
  });

  it('closes the change as unsuccessful when the grant fails', async () => {
    const { deps, changes } = setUp();
    const id = await approved(deps);
    deps.access.grantAnswers = [{ ok: false, kind: 'permanent', code: 'Authorization_RequestDenied', message: '403 denied' }];
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('failed');
    expect(changes.changes).toEqual([expect.objectContaining({ state: 'closed', closeCode: 'unsuccessful' })]);
  });

  it('finds the change it opened when the answer to the create was lost, and opens no second one', async () => {
    const { deps, changes, store } = setUp();
    const id = await approved(deps);
    changes.loseNextAnswer('openChange');
    await drain(deps);
    expect(store.jobs.find((job) => job.kind === 'change_record')).toMatchObject({ state: 'queued', attempts: 1 });
    deps.clock.advance(MINUTE);
    await drain(deps);
    expect(changes.changes).toHaveLength(1);
    expect(changes.changes[0]).toMatchObject({ correlationId: id, state: 'implement' });
    expect(await deps.requests.find(id)).toMatchObject({ change: { number: changes.changes[0]?.number } });
  });

  it('never delays a grant that does not require its change: access is granted, the thread is told once, and the record is retried until it exists', async () => {
    const { deps, changes, store } = setUp();
    const id = await approved(deps);
    for (let failures = 0; failures < 4; failures++) changes.failNext({ kind: 'transient' }, 'openChange');
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'active', changeProblem: 'openChange failed for a while' });
    expect(deps.notifier.told.filter((told) => told.event === 'change_failing')).toHaveLength(1);
    for (let round = 0; round < 4; round++) {
      deps.clock.advance(5 * MINUTE);
      await drain(deps);
    }
    expect(changes.changes).toHaveLength(1);
    expect(store.jobs.find((job) => job.kind === 'change_record')?.state).toBe('done');
    const request = await deps.requests.find(id);
    expect(request).toMatchObject({ state: 'active', change: { state: 'implement' } });
    expect(request && 'changeProblem' in request).toBe(false);
  });

  it('holds a grant that requires its change until the change exists, and tells the requester why', async () => {
    const { deps, changes } = setUp({ templateId: TEMPLATE, required: true });
    const id = await approved(deps);
    changes.failNext({ kind: 'transient', retryAfterMs: 30_000 }, 'openChange');
    await drain(deps);
    expect((await deps.requests.find(id))?.state).toBe('approved');
    expect(deps.access.calls).toEqual([]);
    expect(deps.notifier.told.filter((told) => told.event === 'change_failing')).toEqual([
      { requestId: id, event: 'change_failing', state: 'approved' },
    ]);
    deps.clock.advance(30_000);
    await drain(deps);
    deps.clock.advance(2_000);
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({
      state: 'active',
      change: { state: 'implement' },
      grant: { principalId: PRINCIPAL },
    });
    expect(deps.access.calls.map((call) => call.op)).toEqual(['grant']);
  });

  it('fails a grant that requires its change once ServiceNow stayed away past the grant deadline, and closes the change it opens later as unsuccessful', async () => {
    const { deps, changes } = setUp({ templateId: TEMPLATE, required: true });
    const id = await approved(deps);
    for (let failures = 0; failures < 20; failures++) changes.failNext({ kind: 'transient' }, 'openChange');
    for (let round = 0; round < 10; round++) {
      deps.clock.advance(2 * MINUTE);
      await drain(deps);
    }
    expect(await deps.requests.find(id)).toMatchObject({ state: 'failed' });
    expect(deps.access.calls).toEqual([]);
    for (let round = 0; round < 12; round++) {
      deps.clock.advance(5 * MINUTE);
      await drain(deps);
    }
    expect(changes.changes).toEqual([expect.objectContaining({ correlationId: id, state: 'closed', closeCode: 'unsuccessful' })]);
  });

  it('retries a refusal slowly, once a minute, without giving up', async () => {
    const { deps, changes, store } = setUp();
    await approved(deps);
    changes.failNext({ kind: 'permanent', code: 'Unauthenticated' }, 'openChange');
    await drain(deps);
    expect(store.jobs.find((job) => job.kind === 'change_record')).toMatchObject({ state: 'queued', runAt: T0 + MINUTE });
    deps.clock.advance(MINUTE);
    await drain(deps);
    expect(changes.changes).toEqual([expect.objectContaining({ state: 'implement' })]);
  });

  it('leaves a change a person canceled in ServiceNow alone, and says so', async () => {
    const { deps, changes, store } = setUp();
    const id = await approved(deps);
    await drain(deps);
    changes.cancel(changes.changes[0]?.sysId ?? '');
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    await drain(deps);
    expect(await deps.requests.find(id)).toMatchObject({ state: 'ended', change: { state: 'canceled' } });
    expect(store.jobs.filter((job) => job.kind === 'change_record').map((job) => job.state)).toEqual(['done', 'done']);
    expect(deps.notifier.told.map((told) => told.event)).toContain('change_closed');
  });

  it('keeps no change record for a target without change_record', async () => {
    const { deps, changes, store } = setUp(null);
    await approved(deps);
    await drain(deps);
    expect(changes.calls).toEqual([]);
    expect(store.jobs.some((job) => job.kind === 'change_record')).toBe(false);
  });
});
