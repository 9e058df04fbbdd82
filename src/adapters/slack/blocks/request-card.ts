// The approval card in the approvers' channel: one message, updated in place through the whole lifecycle.
// Buttons are there only while a decision is possible, and Revoke on a grant PagerDuty approved without them.

import type { KnownBlock } from '@slack/types';
import { type AccessRequest, fieldsOf } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, context, fields, header, section } from './block-elements.js';
import { clip, escapeMrkdwn, mention } from './mrkdwn.js';
import { changeField, statusLine } from './request-status.js';

export interface Rendered {
  text: string;
  blocks: KnownBlock[];
}

export function targetName(target: Target | undefined, request: AccessRequest): string {
  return target?.name ?? `${request.targetId} (no longer in the policy)`;
}

export function renderRequestCard(request: AccessRequest, target: Target | undefined): Rendered {
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
