import { describe, expect, it } from 'vitest';
import { approve, deny } from '../../src/domain/access-request.js';
import { type AccountState, approversWith, type GroupReading, quorumShortfall, rosterOf } from '../../src/domain/approvers.js';
import { approveExtension, denyExtension } from '../../src/domain/extension.js';
import type { Target } from '../../src/domain/policy.js';
import { APPROVER_1, APPROVER_2, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../support/fixtures.js';

const ONCALL = 'S0ONCALL01';
const LEADS = 'S0LEADS001';
const MEMBER = 'U0MEMBER01';
const OTHER_MEMBER = 'U0MEMBER02';
const now = T0 + 10_000;

const withGroups = (change: Partial<Target['approvers']> = {}): Target =>
  makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1], groups: [ONCALL], required: 1, ...change } });
const members = (groupId: string, ...users: string[]): GroupReading => ({ groupId, members: users });

describe('who may decide at the moment of a decision', () => {
  it.each<[string, Target, GroupReading[], string[]]>([
    ['the listed people alone, for a target without groups', makeTarget(), [], [APPROVER_1, APPROVER_2]],
    ['the listed people and the members of each group', withGroups(), [members(ONCALL, MEMBER, APPROVER_1)], [APPROVER_1, MEMBER]],
    ['nobody from a group the target does not list', withGroups(), [members(LEADS, MEMBER)], [APPROVER_1]],
    [
      'nobody from a group that cannot be read: it counts as empty',
      withGroups({ groups: [ONCALL, LEADS] }),
      [{ groupId: ONCALL, problem: 'no_such_subteam' }, members(LEADS, OTHER_MEMBER)],
      [APPROVER_1, OTHER_MEMBER],
    ],
    ['only the groups, when the target lists no one by name', withGroups({ users: [] }), [members(ONCALL, MEMBER)], [MEMBER]],
  ])('%s', (_case, target, readings, expected) => {
    expect([...approversWith(target, readings)].sort()).toEqual([...expected].sort());
  });
});

describe('decisions by members of an approver group', () => {
  const target = withGroups({ required: 2 });
  const approvers = approversWith(target, [members(ONCALL, MEMBER, OTHER_MEMBER, REQUESTER)]);

  it.each<[string, string, { ok: boolean; code?: string }]>([
    ['a member approves', MEMBER, { ok: true }],
    ['a listed approver approves', APPROVER_1, { ok: true }],
    ['the requester is refused even as a member of the group', REQUESTER, { ok: false, code: 'self_approval' }],
    ['someone in no group and not listed is refused', OUTSIDER, { ok: false, code: 'not_an_approver' }],
  ])('%s', (_case, actor, expected) => {
    expect(approve(requestIn('pending'), target, actor, now, approvers)).toMatchObject(expected);
    expect(deny(requestIn('pending'), target, actor, now, undefined, approvers)).toMatchObject(expected);
  });

  it('counts distinct approvers from the list and the groups toward the quorum', () => {
    const first = approve(requestIn('pending'), target, MEMBER, now, approvers);
    if (!first.ok) throw new Error(first.code);
    expect(first.request.state).toBe('pending');
    expect(approve(first.request, target, MEMBER, now, approvers)).toMatchObject({ ok: false, code: 'already_approved' });
    expect(approve(first.request, target, APPROVER_1, now, approvers)).toMatchObject({ ok: true, request: { state: 'approved' } });
  });

  it('stops counting the approval of someone who has left the group since', () => {
    const first = approve(requestIn('pending'), target, MEMBER, now, approvers);
    if (!first.ok) throw new Error(first.code);
    const afterLeaving = approversWith(target, [members(ONCALL, OTHER_MEMBER)]);
    expect(approve(first.request, target, MEMBER, now, afterLeaving)).toMatchObject({ ok: false, code: 'not_an_approver' });
    expect(approve(first.request, target, OTHER_MEMBER, now, afterLeaving)).toMatchObject({
      ok: true,
      request: { state: 'pending' },
      audit: { detail: { approvals: 1, required: 2 } },
    });
  });

  it('counts only the listed people when nobody asked Slack who is in the groups', () => {
    expect(approve(requestIn('pending'), target, MEMBER, now)).toMatchObject({ ok: false, code: 'not_an_approver' });
  });

  it('decides on an extension by the same rules', () => {
    const extending = withGroups({ required: 1 });
    const active = requestIn('active', {
      extension: { minutes: 30, reason: 'Still investigating', askedAt: now - 1000, approvals: [] },
    });
    const asked = { ...extending, extension: { maxTotalMinutes: 480, approval: 'approvers' as const } };
    expect(approveExtension(active, asked, MEMBER, now, approvers)).toMatchObject({ ok: true, audit: { action: 'extended' } });
    expect(approveExtension(active, asked, REQUESTER, now, approvers)).toMatchObject({ ok: false, code: 'self_approval' });
    expect(approveExtension(active, asked, MEMBER, now)).toMatchObject({ ok: false, code: 'not_an_approver' });
    expect(denyExtension(active, asked, MEMBER, now, undefined, approvers)).toMatchObject({
      ok: true,
      audit: { action: 'extension_denied' },
    });
  });
});

describe('the approvers as the card names them', () => {
  const states = (entries: [string, AccountState][]) => new Map(entries);

  it.each<[string, Target, [string, AccountState][], GroupReading[] | undefined, Partial<ReturnType<typeof rosterOf>>]>([
    [
      'everyone in Slack',
      makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } }),
      [
        [APPROVER_1, 'active'],
        [APPROVER_2, 'active'],
      ],
      [],
      { users: [APPROVER_1, APPROVER_2], departed: [], groups: [], available: 2 },
    ],
    [
      'someone who left is named apart and not counted',
      makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 1 } }),
      [
        [APPROVER_1, 'active'],
        [APPROVER_2, 'departed'],
      ],
      [],
      { users: [APPROVER_1], departed: [APPROVER_2], available: 1 },
    ],
    [
      'someone Slack could not be asked about is kept and counted',
      makeTarget(),
      [[APPROVER_1, 'unknown']],
      [],
      { users: [APPROVER_1, APPROVER_2], departed: [], available: 2 },
    ],
    [
      'the requester never counts, as listed or as a group member',
      withGroups({ users: [APPROVER_1, REQUESTER] }),
      [],
      [members(ONCALL, REQUESTER, MEMBER)],
      { users: [APPROVER_1, REQUESTER], groups: [ONCALL], available: 2 },
    ],
    [
      'a group that cannot be read just now leaves the count unknown',
      withGroups(),
      [],
      undefined,
      { users: [APPROVER_1], groups: [ONCALL] },
    ],
    [
      'a group that cannot be read at all counts as empty',
      withGroups(),
      [],
      [{ groupId: ONCALL, problem: 'plan_upgrade_required' }],
      { groups: [ONCALL], available: 1 },
    ],
  ])('%s', (_case, target, accountStates, readings, expected) => {
    const roster = rosterOf(target, states(accountStates), readings, REQUESTER);
    expect(roster).toMatchObject(expected);
    expect(roster.available).toBe(expected.available);
  });

  it.each<[string, number | undefined, number, { available: number; required: number } | undefined]>([
    ['enough left', 2, 2, undefined],
    ['too few left', 1, 2, { available: 1, required: 2 }],
    ['nobody left', 0, 1, { available: 0, required: 1 }],
    ['not known', undefined, 2, undefined],
  ])('a shortfall: %s', (_case, available, required, expected) => {
    const roster = { users: [], departed: [], groups: [], required, ...(available !== undefined && { available }) };
    expect(quorumShortfall(roster)).toEqual(expected);
  });
});
