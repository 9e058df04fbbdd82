// The break-glass alert: who took which access, for how long and why, posted to the approvers' channel and to
// the target's alert channel, and kept up to date like the approval card. Acknowledge stays until someone other
// than the person reviews it; Revoke while the access is active.

import type { KnownBlock } from '@slack/types';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, type ButtonSpec, context, fields, header, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { approverMentions } from './reminders.js';
import { type Rendered, targetName } from './request-card.js';
import { statusLine } from './request-status.js';

/** Where the review stands, in one line. */
export function reviewLine(request: AccessRequest): string {
  const glass = request.breakGlass;
  if (!glass) return '';
  if (glass.review) return `:white_check_mark: *Reviewed*: acknowledged by ${mention(glass.review.by)} ${slackDate(glass.review.at)}.`;
  return ':eyes: *Not reviewed yet*: another approver of this target or an admin must acknowledge it.';
}

/** `again`: the copy posted when nobody reviewed the break-glass within the hour. */
export function renderBreakGlassAlert(request: AccessRequest, target: Target | undefined, again = false): Rendered {
  const name = targetName(target, request);
  const at = request.breakGlass?.at ?? request.createdAt;
  const details = [
    `*Who*\n${mention(request.requesterId)}${request.principalName ? `\n${escapeMrkdwn(request.principalName)}` : ''}`,
    `*Target*\n${escapeMrkdwn(name)}`,
    `*Duration*\n${formatDuration(request.durationMinutes)}`,
    `*Taken*\n${slackDate(at)}`,
  ];
  const blocks: KnownBlock[] = [
    header(`${again ? 'Still not reviewed — ' : ''}Break-glass: ${name}`),
    section(
      `:rotating_light: ${mention(request.requesterId)} broke the glass and took *${escapeMrkdwn(name)}* at once, without an approval.${
        again ? ' Nobody has reviewed it for an hour.' : ''
      }`,
    ),
    fields(details),
    section(`*Why*\n${escapeMrkdwn(request.reason)}`, 'reason'),
    section(statusLine(request), 'status'),
    section(reviewLine(request), 'review'),
  ];
  const reviewers = target ? approverMentions(request, target) : [];
  if (again && !request.breakGlass?.review && reviewers.length > 0)
    blocks.push(context(`${reviewers.join(' ')}: please review this break-glass.`));
  const buttons: ButtonSpec[] = [];
  if (request.breakGlass && !request.breakGlass.review)
    buttons.push({ actionId: ACTION.acknowledgeBreakGlass, text: 'Acknowledge', value: request.id, style: 'primary' });
  if (request.state === 'active' && !request.ending)
    buttons.push({
      actionId: ACTION.revoke,
      text: 'Revoke',
      value: request.id,
      style: 'danger',
      confirm: { title: 'Revoke access?', text: 'The membership is removed at once.', confirm: 'Revoke', deny: 'Cancel' },
    });
  if (buttons.length > 0) blocks.push(actions('break_glass', buttons));
  blocks.push(context(`Request \`${request.id}\``));
  const reviewed = request.breakGlass?.review ? 'reviewed' : 'not reviewed';
  return {
    text: `Break-glass by ${mention(request.requesterId)} for ${escapeMrkdwn(name)}: ${reviewed}, ${request.state.replace('_', ' ')}`,
    blocks,
  };
}
