import { describe, expect, it } from 'vitest';
import { acknowledgeBreakGlassAccess } from '../../src/application/acknowledge-break-glass.js';
import { recordRequest } from '../../src/application/record-request.js';
import { sweep } from '../../src/application/sweep.js';
import { ADMIN, APPROVER_1, APPROVER_2, makeTarget, OUTSIDER, REQUESTER, T0 } from '../support/fixtures.js';
import { knowPeople } from '../support/job-harness.js';
import { GOOD_REQUEST, setUpRequests } from '../support/request-deps.js';

const HOUR = 3_600_000;
const glassTarget = makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } });

async function brokenGlass(targets = [glassTarget]) {
  const deps = setUpRequests(targets);
  knowPeople(deps.profiles, deps.directory, [ADMIN]);
  const outcome = await recordRequest(deps, { ...GOOD_REQUEST, durationMinutes: 240, breakGlass: true });
  return { deps, outcome };
}

describe('breaking the glass through recordRequest', () => {
  it('stores the request approved at once, capped at break_glass.max, with a grant job and the alert, audited as break-glass', async () => {
    const { deps, outcome } = await brokenGlass();
    expect(outcome).toMatchObject({ ok: true, request: { state: 'approved', durationMinutes: 60, breakGlass: { at: T0 } } });
    expect(deps.requests.audit.map((event) => [event.action, event.actor, event.from, event.to])).toEqual([
      ['break_glass', REQUESTER, null, 'approved'],
    ]);
    expect(deps.requests.jobs.map((job) => [job.kind, job.event])).toEqual([
      ['grant', null],
      ['notify', 'break_glass'],
    ]);
  });

  it('refuses a break-glass for a target without break_glass, and stores nothing', async () => {
    const deps = setUpRequests([makeTarget()]);
    expect(await recordRequest(deps, { ...GOOD_REQUEST, breakGlass: true })).toEqual({ ok: false, code: 'break_glass_not_offered' });
    expect(deps.requests.requests.size).toBe(0);
  });
});

describe('acknowledgeBreakGlassAccess', () => {
  it('records the review of another approver, and the Home tabs stop listing it', async () => {
    const { deps } = await brokenGlass();
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: APPROVER_1 })).toMatchObject({
      ok: true,
      request: { breakGlass: { review: { by: APPROVER_1, at: T0 } } },
    });
    expect(deps.requests.audit.at(-1)).toMatchObject({ action: 'break_glass_acknowledged', actor: APPROVER_1 });
    expect(deps.requests.jobs.at(-1)).toMatchObject({ kind: 'notify', event: 'break_glass_reviewed' });
    expect(await deps.requests.listUnreviewedBreakGlass(10)).toEqual([]);
  });

  it('lets an admin who is no approver of the target acknowledge it', async () => {
    const { deps } = await brokenGlass();
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: ADMIN })).toMatchObject({ ok: true });
  });

  it.each([
    { who: 'the person who broke the glass', actor: REQUESTER, code: 'self_review' },
    { who: 'someone neither approver nor admin', actor: OUTSIDER, code: 'not_a_reviewer' },
  ])('refuses $who with $code and records nothing', async ({ actor, code }) => {
    const { deps } = await brokenGlass();
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: actor })).toEqual({ ok: false, code });
    expect(deps.requests.audit).toHaveLength(1);
  });

  it('refuses an approver whose Slack email is an alias of the Entra account that received the access', async () => {
    const { deps } = await brokenGlass();
    deps.directory.aliases.set(`${APPROVER_2.toLowerCase()}@contoso.example`, GOOD_REQUEST.principalId);
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: APPROVER_2 })).toEqual({
      ok: false,
      code: 'same_entra_account',
      account: GOOD_REQUEST.principalId,
    });
    expect(await deps.requests.listUnreviewedBreakGlass(10)).toHaveLength(1);
  });

  it('refuses while the bot cannot confirm the reviewer in Entra, so they try again', async () => {
    const { deps } = await brokenGlass();
    deps.directory.failure = { ok: false, kind: 'transient', message: 'Graph is down' };
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: APPROVER_1 })).toEqual({
      ok: false,
      code: 'identity_unconfirmed',
    });
  });
});

describe('the sweep and an unreviewed break-glass', () => {
  it('alerts again once the hour is up, once, and not for one already reviewed', async () => {
    const { deps } = await brokenGlass();
    await recordRequest(deps, {
      ...GOOD_REQUEST,
      requesterId: APPROVER_2,
      principalId: 'cccccccc-cccc-4ccc-8ccc-000000000001',
      breakGlass: true,
    });
    await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0002', actorId: APPROVER_1 });

    deps.clock.advance(HOUR - 1);
    expect((await sweep(deps)).realerted).toBe(0);
    deps.clock.advance(1);
    expect((await sweep(deps)).realerted).toBe(1);
    deps.clock.advance(5 * HOUR);
    expect((await sweep(deps)).realerted).toBe(0);
    expect(deps.requests.jobs.filter((job) => job.event === 'break_glass_unreviewed').map((job) => job.requestId)).toEqual(['req_0001']);
  });
});
