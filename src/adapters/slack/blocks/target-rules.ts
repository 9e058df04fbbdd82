// The answer to `/jit why <target>`: the policy's rules for one target as they apply to the person asking, or,
// for a target the policy does not have, the targets they may ask for. Shown to that person only.

import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { reminderIntervalMinutes } from '../../../domain/reminders.js';
import type { TargetExplanation, TargetRules, UnknownTarget } from '../../../domain/target-rules.js';
import { context, section } from './block-elements.js';
import { channelLink, clip, escapeMrkdwn, groupMention, mention } from './mrkdwn.js';

export interface TargetRulesReply {
  response_type: 'ephemeral';
  text: string;
  blocks: KnownBlock[];
}

const listed = (targets: readonly Target[]) =>
  targets.map((target) => `• \`${escapeMrkdwn(target.id)}\` — ${escapeMrkdwn(target.name)}`).join('\n');

function approversLine({ approvers }: TargetRules): string {
  const people = [...approvers.users.map(mention), ...approvers.groups.map((group) => `a member of ${groupMention(group)}`)];
  const needed = approvers.required === 1 ? 'one approval' : `${approvers.required} approvals from different approvers`;
  return `*Who may approve:* ${people.join(', ')} — in ${channelLink(approvers.channel)}. It takes ${needed}, never your own.`;
}

/** The waits between reminders, as the policy doubles them: "15m, then 30m later, 1h later, and so on". */
function remindersLine({ remindAfterMinutes }: TargetRules): string | undefined {
  if (remindAfterMinutes === undefined) return undefined;
  const [first, second, third] = [0, 1, 2].map((sent) => formatDuration(reminderIntervalMinutes(remindAfterMinutes, sent)));
  return `*Reminders:* while a request waits, its approvers are reminded in the card's thread after ${first}, then ${second} later, ${third} later, and so on.`;
}

function escalationLine({ escalate }: TargetRules): string | undefined {
  if (!escalate) return undefined;
  return `*Escalation:* if nobody has decided after ${formatDuration(escalate.afterMinutes)}, ${escalate.users.map(mention).join(', ')} may approve or deny it too, and ${escalate.users.length === 1 ? 'is' : 'are'} told so.`;
}

function durationLine({ durations }: TargetRules): string {
  const offered = durations.offered.map(formatDuration).join(', ');
  return `*Duration:* ${formatDuration(durations.defaultMinutes)} by default, at most ${formatDuration(durations.maxMinutes)}; you pick from ${offered}. The clock starts when access is granted.`;
}

function eligibilityLine({ requireEligibility }: TargetRules): string | undefined {
  if (requireEligibility === undefined) return undefined;
  return requireEligibility
    ? '*PIM eligibility:* required — PIM must list you as eligible for the group before approvers see your request.'
    : '*PIM eligibility:* not required.';
}

function extensionLine({ extension }: TargetRules): string | undefined {
  if (!extension) return undefined;
  const how = extension.approval === 'auto' ? 'granted at once' : 'approved by its approvers';
  return `*Extension:* an active grant can be extended, ${how}, up to ${formatDuration(extension.maxTotalMinutes)} in all.`;
}

function breakGlassLine({ breakGlass }: TargetRules): string | undefined {
  if (!breakGlass) return undefined;
  return `*Break-glass:* you may grant yourself up to ${formatDuration(breakGlass.maxMinutes)} at once; the approvers and ${channelLink(breakGlass.alertChannel)} are alerted and review it afterwards.`;
}

function onCallLine({ onCallApprovalMaxMinutes }: TargetRules): string | undefined {
  if (onCallApprovalMaxMinutes === undefined) return undefined;
  return `*On call:* if PagerDuty has you on call when you ask, a request of up to ${formatDuration(onCallApprovalMaxMinutes)} is approved at once; the approvers are told and may still revoke it.`;
}

function incidentLine({ incident }: TargetRules): string | undefined {
  if (!incident) return undefined;
  return incident === 'required'
    ? '*PagerDuty incident:* the request form asks for the incident you are working on, and a request needs one.'
    : '*PagerDuty incident:* the request form asks for the incident you are working on, if there is one.';
}

function changeRecordLine({ changeRecord }: TargetRules): string | undefined {
  if (!changeRecord) return undefined;
  return changeRecord.required
    ? '*ServiceNow change:* each grant is a standard change, opened once your request is approved and closed when the access ends; access is granted only once the change exists.'
    : '*ServiceNow change:* each grant is a standard change, opened once your request is approved and closed when the access ends; access never waits for it.';
}

function askLine(rules: TargetRules): string {
  const guests = rules.guestsAllowed
    ? 'Slack guests, Slack Connect users and Entra guest accounts may ask too.'
    : 'Slack guests, Slack Connect users and Entra guest accounts may not.';
  const approver = rules.asksAsApprover ? ' You are one of its approvers, but nobody approves their own request.' : '';
  switch (rules.ask.because) {
    case 'anyone':
      return `:white_check_mark: *You may ask for it:* anyone in the workspace may. ${guests}${approver}`;
    case 'listed':
      return `:white_check_mark: *You may ask for it:* you are on its list of requesters. ${guests}${approver}`;
    case 'not_listed':
      return ':no_entry: *You may not ask for it:* only the people on its list of requesters may. Ask an admin if you think you should.';
  }
}

function renderRules(rules: TargetRules): TargetRulesReply {
  const { target } = rules;
  const name = escapeMrkdwn(target.name);
  const title = `*${name}* (\`${escapeMrkdwn(target.id)}\`)${target.description ? `\n${escapeMrkdwn(clip(target.description, 300))}` : ''}`;
  const lines = [
    approversLine(rules),
    onCallLine(rules),
    remindersLine(rules),
    escalationLine(rules),
    durationLine(rules),
    eligibilityLine(rules),
    `*Unanswered requests* time out after ${formatDuration(rules.pendingTimeoutMinutes)}.`,
    extensionLine(rules),
    breakGlassLine(rules),
    incidentLine(rules),
    changeRecordLine(rules),
  ].filter((line): line is string => line !== undefined);
  return {
    response_type: 'ephemeral',
    text: `How access to ${name} works`,
    blocks: [section(title), section(lines.join('\n')), section(askLine(rules)), context('Type `/jit` to ask for access.')],
  };
}

function renderUnknown({ asked, requestable }: UnknownTarget): TargetRulesReply {
  const question = asked
    ? `I don't know \`${escapeMrkdwn(clip(asked.replace(/`/g, "'"), 80))}\`.`
    : 'Which target? Type `/jit why <target-id>`.';
  const choices =
    requestable.length > 0
      ? `You may ask for:\n${listed(requestable)}`
      : 'You may not ask for any target in the policy. Ask an admin if you think you should.';
  return { response_type: 'ephemeral', text: `${question} ${choices}`, blocks: [section(`${question}\n${choices}`)] };
}

export function renderTargetRules(explanation: TargetExplanation): TargetRulesReply {
  return explanation.known ? renderRules(explanation) : renderUnknown(explanation);
}
