// The approval card in the approvers' channel: one message, updated in place through the whole lifecycle.
// Buttons are there only while a decision is possible.

import type { KnownBlock } from '@slack/types';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, context, fields, header, section } from './block-elements.js';
import { escapeMrkdwn, mention } from './mrkdwn.js';
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
  const blocks: KnownBlock[] = [
    header(`Access request: ${name}`),
    fields(details),
    section(`*Reason*\n${escapeMrkdwn(request.reason)}`, 'reason'),
    section(statusLine(request), 'status'),
  ];
  if (request.state === 'pending') {
    blocks.push(
      actions('decision', [
        { actionId: ACTION.approve, text: 'Approve', value: request.id, style: 'primary' },
        { actionId: ACTION.deny, text: 'Deny', value: request.id, style: 'danger' },
      ]),
    );
  }
  blocks.push(context(`Request \`${request.id}\``));
  return {
    text: `Access request from ${mention(request.requesterId)} for ${escapeMrkdwn(name)}: ${request.state.replace('_', ' ')}`,
    blocks,
  };
}
