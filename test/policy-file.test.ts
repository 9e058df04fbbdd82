import { describe, expect, it } from 'vitest';
import { formatPolicyProblem, loadPolicyFile, parsePolicy } from '../src/policy-file.js';

const VALID = `version: 1
admins: [U0ADMIN01]
settings:
  pending_timeout: 4h
  expiry_warning: 10m
targets:
  - id: prod-ssh
    name: Production servers (SSH)
    description: Linux hosts in the Production project
    boundary:
      managed_group: Production - Boundary on Azure
      target_ids: [ttcp_1234567890]
    grant: { kind: pim_group, group_id: c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a, require_eligibility: true }
    duration: { default: 1h, max: 4h, choices: [30m, 1h, 2h, 4h] }
    approvers: { channel: C0APPROVALS, users: [U0MANAGER1, U0MANAGER2], required: 1 }
    requesters: { users: [U0SRE0001] }
`;

/** The messages a policy text gets, as the bot and policy:check print them. */
function messages(text: string): string[] {
  const result = parsePolicy(text, 'policy.yml');
  return result.ok ? [] : result.problems.map(formatPolicyProblem);
}

describe('the policy file', () => {
  it('reads the documented example into typed values with durations in minutes', () => {
    const result = parsePolicy(VALID, 'policy.yml');
    expect(result).toEqual({
      ok: true,
      policy: {
        version: 1,
        admins: ['U0ADMIN01'],
        settings: { pendingTimeoutMinutes: 240, expiryWarningMinutes: 10 },
        targets: [
          {
            id: 'prod-ssh',
            name: 'Production servers (SSH)',
            description: 'Linux hosts in the Production project',
            boundary: { managedGroup: 'Production - Boundary on Azure', targetIds: ['ttcp_1234567890'] },
            grant: { kind: 'pim_group', groupId: 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a', requireEligibility: true },
            duration: { defaultMinutes: 60, maxMinutes: 240, choices: [30, 60, 120, 240] },
            approvers: { channel: 'C0APPROVALS', users: ['U0MANAGER1', 'U0MANAGER2'], required: 1 },
            requesters: { users: ['U0SRE0001'] },
            allowGuests: false,
          },
        ],
      },
    });
    expect(result.ok && Object.isFrozen(result.policy.targets[0]?.approvers.users)).toBe(true);
  });

  it('reads Slack user groups among the approvers, with or without people listed by name', () => {
    const both = parsePolicy(VALID.replace('users: [U0MANAGER1, U0MANAGER2],', 'users: [U0MANAGER1], groups: [S0ONCALL01],'), 'policy.yml');
    expect(both.ok && both.policy.targets[0]?.approvers).toEqual({
      channel: 'C0APPROVALS',
      users: ['U0MANAGER1'],
      groups: ['S0ONCALL01'],
      required: 1,
    });
    // How many people a group holds is Slack's to say at each decision, so a quorum above the listed people is no error.
    const groupsOnly = parsePolicy(
      VALID.replace('users: [U0MANAGER1, U0MANAGER2], required: 1', 'groups: [S0ONCALL01, S0LEADS001], required: 3'),
      'policy.yml',
    );
    expect(groupsOnly.ok && groupsOnly.policy.targets[0]?.approvers).toEqual({
      channel: 'C0APPROVALS',
      users: [],
      groups: ['S0ONCALL01', 'S0LEADS001'],
      required: 3,
    });
  });

  it('fills the optional parts with their defaults', () => {
    const result = parsePolicy(
      `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 1m, max: 2h }
    approvers: { channel: C0APPROVALS, users: [U0MANAGER1] }
`,
      'policy.yml',
    );
    expect(result).toMatchObject({
      ok: true,
      policy: {
        admins: [],
        settings: { pendingTimeoutMinutes: 240, expiryWarningMinutes: 10 },
        targets: [
          {
            grant: { kind: 'group_membership' },
            duration: { defaultMinutes: 1, maxMinutes: 120, choices: [] },
            approvers: { required: 1 },
          },
        ],
      },
    });
    expect(result.ok && result.policy.targets[0]).not.toHaveProperty('requesters');
  });

  it.each([
    {
      rule: 'an unknown key, with the likely intended one',
      text: VALID.replace('    approvers:', '    aprovers:'),
      expected: [
        'policy.yml:7:5: targets[0].approvers: is required',
        'policy.yml:15:5: targets[0].aprovers: unknown field "aprovers" (did you mean "approvers"?); allowed here: id, name, description, boundary, grant, duration, approvers, requesters, allow_guests, change_record, auto_approve, incident, extension, break_glass',
      ],
    },
    {
      rule: 'an unknown key at the top',
      text: VALID.replace('admins:', 'admin:'),
      expected: ['policy.yml:2:1: admin: unknown field "admin" (did you mean "admins"?); allowed here: version, admins, settings, targets'],
    },
    {
      rule: 'a duplicate target id',
      text: `${VALID}${VALID.slice(VALID.indexOf('  - id:')).replace('(SSH)', '(again)')}`,
      expected: ['policy.yml:17:9: targets[1].id: duplicate target id "prod-ssh" (first used on line 7)'],
    },
    {
      rule: 'a malformed duration',
      text: VALID.replace('default: 1h', 'default: 90x'),
      expected: ['policy.yml:14:26: targets[0].duration.default: "90x" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    },
    {
      rule: 'a duration written as a bare number',
      text: VALID.replace('max: 4h', 'max: 240'),
      expected: ['policy.yml:14:35: targets[0].duration.max: must be a duration; write durations like 30m, 1h, 1h30m or 2d'],
    },
    {
      rule: 'a default above max',
      text: VALID.replace('default: 1h, max: 4h, choices: [30m, 1h, 2h, 4h]', 'default: 6h, max: 4h'),
      expected: ['policy.yml:14:26: targets[0].duration.default: 6h is above max (4h)'],
    },
    {
      rule: 'a choice above max',
      text: VALID.replace('choices: [30m, 1h, 2h, 4h]', 'choices: [30m, 1h, 8h]'),
      expected: ['policy.yml:14:58: targets[0].duration.choices[2]: 8h is above max (4h)'],
    },
    {
      rule: 'a default that is not one of the choices',
      text: VALID.replace('choices: [30m, 1h, 2h, 4h]', 'choices: [30m, 2h]'),
      expected: ['policy.yml:14:26: targets[0].duration.default: 1h must be one of the choices'],
    },
    {
      rule: 'a pim_group duration under 5 minutes',
      text: VALID.replace('choices: [30m, 1h, 2h, 4h]', 'choices: [2m, 1h]'),
      expected: ['policy.yml:14:49: targets[0].duration.choices[0]: 2m is under 5m, the shortest PIM assignment Entra accepts'],
    },
    {
      rule: 'required larger than the number of approvers',
      text: VALID.replace('required: 1', 'required: 3'),
      expected: [
        'policy.yml:15:83: targets[0].approvers.required: 3 approvals can never be reached: only 2 distinct approver(s) are listed',
      ],
    },
    {
      rule: 'required counting the same approver twice',
      text: VALID.replace('users: [U0MANAGER1, U0MANAGER2], required: 1', 'users: [U0MANAGER1, U0MANAGER1], required: 2'),
      expected: [
        'policy.yml:15:83: targets[0].approvers.required: 2 approvals can never be reached: only 1 distinct approver(s) are listed',
      ],
    },
    {
      rule: 'a malformed Slack user id',
      text: VALID.replace('[U0MANAGER1, U0MANAGER2]', '[U0MANAGER1, "@alice"]'),
      expected: [
        'policy.yml:15:60: targets[0].approvers.users[1]: must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)',
      ],
    },
    {
      rule: 'a Slack user group named by its handle instead of its id',
      text: VALID.replace('users: [U0MANAGER1, U0MANAGER2],', 'users: [U0MANAGER1, U0MANAGER2], groups: [S0ONCALL01, "@oncall"],'),
      expected: [
        'policy.yml:15:94: targets[0].approvers.groups[1]: must be a Slack user group id such as S0123ABCD (the id usergroups.list gives; a @handle or a name is not an id)',
      ],
    },
    {
      rule: 'approvers with neither users nor groups',
      text: VALID.replace('users: [U0MANAGER1, U0MANAGER2], ', ''),
      expected: ['policy.yml:15:16: targets[0].approvers.users: must list at least one approver, here or as a user group in groups'],
    },
    {
      rule: 'an empty list of users and no groups',
      text: VALID.replace('[U0MANAGER1, U0MANAGER2]', '[]'),
      expected: ['policy.yml:15:47: targets[0].approvers.users: must list at least one approver, here or as a user group in groups'],
    },
    {
      rule: 'a malformed Slack channel id',
      text: VALID.replace('channel: C0APPROVALS', 'channel: "#approvals"'),
      expected: [
        'policy.yml:15:27: targets[0].approvers.channel: must be a Slack channel id such as C0123ABCD (channel details → About → Channel ID)',
      ],
    },
    {
      rule: 'a malformed admin id',
      text: VALID.replace('admins: [U0ADMIN01]', 'admins: [u0admin01]'),
      expected: ['policy.yml:2:10: admins[0]: must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)'],
    },
    {
      rule: 'a group id that is not a GUID',
      text: VALID.replace('group_id: c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a', 'group_id: prod-admins'),
      expected: [
        'policy.yml:13:41: targets[0].grant.group_id: must be the Entra group object id, a GUID like c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a',
      ],
    },
    {
      rule: 'an unknown grant kind',
      text: VALID.replace('kind: pim_group', 'kind: pim_role'),
      expected: ['policy.yml:13:20: targets[0].grant.kind: must be pim_group or group_membership'],
    },
    {
      rule: 'require_eligibility on direct membership',
      text: VALID.replace('kind: pim_group', 'kind: group_membership'),
      expected: [
        'policy.yml:13:86: targets[0].grant.require_eligibility: unknown field "require_eligibility"; allowed here: kind, group_id',
      ],
    },
    {
      rule: 'a break_glass block without its alert channel',
      text: VALID.replace('    requesters:', '    break_glass: { max: 1h }\n    requesters:'),
      expected: ['policy.yml:16:18: targets[0].break_glass.alert_channel: is required'],
    },
    {
      rule: 'a break_glass alert channel that is not a channel id',
      text: VALID.replace('    requesters:', '    break_glass: { max: 1h, alert_channel: "#security" }\n    requesters:'),
      expected: [
        'policy.yml:16:44: targets[0].break_glass.alert_channel: must be a Slack channel id such as C0123ABCD (channel details → About → Channel ID)',
      ],
    },
    {
      rule: 'a pim_group break_glass max under 5 minutes',
      text: VALID.replace('    requesters:', '    break_glass: { max: 2m, alert_channel: C0SECURITY }\n    requesters:'),
      expected: ['policy.yml:16:25: targets[0].break_glass.max: 2m is under 5m, the shortest PIM assignment Entra accepts'],
    },
    {
      rule: 'a break_glass block with an unknown field',
      text: VALID.replace('    requesters:', '    break_glass: { max: 1h, alert_channel: C0SECURITY, channel: C0X }\n    requesters:'),
      expected: ['policy.yml:16:56: targets[0].break_glass.channel: unknown field "channel"; allowed here: max, alert_channel'],
    },
    {
      rule: 'an empty target list',
      text: 'version: 1\nadmins: [U0ADMIN01]\ntargets: []\n',
      expected: ['policy.yml:3:10: targets: must list at least one target'],
    },
    {
      rule: 'a missing target list',
      text: 'version: 1\n',
      expected: ['policy.yml:1:1: targets: is required'],
    },
    {
      rule: 'an unsupported version',
      text: VALID.replace('version: 1', 'version: 2'),
      expected: ['policy.yml:1:10: version: must be 1'],
    },
    {
      rule: 'a setting that is not a duration',
      text: VALID.replace('pending_timeout: 4h', 'pending_timeout: soon'),
      expected: ['policy.yml:4:20: settings.pending_timeout: "soon" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    },
    {
      rule: 'a name too long for a Slack option',
      text: VALID.replace('Production servers (SSH)', 'P'.repeat(76)),
      expected: ["policy.yml:8:11: targets[0].name: must be at most 75 characters (Slack's option text limit)"],
    },
    {
      rule: 'an empty requesters list',
      text: VALID.replace('requesters: { users: [U0SRE0001] }', 'requesters: { users: [] }'),
      expected: ['policy.yml:16:26: targets[0].requesters.users: must list at least one user; leave requesters out to let anyone ask'],
    },
    {
      rule: 'a repeated key',
      text: VALID.replace('    approvers:', '    name: Again\n    approvers:'),
      expected: ['policy.yml:15:5: not valid YAML: Map keys must be unique'],
    },
    {
      rule: 'broken YAML',
      text: 'version: 1\ntargets: [\n  a: b\n',
      expected: ['policy.yml:4:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    },
    {
      rule: 'a change record template that is not a sys_id',
      text: `${VALID}    change_record: { template_id: CHG-TEMPLATE, required: maybe }\n`,
      expected: [
        'policy.yml:17:35: targets[0].change_record.template_id: must be the sys_id of a ServiceNow standard change template: 32 lowercase hex characters',
        'policy.yml:17:59: targets[0].change_record.required: must be true or false',
      ],
    },
    {
      rule: 'a file that is not a mapping',
      text: '- just\n- a list\n',
      expected: ['policy.yml:1:1: the policy must be a mapping with version, admins, settings and targets'],
    },
  ])('refuses $rule, naming the file, line and field', ({ text, expected }) => {
    expect(messages(text)).toEqual(expected);
  });

  it('reads the PagerDuty blocks: approval by on-call and the incident field', () => {
    const text = `${VALID}    auto_approve: { on_call: { escalation_policy_ids: [PEP0001] }, max: 30m }\n    incident: required\n`;
    const result = parsePolicy(text, 'policy.yml');
    expect(result.ok && result.policy.targets[0]).toMatchObject({
      autoApprove: { onCall: { scheduleIds: [], escalationPolicyIds: ['PEP0001'], maxLevel: 1 }, maxMinutes: 30 },
      incident: 'required',
    });
  });

  it.each([
    {
      rule: 'an on-call rule that lists nothing',
      block: 'auto_approve: { on_call: { max_level: 1 }, max: 1h }',
      expected: [
        'policy.yml:17:30: targets[0].auto_approve.on_call: lists no schedule_ids and no escalation_policy_ids: nobody could ever be approved by being on call',
      ],
    },
    {
      rule: 'an auto-approval longer than the target allows, and a level below 1',
      block: 'auto_approve: { on_call: { schedule_ids: [PSCHED01], max_level: 0 }, max: 8h }',
      expected: [
        'policy.yml:17:69: targets[0].auto_approve.on_call.max_level: must be at least 1 (the first escalation level)',
        'policy.yml:17:79: targets[0].auto_approve.max: 8h is above duration.max (4h); no request could be that long',
      ],
    },
    {
      rule: 'a schedule id that is not a PagerDuty id, and a missing max',
      block: 'auto_approve: { on_call: { schedule_ids: [my-schedule] } }',
      expected: [
        'policy.yml:17:19: targets[0].auto_approve.max: is required',
        "policy.yml:17:47: targets[0].auto_approve.on_call.schedule_ids[0]: must be a PagerDuty schedule id such as P1A2B3C (the last part of its page's URL)",
      ],
    },
    {
      rule: 'an incident field that is neither optional nor required',
      block: 'incident: yes',
      expected: ['policy.yml:17:15: targets[0].incident: must be optional or required'],
    },
  ])('refuses $rule, naming the line and the field', ({ block, expected }) => {
    expect(messages(`${VALID}    ${block}\n`)).toEqual(expected);
  });

  it('reads a break_glass block as its cap in minutes and its alert channel, and leaves it out where absent', () => {
    const result = parsePolicy(
      VALID.replace('    requesters:', '    break_glass: { max: 1h, alert_channel: C0SECURITY }\n    requesters:'),
      'policy.yml',
    );
    expect(result.ok && result.policy.targets[0]?.breakGlass).toEqual({ maxMinutes: 60, alertChannel: 'C0SECURITY' });
    const without = parsePolicy(VALID, 'policy.yml');
    expect(without.ok && without.policy.targets[0]).not.toHaveProperty('breakGlass');
  });

  it('reports every problem at once, in file order', () => {
    const text = VALID.replace('admins: [U0ADMIN01]', 'admins: [bob]')
      .replace('default: 1h', 'default: 90x')
      .replace('required: 1', 'required: 5');
    expect(messages(text)).toEqual([
      'policy.yml:2:10: admins[0]: must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)',
      'policy.yml:14:26: targets[0].duration.default: "90x" is not a duration; write durations like 30m, 1h, 1h30m or 2d',
      'policy.yml:15:83: targets[0].approvers.required: 5 approvals can never be reached: only 2 distinct approver(s) are listed',
    ]);
  });

  it('says so when the file is missing', () => {
    const result = loadPolicyFile('/nonexistent/policy.yml');
    expect(result.ok ? [] : result.problems.map(formatPolicyProblem)).toEqual([
      '/nonexistent/policy.yml:1:1: file not found; set JIT_POLICY_FILE to the policy file',
    ]);
  });

  it('reads a change record block, not required unless it says so', () => {
    const result = parsePolicy(`${VALID}    change_record: { template_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9 }\n`, 'policy.yml');
    expect(result.ok && result.policy.targets[0]?.changeRecord).toEqual({
      templateId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      required: false,
    });
  });

  it('refuses a change record block when the bot runs without ServiceNow, and checks its shape only without that knowledge', () => {
    const text = `${VALID}    change_record: { template_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9, required: true }\n`;
    const refused = parsePolicy(text, 'policy.yml', { serviceNow: false, pagerDuty: true });
    expect(refused.ok ? [] : refused.problems.map(formatPolicyProblem)).toEqual([
      'policy.yml:17:20: targets[0].change_record: needs ServiceNow: set SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or remove change_record',
    ]);
    expect(parsePolicy(text, 'policy.yml', { serviceNow: true, pagerDuty: true }).ok).toBe(true);
    expect(parsePolicy(text, 'policy.yml').ok).toBe(true);
  });

  it('accepts the shipped policy.example.yml', () => {
    expect(loadPolicyFile('policy.example.yml')).toMatchObject({ ok: true });
  });
});

describe('the extension block', () => {
  const withExtension = (block: string) => `${VALID}    extension: ${block}\n`;

  it('reads max_total in minutes and the approval mode', () => {
    const result = parsePolicy(withExtension('{ max_total: 8h, approval: approvers }'), 'policy.yml');
    expect(result.ok && result.policy.targets[0]?.extension).toEqual({ maxTotalMinutes: 480, approval: 'approvers' });
    const auto = parsePolicy(withExtension('{ max_total: 6h, approval: auto }'), 'policy.yml');
    expect(auto.ok && auto.policy.targets[0]?.extension).toEqual({ maxTotalMinutes: 360, approval: 'auto' });
  });

  it('leaves a target without the block unable to extend', () => {
    const result = parsePolicy(VALID, 'policy.yml');
    expect(result.ok && result.policy.targets[0]?.extension).toBeUndefined();
  });

  it.each([
    {
      rule: 'an unknown approval mode',
      block: '{ max_total: 8h, approval: manager }',
      expected: [
        "policy.yml:17:43: targets[0].extension.approval: must be approvers (the target's approvers decide each extension) or auto (granted at once)",
      ],
    },
    {
      rule: 'a max_total that is not a duration',
      block: '{ max_total: 8 hours, approval: auto }',
      expected: [
        'policy.yml:17:29: targets[0].extension.max_total: "8 hours" is not a duration; write durations like 30m, 1h, 1h30m or 2d',
      ],
    },
    {
      rule: 'a max_total no longer than duration.max',
      block: '{ max_total: 4h, approval: auto }',
      expected: [
        'policy.yml:17:29: targets[0].extension.max_total: 4h leaves no room to extend a grant of duration.max (4h); make it longer than that',
      ],
    },
    { rule: 'a missing approval', block: '{ max_total: 8h }', expected: ['policy.yml:17:16: targets[0].extension.approval: is required'] },
    {
      rule: 'a misspelt key',
      block: '{ max_total: 8h, approval: auto, maxtotal: 9h }',
      expected: [
        'policy.yml:17:49: targets[0].extension.maxtotal: unknown field "maxtotal" (did you mean "max_total"?); allowed here: max_total, approval',
      ],
    },
  ])('refuses $rule, naming the file, line and field', ({ block, expected }) => {
    expect(messages(withExtension(block))).toEqual(expected);
  });
});

describe('reminders and escalation in the approvers block', () => {
  const withApprovers = (extra: string) => VALID.replace('required: 1 }', `required: 1, ${extra} }`);

  it('reads remind_after and escalate in minutes, with the people escalated to', () => {
    const result = parsePolicy(withApprovers('remind_after: 15m, escalate: { after: 1h, users: [U0DIRECTOR1] }'), 'policy.yml');
    expect(result.ok && result.policy.targets[0]?.approvers).toEqual({
      channel: 'C0APPROVALS',
      users: ['U0MANAGER1', 'U0MANAGER2'],
      required: 1,
      remindAfterMinutes: 15,
      escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] },
    });
  });

  it('leaves both out where the block has neither: no reminders, no escalation', () => {
    const result = parsePolicy(VALID, 'policy.yml');
    expect(result.ok && result.policy.targets[0]?.approvers).toEqual({
      channel: 'C0APPROVALS',
      users: ['U0MANAGER1', 'U0MANAGER2'],
      required: 1,
    });
  });

  it('accepts an escalation before the first reminder, or without any reminder', () => {
    expect(messages(withApprovers('remind_after: 1h, escalate: { after: 30m, users: [U0DIRECTOR1] }'))).toEqual([]);
    expect(messages(withApprovers('escalate: { after: 30m, users: [U0DIRECTOR1] }'))).toEqual([]);
  });

  it.each([
    {
      rule: 'a remind_after that is not a duration',
      extra: 'remind_after: soon',
      expected: [
        'policy.yml:15:100: targets[0].approvers.remind_after: "soon" is not a duration; write durations like 30m, 1h, 1h30m or 2d',
      ],
    },
    {
      rule: 'a remind_after of nothing',
      extra: 'remind_after: 0m',
      expected: ['policy.yml:15:100: targets[0].approvers.remind_after: "0m" is shorter than the smallest duration, 1m'],
    },
    {
      rule: 'an escalate.after of nothing',
      extra: 'escalate: { after: 0m, users: [U0DIRECTOR1] }',
      expected: ['policy.yml:15:105: targets[0].approvers.escalate.after: "0m" is shorter than the smallest duration, 1m'],
    },
    {
      rule: 'an escalate block without users',
      extra: 'escalate: { after: 1h }',
      expected: ['policy.yml:15:96: targets[0].approvers.escalate.users: is required'],
    },
    {
      rule: 'an escalate block with an empty list of users',
      extra: 'escalate: { after: 1h, users: [] }',
      expected: [
        'policy.yml:15:116: targets[0].approvers.escalate.users: must list at least one person who becomes an approver when the request escalates',
      ],
    },
    {
      rule: 'an escalate block without after',
      extra: 'escalate: { users: [U0DIRECTOR1] }',
      expected: ['policy.yml:15:96: targets[0].approvers.escalate.after: is required'],
    },
    {
      rule: 'a malformed user id to escalate to',
      extra: 'escalate: { after: 1h, users: ["@director"] }',
      expected: [
        'policy.yml:15:117: targets[0].approvers.escalate.users[0]: must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)',
      ],
    },
    {
      rule: 'a misspelt key in the escalate block',
      extra: 'escalate: { after: 1h, user: [U0DIRECTOR1] }',
      expected: [
        'policy.yml:15:96: targets[0].approvers.escalate.users: is required',
        'policy.yml:15:109: targets[0].approvers.escalate.user: unknown field "user" (did you mean "users"?); allowed here: after, users',
      ],
    },
    {
      rule: 'a reminder no sooner than the pending timeout',
      extra: 'remind_after: 4h',
      expected: [
        'policy.yml:15:100: targets[0].approvers.remind_after: 4h is not before settings.pending_timeout (4h): requests time out first, so nobody would ever be reminded',
      ],
    },
    {
      rule: 'an escalation after the pending timeout',
      extra: 'escalate: { after: 5h, users: [U0DIRECTOR1] }',
      expected: [
        'policy.yml:15:105: targets[0].approvers.escalate.after: 5h is not before settings.pending_timeout (4h): requests time out first, so no request would ever escalate',
      ],
    },
  ])('refuses $rule, naming the file, line and field', ({ extra, expected }) => {
    expect(messages(withApprovers(extra))).toEqual(expected);
  });

  it('compares them with the default pending timeout (4h) when the settings leave it out', () => {
    const text = withApprovers('remind_after: 5h').replace('  pending_timeout: 4h\n', '');
    expect(messages(text)).toEqual([
      'policy.yml:14:100: targets[0].approvers.remind_after: 5h is not before settings.pending_timeout (4h): requests time out first, so nobody would ever be reminded',
    ]);
  });
});
