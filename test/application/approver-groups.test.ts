// Decisions by the members of a target's Slack user groups, asked of Slack when the decision is checked, and the
// approvers who left Slack, on hand-written fakes of the ports.

import { describe, expect, it } from 'vitest';
import { acknowledgeBreakGlassAccess } from '../../src/application/acknowledge-break-glass.js';
import { approversNow, readRoster } from '../../src/application/approvers-now.js';
import { decideRequest, previewDecision } from '../../src/application/decide-request.js';
import { endAccess } from '../../src/application/end-access.js';
import { decideExtension, requestExtension } from '../../src/application/extend-access.js';
import { recordRequest } from '../../src/application/record-request.js';
import type { Target } from '../../src/domain/policy.js';
import { ADMIN, APPROVER_1, APPROVER_2, makePolicy, makeTarget, OUTSIDER, REQUESTER } from '../support/fixtures.js';
import { approved, drain, knowPeople, setUpJobs } from '../support/job-harness.js';
import { GOOD_REQUEST, setUpRequests } from '../support/request-deps.js';

const ONCALL = 'S0ONCALL01';
const MEMBER = 'U0MEMBER01';
const OUTAGE = { ok: false, kind: 'transient', message: 'Slack answered 503' } as const;

const withGroup = (change: Partial<Target> = {}, required = 1): Target =>
  makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1], groups: [ONCALL], required }, ...change });

/** A pending request of REQUESTER for a target whose approvers are APPROVER_1 and the group ONCALL. */
async function waiting(target = withGroup(), members = [MEMBER, REQUESTER]) {
  const deps = setUpRequests([target]);
  knowPeople(deps.profiles, deps.directory, [MEMBER]);
  deps.approverDirectory.groups.set(ONCALL, members);
  const outcome = await recordRequest(deps, GOOD_REQUEST);
  if (!outcome.ok) throw new Error(outcome.code);
  return { deps, id: outcome.request.id };
}

describe('who may decide now', () => {
  it('asks Slack nothing for a target without user groups', async () => {
    const deps = setUpRequests();
    expect(await approversNow(deps, makeTarget())).toEqual({ ok: true, approvers: new Set([APPROVER_1, APPROVER_2]) });
    expect(deps.approverDirectory.calls).toEqual([]);
  });

  it('counts a group Slack cannot read for a reason of the configuration as empty, and reports it', async () => {
    const deps = setUpRequests();
    expect(await approversNow(deps, withGroup())).toEqual({ ok: true, approvers: new Set([APPROVER_1]) });
    expect(deps.problems.reported).toEqual([
      {
        kind: 'group_unreadable',
        targetId: 'prod-ssh',
        groupId: ONCALL,
        code: 'no_such_subteam',
        message: 'Slack has no user group with this id',
      },
    ]);
  });

  it('refuses to say while Slack cannot be asked, rather than guess', async () => {
    const deps = setUpRequests();
    deps.approverDirectory.failNext(OUTAGE);
    expect(await approversNow(deps, withGroup())).toEqual({ ok: false, code: 'approver_groups_unavailable' });
    expect(deps.problems.reported).toEqual([]);
  });
});

describe('deciding as a member of an approver group', () => {
  it('approves as a member of the group, and the grant is ordered', async () => {
    const { deps, id } = await waiting();
    expect(await decideRequest(deps, { requestId: id, actorId: MEMBER, decision: 'approve' })).toMatchObject({
      ok: true,
      request: { state: 'approved', approvals: [{ approverId: MEMBER }] },
    });
    expect(deps.requests.jobs.filter((job) => job.kind === 'grant')).toHaveLength(1);
    expect(deps.approverDirectory.calls).toContainEqual({ operation: 'membersOf', argument: ONCALL });
  });

  it('refuses the requester, a member of the group, on their own request', async () => {
    const { deps, id } = await waiting();
    expect(await decideRequest(deps, { requestId: id, actorId: REQUESTER, decision: 'approve' })).toEqual({
      ok: false,
      code: 'self_approval',
    });
    expect(await previewDecision(deps, { requestId: id, actorId: REQUESTER, decision: 'deny' })).toEqual({
      ok: false,
      code: 'self_approval',
    });
  });

  it('refuses a member whose Slack email belongs to the requester’s Entra account: their second account', async () => {
    const { deps, id } = await waiting(withGroup(), ['U0SAMALT01']);
    deps.profiles.people.set('U0SAMALT01', { email: 'samuel@contoso.example' });
    deps.directory.aliases.set('samuel@contoso.example', GOOD_REQUEST.principalId);
    expect(await decideRequest(deps, { requestId: id, actorId: 'U0SAMALT01', decision: 'approve' })).toMatchObject({
      ok: false,
      code: 'same_entra_account',
    });
    expect((await deps.requests.find(id))?.state).toBe('pending');
  });

  it('refuses someone who left the group, and someone who was never in it', async () => {
    const { deps, id } = await waiting();
    deps.approverDirectory.groups.set(ONCALL, []);
    for (const actorId of [MEMBER, OUTSIDER])
      expect(await decideRequest(deps, { requestId: id, actorId, decision: 'approve' })).toEqual({ ok: false, code: 'not_an_approver' });
  });

  it('refuses the click, storing nothing, while Slack cannot say who is in the group', async () => {
    const { deps, id } = await waiting();
    deps.approverDirectory.failNext(OUTAGE);
    expect(await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'approver_groups_unavailable',
    });
    deps.approverDirectory.failNext(OUTAGE);
    expect(await previewDecision(deps, { requestId: id, actorId: MEMBER, decision: 'deny' })).toEqual({
      ok: false,
      code: 'approver_groups_unavailable',
    });
    expect((await deps.requests.find(id))?.state).toBe('pending');
  });

  it('lets the listed approvers decide when the group does not exist, and reports the group', async () => {
    const { deps, id } = await waiting();
    deps.approverDirectory.groups.delete(ONCALL);
    expect(await decideRequest(deps, { requestId: id, actorId: MEMBER, decision: 'approve' })).toEqual({
      ok: false,
      code: 'not_an_approver',
    });
    expect(await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' })).toMatchObject({ ok: true });
    expect(deps.problems.reported).toContainEqual(expect.objectContaining({ kind: 'group_unreadable', groupId: ONCALL }));
  });

  it('counts a member and a listed approver as two distinct approvals toward the quorum', async () => {
    const { deps, id } = await waiting(withGroup({}, 2));
    expect(await decideRequest(deps, { requestId: id, actorId: MEMBER, decision: 'approve' })).toMatchObject({
      request: { state: 'pending' },
    });
    expect(await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' })).toMatchObject({
      request: { state: 'approved' },
    });
  });
});

