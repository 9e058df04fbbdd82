import { describe, expect, it } from 'vitest';
import { renderTargetRules } from '../../../../src/adapters/slack/blocks/target-rules.js';
import type { TargetRules } from '../../../../src/domain/target-rules.js';
import { blockTexts } from '../../../support/block-kit.js';
import { APPROVER_1, APPROVER_2, makeTarget } from '../../../support/fixtures.js';

const RULES: TargetRules = {
  known: true,
  target: makeTarget({ name: 'Prod <SSH> & co', description: 'Linux hosts' }),
  approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], groups: [], required: 1 },
  asksAsApprover: false,
  durations: { defaultMinutes: 60, maxMinutes: 240, offered: [30, 60, 120, 240] },
  requireEligibility: true,
  pendingTimeoutMinutes: 240,
  ask: { may: true, because: 'anyone' },
  guestsAllowed: false,
};

const texts = (rules: Parameters<typeof renderTargetRules>[0]) => blockTexts(renderTargetRules(rules).blocks);

describe('/jit why for a target in the policy', () => {
  it('says who approves, how many approvals, the durations, eligibility, the timeout and that the person may ask', () => {
    const reply = renderTargetRules(RULES);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('How access to Prod &lt;SSH&gt; &amp; co works');
    expect(blockTexts(reply.blocks)).toEqual([
      '*Prod &lt;SSH&gt; &amp; co* (`prod-ssh`)\nLinux hosts',
      [
        '*Who may approve:* <@U0MANAGER1>, <@U0MANAGER2> — in <#C0APPROVALS>. It takes one approval, never your own.',
        '*Duration:* 1h by default, at most 4h; you pick from 30m, 1h, 2h, 4h. The clock starts when access is granted.',
        '*PIM eligibility:* required — PIM must list you as eligible for the group before approvers see your request.',
        '*Unanswered requests* time out after 4h.',
      ].join('\n'),
      ':white_check_mark: *You may ask for it:* anyone in the workspace may. Slack guests, Slack Connect users and Entra guest accounts may not.',
      'Type `/jit` to ask for access.',
    ]);
  });

  it.each<[string, Partial<TargetRules>, string]>([
    ['user groups among the approvers', { approvers: { ...RULES.approvers, groups: ['S0LEADS'] } }, 'a member of <!subteam^S0LEADS>'],
    ['a quorum of approvers', { approvers: { ...RULES.approvers, required: 2 } }, 'It takes 2 approvals from different approvers'],
    ['no PIM eligibility needed', { requireEligibility: false }, '*PIM eligibility:* not required.'],
    ['a listed requester', { ask: { may: true, because: 'listed' } }, 'you are on its list of requesters'],
    [
      'a person not listed',
      { ask: { may: false, because: 'not_listed' } },
      ':no_entry: *You may not ask for it:* only the people on its list of requesters may.',
    ],
    ['guests allowed', { guestsAllowed: true }, 'Entra guest accounts may ask too.'],
    ['an approver asking', { asksAsApprover: true }, 'You are one of its approvers, but nobody approves their own request.'],
    [
      'an extension approved by the approvers',
      { extension: { maxTotalMinutes: 480, approval: 'approvers' } },
      '*Extension:* an active grant can be extended, approved by its approvers, up to 8h in all.',
    ],
    ['an extension granted at once', { extension: { maxTotalMinutes: 480, approval: 'auto' } }, 'extended, granted at once, up to 8h'],
    [
      'reminders at doubling intervals',
      { remindAfterMinutes: 15 },
      "*Reminders:* while a request waits, its approvers are reminded in the card's thread after 15m, then 30m later, 1h later, and so on.",
    ],
    [
      'an escalation',
      { escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] } },
      '*Escalation:* if nobody has decided after 1h, <@U0DIRECTOR1> may approve or deny it too, and is told so.',
    ],
    [
      'an escalation to several people',
      { escalate: { afterMinutes: 90, users: ['U0DIRECTOR1', 'U0CTO00001'] } },
      'after 1h30m, <@U0DIRECTOR1>, <@U0CTO00001> may approve or deny it too, and are told so.',
    ],
    [
      'break-glass',
      { breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } },
      '*Break-glass:* you may grant yourself up to 1h at once; the approvers and <#C0SECURITY> are alerted',
    ],
    [
      'approval at once for whoever is on call',
      { onCallApprovalMaxMinutes: 120 },
      '*On call:* if PagerDuty has you on call when you ask, a request of up to 2h is approved at once',
    ],
    ['a required PagerDuty incident', { incident: 'required' }, 'asks for the incident you are working on, and a request needs one.'],
    ['an optional PagerDuty incident', { incident: 'optional' }, 'asks for the incident you are working on, if there is one.'],
    [
      'a required ServiceNow change',
      { changeRecord: { required: true } },
      '*ServiceNow change:* each grant is a standard change, opened once your request is approved and closed when the access ends; access is granted only once the change exists.',
    ],
    ['an optional ServiceNow change', { changeRecord: { required: false } }, 'closed when the access ends; access never waits for it.'],
  ])('mentions %s', (_case, change, expected) => {
    expect(texts({ ...RULES, ...change }).join('\n')).toContain(expected);
  });

  it('leaves out what the target does not have', () => {
    const text = texts({ ...RULES, requireEligibility: undefined }).join('\n');
    expect(text).not.toContain('PIM eligibility');
    expect(text).not.toContain('Extension');
    expect(text).not.toContain('Break-glass');
    expect(text).not.toContain('subteam');
    expect(text).not.toContain('Reminders');
    expect(text).not.toContain('Escalation');
  });

  it('says who may approve, then who is reminded and added when they do not answer', () => {
    const lines = texts({ ...RULES, remindAfterMinutes: 15, escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] } })[1]?.split('\n') ?? [];
    expect(lines.slice(0, 3).map((line) => line.split(':*')[0])).toEqual(['*Who may approve', '*Reminders', '*Escalation']);
  });
});

describe('/jit why for a target not in the policy', () => {
  it('lists the targets the person may ask for, escaping what they typed', () => {
    const reply = renderTargetRules({
      known: false,
      asked: '<!here>`x',
      requestable: [makeTarget(), makeTarget({ id: 'prod-db', name: 'DB & co' })],
    });
    expect(reply.response_type).toBe('ephemeral');
    expect(blockTexts(reply.blocks)).toEqual([
      "I don't know `&lt;!here&gt;'x`.\nYou may ask for:\n• `prod-ssh` — Production servers (SSH)\n• `prod-db` — DB &amp; co",
    ]);
  });

  it('asks which target when none was named, and says so when the person may ask for none', () => {
    expect(texts({ known: false, asked: '', requestable: [] })).toEqual([
      'Which target? Type `/jit why <target-id>`.\nYou may not ask for any target in the policy. Ask an admin if you think you should.',
    ]);
  });
});
