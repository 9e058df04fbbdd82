// The policy files the bot runs on in the end-to-end tests, the demo and the bench, written from a few shared
// parts so that each one shows only what sets it apart. The text is the YAML an operator would write (flow
// maps, as in the README), and tests that edit a policy file in place replace lines of it.

/** The Entra groups the sandbox creates: one granted through PIM for Groups, one by direct membership. */
export const PIM_GROUP = 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a';
export const MEMBER_GROUP = '5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b';
/** The approvers channel the sandbox creates. */
export const APPROVALS = 'C0APPROVALS';
/** The Slack ids of the sandbox's two approvers (the people are in sandbox.ts). */
export const MANAGERS = ['U0MANAGER1', 'U0MANAGER2'] as const;
/** Its admin's. */
const ADMINS = ['U0ADMIN01'];

export interface TargetYaml {
  id: string;
  name: string;
  description?: string;
  boundary?: { managedGroup: string; targetIds: string[] };
  grant: { kind: 'pim_group' | 'group_membership'; groupId: string; requireEligibility?: boolean };
  duration: { default: string; max: string; choices?: string[] };
  /**
   * Always in the APPROVALS channel; `groups` (Slack user groups), `required`, `remindAfter` and `escalate` are left
   * out of the file when absent.
   */
  approvers: {
    users: readonly string[];
    groups?: readonly string[];
    required?: number;
    remindAfter?: string;
    escalate?: { after: string; users: string[] };
  };
  requesters?: string[];
  allowGuests?: boolean;
  /** A ServiceNow standard change for each grant; `required` is left out of the file when absent. */
  changeRecord?: { templateId: string; required?: boolean };
  /** Approval by PagerDuty on-call; `maxLevel` is left out of the file when absent. */
  autoApprove?: { scheduleIds?: string[]; escalationPolicyIds?: string[]; maxLevel?: number; max: string };
  incident?: 'optional' | 'required';
  extension?: { maxTotal: string; approval: 'approvers' | 'auto' };
  breakGlass?: { max: string; alertChannel: string };
}

export interface PolicyYaml {
  /** The sandbox's admin when absent; an empty list leaves `admins` out of the file. */
  admins?: string[];
  settings?: { pendingTimeout?: string; expiryWarning?: string };
  targets: TargetYaml[];
}

const list = (items: readonly string[]) => `[${items.join(', ')}]`;
const flowMap = (entries: [string, string | number | boolean | undefined][]) =>
  `{ ${entries
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ')} }`;

/** One entry of `targets:`, indented to follow a policy's `targets:` line. */
export function targetYaml(target: TargetYaml): string {
  const { grant, duration, approvers } = target;
  return [
    `  - id: ${target.id}`,
    `    name: ${target.name}`,
    target.description && `    description: ${target.description}`,
    target.boundary &&
      `    boundary: ${flowMap([
        ['managed_group', target.boundary.managedGroup],
        ['target_ids', list(target.boundary.targetIds)],
      ])}`,
    `    grant: ${flowMap([
      ['kind', grant.kind],
      ['group_id', grant.groupId],
      ['require_eligibility', grant.requireEligibility],
    ])}`,
    `    duration: ${flowMap([
      ['default', duration.default],
      ['max', duration.max],
      ['choices', duration.choices && list(duration.choices)],
    ])}`,
    `    approvers: ${flowMap([
      ['channel', APPROVALS],
      ['users', list(approvers.users)],
      ['groups', approvers.groups && list(approvers.groups)],
      ['required', approvers.required],
      ['remind_after', approvers.remindAfter],
      [
        'escalate',
        approvers.escalate &&
          flowMap([
            ['after', approvers.escalate.after],
            ['users', list(approvers.escalate.users)],
          ]),
      ],
    ])}`,
    target.requesters && `    requesters: ${flowMap([['users', list(target.requesters)]])}`,
    target.allowGuests !== undefined && `    allow_guests: ${target.allowGuests}`,
    target.changeRecord &&
      `    change_record: ${flowMap([
        ['template_id', target.changeRecord.templateId],
        ['required', target.changeRecord.required],
      ])}`,
    target.autoApprove &&
      `    auto_approve: { on_call: ${flowMap([
        ['schedule_ids', list(target.autoApprove.scheduleIds ?? [])],
        ['escalation_policy_ids', list(target.autoApprove.escalationPolicyIds ?? [])],
        ['max_level', target.autoApprove.maxLevel],
      ])}, max: ${target.autoApprove.max} }`,
    target.incident && `    incident: ${target.incident}`,
    target.extension &&
      `    extension: ${flowMap([
        ['max_total', target.extension.maxTotal],
        ['approval', target.extension.approval],
      ])}`,
    target.breakGlass &&
      `    break_glass: ${flowMap([
        ['max', target.breakGlass.max],
        ['alert_channel', target.breakGlass.alertChannel],
      ])}`,
    '',
  ]
    .filter((line) => typeof line === 'string')
    .join('\n');
}