describe('other decisions of the approvers, by the same rules', () => {
  it('lets a member decide on an extension, never the requester who is a member too', async () => {
    const target = withGroup({ extension: { maxTotalMinutes: 180, approval: 'approvers' } });
    const { deps, store } = setUpJobs(makePolicy([target]));
    knowPeople(deps.profiles, deps.directory, [MEMBER]);
    deps.approverDirectory.groups.set(ONCALL, [MEMBER, REQUESTER]);
    const id = await approved(deps);
    await drain(deps);
    await requestExtension(deps, { requestId: id, actorId: REQUESTER, minutes: 30, reason: 'The migration is still running' });
    expect(await decideExtension(deps, { requestId: id, actorId: REQUESTER, decision: 'approve' })).toEqual({
      ok: false,
      code: 'self_approval',
    });
    expect(await decideExtension(deps, { requestId: id, actorId: MEMBER, decision: 'approve' })).toMatchObject({
      ok: true,
      request: { extendedMinutes: 30 },
    });
    expect(store.audit.at(-1)).toMatchObject({ action: 'extended', actor: MEMBER });
  });

  it('lets a member acknowledge a break-glass, and an admin while Slack cannot say who is in the group', async () => {
    const deps = setUpRequests([withGroup({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } })]);
    knowPeople(deps.profiles, deps.directory, [MEMBER, ADMIN]);
    deps.approverDirectory.groups.set(ONCALL, [MEMBER]);
    await recordRequest(deps, { ...GOOD_REQUEST, breakGlass: true });
    deps.approverDirectory.failNext(OUTAGE);
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: MEMBER })).toEqual({
      ok: false,
      code: 'approver_groups_unavailable',
    });
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0001', actorId: MEMBER })).toMatchObject({
      ok: true,
      request: { breakGlass: { review: { by: MEMBER } } },
    });

    await recordRequest(deps, { ...GOOD_REQUEST, targetId: 'prod-ssh', breakGlass: true, requesterId: OUTSIDER });
    deps.approverDirectory.failNext(OUTAGE);
    expect(await acknowledgeBreakGlassAccess(deps, { requestId: 'req_0002', actorId: ADMIN })).toMatchObject({ ok: true });
  });

  it('lets a member revoke a grant PagerDuty approved, as a listed approver may', async () => {
    const { deps, store } = setUpJobs(makePolicy([withGroup()]));
    deps.approverDirectory.groups.set(ONCALL, [MEMBER]);
    const id = await approved(deps);
    await drain(deps);
    const active = store.requests.get(id);
    if (active?.state !== 'active') throw new Error('expected an active grant');
    store.requests.set(id, { ...active, approvals: [], autoApprovedBy: 'PagerDuty on-call' });
    expect(await endAccess(deps, { requestId: id, actorId: OUTSIDER, reason: 'revoked' })).toMatchObject({ code: 'not_allowed' });
    expect(await endAccess(deps, { requestId: id, actorId: MEMBER, reason: 'revoked' })).toMatchObject({
      ok: true,
      request: { ending: { reason: 'revoked', by: MEMBER } },
    });
  });
});

describe('approvers who left Slack', () => {
  it('are left out of the roster and reported, and a waiting request they leave short says so', async () => {
    const target = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } });
    const { deps, id } = await waiting(target);
    deps.approverDirectory.departed.add(APPROVER_2);
    const request = await deps.requests.find(id);
    expect(await readRoster(deps, target, request)).toEqual({
      users: [APPROVER_1],
      departed: [APPROVER_2],
      groups: [],
      required: 2,
      available: 1,
    });
    expect(deps.problems.reported).toEqual([
      { kind: 'approver_departed', targetId: 'prod-ssh', userId: APPROVER_2 },
      { kind: 'quorum_unreachable', targetId: 'prod-ssh', requestId: id, available: 1, required: 2 },
    ]);
  });

  it('never hold up the card: a person Slack cannot be asked about is named all the same', async () => {
    const { deps, store } = setUpJobs(makePolicy([makeTarget()]));
    deps.approverDirectory.failNext(OUTAGE);
    await approved(deps);
    expect(await drain(deps)).toContain('notify:done');
    expect(deps.notifier.rosters[0]).toEqual({ users: [APPROVER_1, APPROVER_2], departed: [], groups: [], required: 1, available: 2 });
    expect(store.audit.at(-1)?.action).toBe('granted');
  });
});
