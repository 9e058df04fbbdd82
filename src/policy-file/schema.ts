// The shape of the policy file and its mapping onto the domain `Policy`. Messages here are what a reviewer reads.

import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../domain/duration.js';
import { DEFAULT_SETTINGS, type Target } from '../domain/policy.js';

const SLACK_USER_ID = /^[UW][A-Z0-9]{6,20}$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{6,20}$/;
// A Slack user group ("subteam") id, as usergroups.list gives it and <!subteam^S…> mentions it.
const SLACK_USER_GROUP_ID = /^S[A-Z0-9]{6,20}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A ServiceNow sys_id: 32 hexadecimal characters.
const SYS_ID = /^[0-9a-f]{32}$/;
const TARGET_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const BOUNDARY_TARGET_ID = /^t[a-z]*_[A-Za-z0-9]{1,40}$/;
// PagerDuty object ids are short upper-case letters and digits, e.g. PSCHED1 (the last part of the object's URL).
const PAGERDUTY_ID = /^[A-Z0-9]{2,20}$/;
// Slack shows a target as a select option, whose text is at most 75 characters.
const MAX_NAME = 75;
const MAX_DESCRIPTION = 300;
// PIM caps admin assignments at 180 days (Expiration_Admin_Assignment); nothing here may ask for more.
const MAX_MINUTES = 180 * 24 * 60;