/** A whole policy file: `version: 1`, the admins, the settings if any, then the targets. */
export function policyYaml(policy: PolicyYaml): string {
  const admins = policy.admins ?? ADMINS;
  const { settings } = policy;
  return [
    'version: 1\n',
    admins.length > 0 ? `admins: ${list(admins)}\n` : '',
    settings
      ? `settings: ${flowMap([
          ['pending_timeout', settings.pendingTimeout],
          ['expiry_warning', settings.expiryWarning],
        ])}\n`
      : '',
    'targets:\n',
    ...policy.targets.map(targetYaml),
  ].join('');
}

/** `prod-ssh`: PIM for Groups on PIM_GROUP, 1h by default and at most 4h, approved by the first manager. */
export function prodSsh(change: Partial<TargetYaml> = {}): TargetYaml {
  return {
    id: 'prod-ssh',
    name: 'Production servers (SSH)',
    grant: { kind: 'pim_group', groupId: PIM_GROUP },
    duration: { default: '1h', max: '4h' },
    approvers: { users: ['U0MANAGER1'] },
    ...change,
  };
}

/** `prod-db`: direct membership of MEMBER_GROUP, 30m by default and at most 2h, approved by the first manager. */
export function prodDb(change: Partial<TargetYaml> = {}): TargetYaml {
  return {
    id: 'prod-db',
    name: 'Production databases',
    grant: { kind: 'group_membership', groupId: MEMBER_GROUP },
    duration: { default: '30m', max: '2h' },
    approvers: { users: ['U0MANAGER1'] },
    ...change,
  };
}

/** What the sandbox runs when a test names no policy: both kinds of grant, one of them needing two approvals. */
export const DEFAULT_POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '10m' },
  targets: [
    prodSsh({
      description: 'Linux hosts in the Production project',
      boundary: { managedGroup: 'Production - Boundary on Azure', targetIds: ['ttcp_1234567890'] },
      duration: { default: '1h', max: '4h', choices: ['30m', '1h', '2h', '4h'] },
      approvers: { users: MANAGERS, required: 1 },
    }),
    prodDb({ approvers: { users: MANAGERS, required: 2 } }),
  ],
});

/** One direct-membership target either manager approves alone, warned about 5 minutes before its end. */
export const PROD_DB_POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '5m' },
  targets: [prodDb({ approvers: { users: MANAGERS, required: 1 } })],
});

/** One direct-membership target granted for a minute by default, so that a test sees its end soon. */
export const ONE_MINUTE_POLICY = policyYaml({ targets: [prodDb({ duration: { default: '1m', max: '2h' } })] });

/** The standard change template the sandbox's ServiceNow simulator is seeded with (a sys_id). */
export const CHANGE_TEMPLATE = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** `prod-db` with a ServiceNow change record for each grant, required or not. */
export function changeRecordPolicy(required: boolean): string {
  return policyYaml({
    targets: [prodDb({ approvers: { users: MANAGERS, required: 1 }, changeRecord: { templateId: CHANGE_TEMPLATE, required } })],
  });
}
/**
 * Extensions: `prod-ssh` (PIM) extended by its approvers up to 6h in all, `prod-db` (direct membership) extended
 * at once up to 3h in all; both warned 10 minutes before their end.
 */
export const EXTENSION_POLICY = policyYaml({
  settings: { pendingTimeout: '4h', expiryWarning: '10m' },
  targets: [
    prodSsh({
      approvers: { users: MANAGERS, required: 1 },
      extension: { maxTotal: '6h', approval: 'approvers' },
    }),
    prodDb({ approvers: { users: MANAGERS, required: 1 }, extension: { maxTotal: '3h', approval: 'auto' } }),
  ],
});
