import { describe, expect, it } from 'vitest';
import { endAccess } from '../../src/application/end-access.js';
import { decideExtension, extensionForm, requestExtension } from '../../src/application/extend-access.js';
import { runJob } from '../../src/application/jobs/index.js';
import { APPROVER_1, APPROVER_2, makePolicy, makeTarget, OUTSIDER, REQUESTER } from '../support/fixtures.js';
import { approved, drain, PRINCIPAL, setUpJobs } from '../support/job-harness.js';

const MINUTE = 60_000;
const byApprovers = makeTarget({ extension: { maxTotalMinutes: 180, approval: 'approvers' } });
const auto = makeTarget({ extension: { maxTotalMinutes: 180, approval: 'auto' } });
const ask = { minutes: 30, reason: 'The migration is still running' };

/** An active PIM grant of 60 minutes from REQUESTER, its jobs run; returns the deps and its id. */
async function activeGrant(target = byApprovers) {
  const { deps, store } = setUpJobs(makePolicy([target]));
  const id = await approved(deps);
  await drain(deps);
  const request = await deps.requests.find(id);
  if (request?.state !== 'active') throw new Error('expected an active grant');
  return { deps, store, id, endsAt: request.endsAt };
}

describe('asking for an extension', () => {
  it('offers the room the policy leaves, and refuses someone other than the requester', async () => {
    const { deps, id } = await activeGrant();
    expect(await extensionForm(deps, { requestId: id, actorId: REQUESTER })).toMatchObject({ ok: true, roomMinutes: 120 });
    expect(await extensionForm(deps, { requestId: id, actorId: OUTSIDER })).toEqual({ ok: false, code: 'not_the_requester' });
  });

  it('refuses a reason that says nothing before reading the request', async () => {
    const { deps, id } = await activeGrant();
    expect(await requestExtension(deps, { requestId: id, actorId: REQUESTER, minutes: 30, reason: ' ' })).toEqual({
      ok: false,
      code: 'reason_missing',
    });
  });

  it('grants an auto extension at once and moves the end in Entra through the extend job', async () => {
    const { deps, id, endsAt } = await activeGrant(auto);
    expect(await requestExtension(deps, { requestId: id, actorId: REQUESTER, ...ask })).toMatchObject({
      ok: true,
      request: { state: 'active', endsAt: endsAt + 30 * MINUTE, extendedMinutes: 30 },
    });
    expect(await drain(deps)).toEqual(['extend:done', 'notify:done']);
    expect(deps.access.calls.filter((call) => call.op === 'extend')).toEqual([
      { op: 'extend', groupId: auto.grant.groupId, principalId: PRINCIPAL, endsAt: endsAt + 30 * MINUTE },
    ]);
    expect(deps.notifier.told.map((told) => told.event)).toContain('extended');
  });
});

describe('deciding on an extension', () => {
  it('refuses an approver whose Slack email belongs to the requester’s Entra account', async () => {
    const { deps, id } = await activeGrant();
    await requestExtension(deps, { requestId: id, actorId: REQUESTER, ...ask });
    deps.directory.aliases.set(`${APPROVER_2.toLowerCase()}@contoso.example`, PRINCIPAL);
    expect(await decideExtension(deps, { requestId: id, actorId: APPROVER_2, decision: 'approve' })).toMatchObject({
      ok: false,
      code: 'same_entra_account',
    });
    expect(deps.access.calls.filter((call) => call.op === 'extend')).toEqual([]);
  });

  it('extends once the approver approves, and tells people when Entra refuses to move its end', async () => {
    const { deps, id, endsAt } = await activeGrant();
    await requestExtension(deps, { requestId: id, actorId: REQUESTER, ...ask });
    expect(await decideExtension(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' })).toMatchObject({
      ok: true,
      request: { endsAt: endsAt + 30 * MINUTE },
    });
    deps.access.extend = async () => ({ ok: false, kind: 'permanent', code: '403', message: 'Authorization_RequestDenied' });
    const [job] = await deps.jobs.claimDue(deps.clock.now(), 10, 30_000, ['extend']);
    if (!job) throw new Error('no extend job');
    expect(await runJob(deps, job)).toMatchObject({ result: 'done' });
    await drain(deps);
    expect(deps.notifier.told.map((told) => told.event)).toContain('extension_failed');
    expect((await deps.requests.find(id))?.state).toBe('active');
  });

  it('retries the extend job while Graph is unavailable, and does nothing once the grant is ending', async () => {
    const { deps, id } = await activeGrant(auto);
    await requestExtension(deps, { requestId: id, actorId: REQUESTER, ...ask });
    const original = deps.access.extend.bind(deps.access);
    deps.access.extend = async () => ({ ok: false, kind: 'transient', message: '503', retryAfterMs: 1000 });
    const [job] = await deps.jobs.claimDue(deps.clock.now(), 10, 30_000, ['extend']);
    if (!job) throw new Error('no extend job');
    expect(await runJob(deps, job)).toMatchObject({ result: 'retry' });
    deps.access.extend = original;
    await endAccess(deps, { requestId: id, actorId: REQUESTER, reason: 'released' });
    deps.clock.advance(1000);
    expect(await drain(deps)).toContain('extend:done');
    expect(deps.access.calls.filter((call) => call.op === 'extend')).toEqual([]);
    expect((await deps.requests.find(id))?.state).toBe('ended');
  });
});