const slackUserId = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)');
const slackUserList = z.array(slackUserId);
export const duration = z.string({ error: `must be a duration; ${DURATION_HINT}` }).transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  if (parsed.minutes > MAX_MINUTES) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is longer than 180d, the longest assignment Entra allows` });
    return z.NEVER;
  }
  return parsed.minutes;
});
const groupId = z.string().regex(GUID, 'must be the Entra group object id, a GUID like c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a');

const grantSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('pim_group'), group_id: groupId, require_eligibility: z.boolean().default(false) }),
    z.strictObject({ kind: z.literal('group_membership'), group_id: groupId }),
  ],
  { error: 'must be pim_group or group_membership' },
);

const durationBlockSchema = z.strictObject({
  default: duration,
  max: duration,
  choices: z.array(duration).max(100, 'may list at most 100 choices (Slack select limit)').default([]),
});

// That users and groups name at least one approver between them is a cross-field rule (cross-field-rules.ts).
const approversSchema = z.strictObject({
  channel: z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id such as C0123ABCD (channel details → About → Channel ID)'),
  users: slackUserList.default([]),
  groups: z
    .array(
      z
        .string()
        .regex(
          SLACK_USER_GROUP_ID,
          'must be a Slack user group id such as S0123ABCD (the id usergroups.list gives; a @handle or a name is not an id)',
        ),
    )
    .default([]),
  required: z.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
  remind_after: duration.optional(),
  escalate: z
    .strictObject({
      after: duration,
      users: slackUserList.min(1, 'must list at least one person who becomes an approver when the request escalates'),
    })
    .optional(),
});

const pagerDutyIds = (what: string) =>
  z.array(z.string().regex(PAGERDUTY_ID, `must be a PagerDuty ${what} id such as P1A2B3C (the last part of its page's URL)`)).default([]);

const autoApproveSchema = z.strictObject({
  on_call: z.strictObject({
    schedule_ids: pagerDutyIds('schedule'),
    escalation_policy_ids: pagerDutyIds('escalation policy'),
    max_level: z.number().int('must be a whole number').min(1, 'must be at least 1 (the first escalation level)').default(1),
  }),
  max: duration,
});

// The part of `approvers` the quorum rule needs; other fields of the block are checked by approversSchema.
export const quorumSchema = z.object({
  users: z.array(z.string()).default([]),
  groups: z.array(z.string()).default([]),
  required: approversSchema.shape.required,
});

const targetSchema = z.strictObject({
  id: z.string().regex(TARGET_ID, 'must be lowercase letters, digits, - or _ (at most 64), starting with a letter or digit'),
  name: z.string().min(1, 'must not be empty').max(MAX_NAME, `must be at most ${MAX_NAME} characters (Slack's option text limit)`),
  description: z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`).optional(),
  boundary: z
    .strictObject({
      managed_group: z.string().min(1, 'must not be empty'),
      target_ids: z.array(z.string().regex(BOUNDARY_TARGET_ID, 'must be a Boundary target id such as ttcp_1234567890')).default([]),
    })
    .optional(),
  grant: grantSchema,
  duration: durationBlockSchema,
  approvers: approversSchema,
  requesters: z
    .strictObject({ users: slackUserList.min(1, 'must list at least one user; leave requesters out to let anyone ask') })
    .optional(),
  allow_guests: z.boolean('must be true or false').default(false),
  change_record: z
    .strictObject({
      template_id: z
        .string('must be the sys_id of a ServiceNow standard change template')
        .regex(SYS_ID, 'must be the sys_id of a ServiceNow standard change template: 32 lowercase hex characters'),
      required: z.boolean('must be true or false').default(false),
    })
    .optional(),
  auto_approve: autoApproveSchema.optional(),
  incident: z.enum(['optional', 'required'], 'must be optional or required').optional(),
  extension: z
    .strictObject({
      max_total: duration,
      approval: z.enum(['approvers', 'auto'], "must be approvers (the target's approvers decide each extension) or auto (granted at once)"),
    })
    .optional(),
  break_glass: z
    .strictObject({
      max: duration,
      alert_channel: approversSchema.shape.channel,
    })
    .optional(),
});

export const policySchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  admins: slackUserList.default([]),
  settings: z
    .strictObject({
      pending_timeout: duration.default(DEFAULT_SETTINGS.pendingTimeoutMinutes),
      expiry_warning: duration.default(DEFAULT_SETTINGS.expiryWarningMinutes),
    })
    .default({ pending_timeout: DEFAULT_SETTINGS.pendingTimeoutMinutes, expiry_warning: DEFAULT_SETTINGS.expiryWarningMinutes }),
  targets: z.array(targetSchema, 'must be a list of targets').min(1, 'must list at least one target'),
});

type ParsedTarget = z.output<typeof targetSchema>;

export function toTarget(parsed: ParsedTarget): Target {
  const grant =
    parsed.grant.kind === 'pim_group'
      ? { kind: 'pim_group' as const, groupId: parsed.grant.group_id, requireEligibility: parsed.grant.require_eligibility }
      : { kind: 'group_membership' as const, groupId: parsed.grant.group_id };
  return {
    id: parsed.id,
    name: parsed.name,
    ...(parsed.description !== undefined && { description: parsed.description }),
    ...(parsed.boundary && { boundary: { managedGroup: parsed.boundary.managed_group, targetIds: parsed.boundary.target_ids } }),
    grant,
    duration: { defaultMinutes: parsed.duration.default, maxMinutes: parsed.duration.max, choices: parsed.duration.choices },
    approvers: {
      channel: parsed.approvers.channel,
      users: parsed.approvers.users,
      ...(parsed.approvers.groups.length > 0 && { groups: parsed.approvers.groups }),
      required: parsed.approvers.required,
      ...(parsed.approvers.remind_after !== undefined && { remindAfterMinutes: parsed.approvers.remind_after }),
      ...(parsed.approvers.escalate && {
        escalate: { afterMinutes: parsed.approvers.escalate.after, users: parsed.approvers.escalate.users },
      }),
    },
    ...(parsed.requesters && { requesters: { users: parsed.requesters.users } }),
    allowGuests: parsed.allow_guests,
    ...(parsed.change_record && {
      changeRecord: { templateId: parsed.change_record.template_id, required: parsed.change_record.required },
    }),
    ...(parsed.auto_approve && {
      autoApprove: {
        onCall: {
          scheduleIds: parsed.auto_approve.on_call.schedule_ids,
          escalationPolicyIds: parsed.auto_approve.on_call.escalation_policy_ids,
          maxLevel: parsed.auto_approve.on_call.max_level,
        },
        maxMinutes: parsed.auto_approve.max,
      },
    }),
    ...(parsed.incident && { incident: parsed.incident }),
    ...(parsed.extension && { extension: { maxTotalMinutes: parsed.extension.max_total, approval: parsed.extension.approval } }),
    ...(parsed.break_glass && { breakGlass: { maxMinutes: parsed.break_glass.max, alertChannel: parsed.break_glass.alert_channel } }),
  };
}
