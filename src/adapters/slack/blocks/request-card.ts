// The approval card in the approvers' channel: one message, updated in place through the whole lifecycle.
// Buttons are there only while a decision is possible, and Revoke on a grant PagerDuty approved without them.

import type { KnownBlock } from '@slack/types';
import { type AccessRequest, fieldsOf } from '../../../domain/access-request.js';
import { type ApproverRoster, groupsOf, quorumShortfall } from '../../../domain/approvers.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, context, fields, header, section } from './block-elements.js';
import { clip, escapeMrkdwn, groupMention, mention } from './mrkdwn.js';
import { changeField, statusLine } from './request-status.js';

export interface Rendered {
  text: string;
  blocks: KnownBlock[];
}

export function targetName(target: Target | undefined, request: AccessRequest): string {
  return target?.name ?? `${request.targetId} (no longer in the policy)`;
}

/**
 * Who may decide, as mentions: the listed people still in Slack and the user groups (`roster`; absent: everyone the
 * policy lists), but `except`. None for a target gone from the policy.
 */
export function approverMentions(target: Target | undefined, roster?: ApproverRoster, except?: string): string[] {
  if (!target) return [];
  const users = (roster?.users ?? target.approvers.users).filter((user) => user !== except);
  return [...users.map(mention), ...(roster?.groups ?? groupsOf(target)).map(groupMention)];
}

/** The line a waiting request gets when those left in Slack cannot meet its quorum. */
function shortfallLine(request: AccessRequest, roster: ApproverRoster | undefined): string | undefined {
  const shortfall = roster && request.state === 'pending' ? quorumShortfall(roster) : undefined;
  if (!shortfall) return undefined;
  return `:warning: This request needs ${shortfall.required} approval(s), but only ${shortfall.available} approver(s) other than the requester are still in Slack: it cannot be approved until the policy names more. The admins have been told.`;
}

/** `approvers`: the roster read when the card was written (who left Slack, whether the quorum can be met). */
export function renderRequestCard(request: AccessRequest, target: Target | undefined, approvers?: ApproverRoster): Rendered {
  const name = targetName(target, request);
  const details = [
    // The account Entra gives the access to: approvers see who gets it, not only which Slack user asked.
    `*Requester*\n${mention(request.requesterId)}${request.principalName ? `\n${escapeMrkdwn(request.principalName)}` : ''}`,
    `*Target*\n${escapeMrkdwn(name)}`,
    `*Duration*\n${formatDuration(request.durationMinutes)}`,
  ];
  if (target?.boundary) {
    details.push(`*Boundary managed group*\n${escapeMrkdwn(target.boundary.managedGroup)}`);
    if (target.boundary.targetIds.length > 0)
      details.push(`*Boundary targets*\n${target.boundary.targetIds.map((id) => `\`${id}\``).join(', ')}`);
  }
  const decide = approverMentions(target, approvers);
  if (decide.length > 0) details.push(`*Approvers*\n${clip(decide.join(', '), 1900)}`);
  const change = changeField(request);
  if (change) details.push(change);
  if (request.incident) {
    details.push(`*PagerDuty incident*\n#${request.incident.number} ${escapeMrkdwn(clip(request.incident.title, 200))}`);
  }
  const blocks: KnownBlock[] = [
    header(`Access request: ${name}`),
    fields(details),
    section(`*Reason*\n${escapeMrkdwn(request.reason)}`, 'reason'),
    section(statusLine(request), 'status'),
  ];
  const shortfall = shortfallLine(request, approvers);
  if (shortfall) blocks.push(section(shortfall, 'quorum'));
  const auto = fieldsOf(request).autoApprovedBy;
  if (auto !== undefined) {
    blocks.push(
      context(
        `Approved at once by ${escapeMrkdwn(auto)}: the requester is on call now, for no longer than this target allows without approvers. Approvers and admins may revoke it.`,
      ),
    );
  }
  if (request.state === 'pending') {
    blocks.push(
      actions('decision', [
        { actionId: ACTION.approve, text: 'Approve', value: request.id, style: 'primary' },
        { actionId: ACTION.deny, text: 'Deny', value: request.id, style: 'danger' },
      ]),
    );
  }
  if (request.state === 'active' && auto !== undefined && !request.ending) {
    blocks.push(
      actions('review', [
        {
          actionId: ACTION.revoke,
          text: 'Revoke',
          value: request.id,
          style: 'danger',
          confirm: { title: 'Revoke access?', text: 'The membership is removed at once.', confirm: 'Revoke', deny: 'Keep it' },
        },
      ]),
    );
  }
  blocks.push(context(`Request \`${request.id}\``));
  return {
    text: `Access request from ${mention(request.requesterId)} for ${escapeMrkdwn(name)}: ${request.state.replace('_', ' ')}`,
    blocks,
  };
}
