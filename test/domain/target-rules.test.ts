import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/domain/policy.js';
import { explainTarget } from '../../src/domain/target-rules.js';
import { APPROVER_1, APPROVER_2, makePolicy, makeTarget, OUTSIDER, REQUESTER } from '../support/fixtures.js';

const MEMBERSHIP = { kind: 'group_membership', groupId: '5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b' } as const;

describe('/jit why for a target in the policy', () => {
  it('gives who approves, how many, the durations, eligibility, the timeout and that anyone may ask', () => {
    const target = makeTarget({ grant: { kind: 'pim_group', groupId: 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a', requireEligibility: true } });
    expect(explainTarget(makePolicy([target]), 'prod-ssh', REQUESTER)).toEqual({
      known: true,
      target,
      approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], groups: [], required: 1 },
      asksAsApprover: false,
      durations: { defaultMinutes: 60, maxMinutes: 240, offered: [30, 60, 120, 240] },
      requireEligibility: true,
      pendingTimeoutMinutes: 240,
      ask: { may: true, because: 'anyone' },
      guestsAllowed: false,
    });
  });

  it.each<[string, Partial<Target>, string, Partial<ReturnType<typeof explainTarget>>]>([
    ['a listed requester may ask', { requesters: { users: [REQUESTER] } }, REQUESTER, { ask: { may: true, because: 'listed' } }],
    ['an unlisted person may not ask', { requesters: { users: [OUTSIDER] } }, REQUESTER, { ask: { may: false, because: 'not_listed' } }],
    ['guests may ask where the target allows them', { allowGuests: true }, REQUESTER, { guestsAllowed: true }],
    ['an approver asking is told so', {}, APPROVER_1, { asksAsApprover: true }],
    ['direct membership has no PIM eligibility', { grant: MEMBERSHIP }, REQUESTER, { requireEligibility: undefined }],
    [
      'without listed choices the default and the maximum are offered',
      { duration: { defaultMinutes: 30, maxMinutes: 120, choices: [] } },
      REQUESTER,
      { durations: { defaultMinutes: 30, maxMinutes: 120, offered: [30, 120] } },
    ],
  ])('%s', (_case, change, userId, expected) => {
    expect(explainTarget(makePolicy([makeTarget(change)]), 'prod-ssh', userId)).toMatchObject(expected);
  });

  it('includes user groups, extension and break-glass only where the policy has them', () => {
    const later: Target = {
      ...makeTarget(),
      approvers: { channel: 'C0APPROVALS', users: [APPROVER_1], groups: ['S0ONCALLLEADS'], required: 2 },
      extension: { maxTotalMinutes: 480, approval: 'auto' },
      breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' },
    };
    expect(explainTarget(makePolicy([later]), 'prod-ssh', REQUESTER)).toMatchObject({
      approvers: { users: [APPROVER_1], groups: ['S0ONCALLLEADS'], required: 2 },
      extension: { maxTotalMinutes: 480, approval: 'auto' },
      breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' },
    });
    const plain = explainTarget(makePolicy([makeTarget()]), 'prod-ssh', REQUESTER);
    expect(plain).toMatchObject({ approvers: { groups: [] } });
    for (const absent of ['extension', 'breakGlass', 'onCallApprovalMaxMinutes', 'incident', 'changeRecord']) {
      expect(plain).not.toHaveProperty(absent);
    }
  });

  it('includes approval on call, the PagerDuty incident field and the ServiceNow change where the policy has them', () => {
    const withServices: Target = {
      ...makeTarget(),
      autoApprove: { onCall: { scheduleIds: ['PSCHED01'], escalationPolicyIds: [], maxLevel: 1 }, maxMinutes: 120 },
      incident: 'required',
      changeRecord: { templateId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', required: true },
    };
    expect(explainTarget(makePolicy([withServices]), 'prod-ssh', REQUESTER)).toMatchObject({
      onCallApprovalMaxMinutes: 120,
      incident: 'required',
      changeRecord: { required: true },
    });
  });

  it('leaves out the listed approvers who left Slack', () => {
    expect(explainTarget(makePolicy([makeTarget()]), 'prod-ssh', REQUESTER, new Set([APPROVER_2]))).toMatchObject({
      approvers: { users: [APPROVER_1], required: 1 },
    });
  });

  it('includes reminders and escalation only where the approvers block has them', () => {
    const chased = makeTarget({
      approvers: {
        channel: 'C0APPROVALS',
        users: [APPROVER_1],
        required: 1,
        remindAfterMinutes: 15,
        escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] },
      },
    });
    expect(explainTarget(makePolicy([chased]), 'prod-ssh', REQUESTER)).toMatchObject({
      remindAfterMinutes: 15,
      escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] },
    });
    const plain = explainTarget(makePolicy([makeTarget()]), 'prod-ssh', REQUESTER);
    expect(plain).not.toHaveProperty('remindAfterMinutes');
    expect(plain).not.toHaveProperty('escalate');
  });
});

describe('/jit why for a target not in the policy', () => {
  it.each<[string, string, Target[], string[]]>([
    [
      'lists the targets the person may ask for',
      'nope',
      [makeTarget(), makeTarget({ id: 'prod-db', grant: MEMBERSHIP })],
      ['prod-ssh', 'prod-db'],
    ],
    [
      'leaves out targets the person may not ask for',
      'nope',
      [makeTarget(), makeTarget({ id: 'prod-db', requesters: { users: [OUTSIDER] } })],
      ['prod-ssh'],
    ],
    ['answers an empty question the same way', '', [makeTarget()], ['prod-ssh']],
    ['matches ids exactly', 'PROD-SSH', [makeTarget()], ['prod-ssh']],
  ])('%s', (_case, asked, targets, requestable) => {
    const answer = explainTarget(makePolicy(targets), asked, REQUESTER);
    expect(answer.known).toBe(false);
    expect(!answer.known && { asked: answer.asked, ids: answer.requestable.map((target) => target.id) }).toEqual({
      asked,
      ids: requestable,
    });
  });
});
