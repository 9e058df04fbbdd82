// The news about a request, as thread replies under the card and as DMs to the requester.

import type { KnownBlock } from '@slack/types';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { NewsKind } from '../../../domain/news.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, context, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { type Rendered, targetName } from './request-card.js';
import { endedBecause, statusLine } from './request-status.js';

const endNowButton = (request: AccessRequest) =>
  actions('end_access', [
    {
      actionId: ACTION.endAccess,
      text: 'End access now',
      value: request.id,
      confirm: { title: 'End access now?', text: 'Your membership is removed at once.', confirm: 'End access', deny: 'Keep it' },
    },
  ]);

/** Fails to compile when a kind of news has no case; throws if a value outside the union slips in at run time. */
function unhandled(news: never): never {
  throw new Error(`no message for news "${String(news)}"`);
}

function boundaryHint(target: Target | undefined): string {
  const group = target?.boundary ? ` (managed group *${escapeMrkdwn(target.boundary.managedGroup)}*)` : '';
  return `Sign out of Boundary and sign in again${group}: Boundary reads group membership only when you authenticate, so an existing session does not gain the new access.`;
}

/** The news for a thread reply (everyone involved) — undefined when the card's update says it all. */
export function renderThreadNews(request: AccessRequest, news: NewsKind, target: Target | undefined): Rendered | undefined {
  const who = mention(request.requesterId);
  switch (news) {
    case 'granted':
      return {
        text: `Access granted to ${who} until ${slackDate(request.endsAt ?? 0)}`,
        blocks: [section(`:unlock: Access granted to ${who} until ${slackDate(request.endsAt ?? 0)}.`), context(boundaryHint(target))],
      };
    case 'expiring_soon':
      return {
        text: `Access for ${who} ends ${slackDate(request.endsAt ?? 0)}`,
        blocks: [section(`:hourglass: Access for ${who} ends ${slackDate(request.endsAt ?? 0)}.`), endNowButton(request)],
      };
    case 'ended':
      return {
        text: `Access for ${who} ended`,
        blocks: [section(`:lock: Access for ${who} ended: ${endedBecause(request)}. The Entra group membership is removed.`)],
      };
    case 'failed':
      return {
        text: `Granting access to ${who} failed`,
        blocks: [section(`:x: Granting access to ${who} failed: ${escapeMrkdwn(request.failure ?? 'unknown error')}`)],
      };
    case 'revoke_failing':
      return {
        text: `Removing access for ${who} keeps failing`,
        blocks: [
          section(
            `:rotating_light: Removing access for ${who} keeps failing; the bot keeps retrying. Check the bot's Graph permissions, or remove the membership of *${escapeMrkdwn(targetName(target, request))}* by hand.`,
          ),
        ],
      };
    case 'drift_removed_outside':
      return {
        text: `Access for ${who} was removed outside the bot`,
        blocks: [
          section(
            `:mag: Reconciliation: the membership of ${who} was removed in Entra before its end, outside the bot. The grant is closed.`,
          ),
        ],
      };
    case 'drift_still_present':
      return {
        text: `Access for ${who} was still there after it ended, and is now removed`,
        blocks: [
          section(
            `:mag: Reconciliation: ${who} was still a member after the grant ended (added back by hand?). The bot removed the membership again.`,
          ),
        ],
      };
    // The card, updated in place, says it all.
    case 'requested':
    case 'approval_recorded':
    case 'approved':
    case 'denied':
    case 'cancelled':
    case 'timed_out':
    case 'end_requested':
    case 'changed':
      return undefined;
    default:
      return unhandled(news);
  }
}

/** The news for the requester's DM. */
export function renderDirectNews(request: AccessRequest, news: NewsKind, target: Target | undefined): Rendered | undefined {
  const name = escapeMrkdwn(targetName(target, request));
  switch (news) {
    case 'granted':
      return {
        text: `Your access to ${name} is active until ${slackDate(request.endsAt ?? 0)}`,
        blocks: [
          section(`:unlock: Your access to *${name}* is active until ${slackDate(request.endsAt ?? 0)}.`),
          context(boundaryHint(target)),
          endNowButton(request),
        ],
      };
    case 'expiring_soon':
      return {
        text: `Your access to ${name} ends ${slackDate(request.endsAt ?? 0)}`,
        blocks: [
          section(
            `:hourglass: Your access to *${name}* ends ${slackDate(request.endsAt ?? 0)}. Ask again with \`/jit\` if you need more time.`,
          ),
          endNowButton(request),
        ],
      };
    case 'ended':
      return {
        text: `Your access to ${name} ended`,
        blocks: [section(`:lock: Your access to *${name}* ended: ${endedBecause(request)}.`)],
      };
    case 'denied':
    case 'timed_out':
    case 'failed':
      return {
        text: `Your request for ${name}: ${request.state.replace('_', ' ')}`,
        blocks: [section(`Your request for *${name}*: ${statusLine(request)}`)],
      };
    // The receipt, updated in place, says it all; the approvers' troubles are theirs to hear about.
    case 'requested':
    case 'approval_recorded':
    case 'approved':
    case 'cancelled':
    case 'end_requested':
    case 'drift_removed_outside':
    case 'drift_still_present':
    case 'revoke_failing':
    case 'changed':
      return undefined;
    default:
      return unhandled(news);
  }
}

/** The confirmation DM sent when a request is made, kept up to date; Cancel only while it can be cancelled. */
export function renderRequestReceipt(request: AccessRequest, target: Target | undefined, channel: string | undefined): Rendered {
  const name = escapeMrkdwn(targetName(target, request));
  const where = channel ? ` in <#${channel}>` : '';
  const blocks: KnownBlock[] = [
    section(`You asked for *${name}* for ${formatDuration(request.durationMinutes)}${where}.\n*Reason:* ${escapeMrkdwn(request.reason)}`),
    section(statusLine(request), 'status'),
  ];
  if (request.state === 'pending')
    blocks.push(actions('receipt', [{ actionId: ACTION.cancel, text: 'Cancel request', value: request.id }]));
  blocks.push(context(`Request \`${request.id}\``));
  return { text: `Your request for ${name}: ${request.state.replace('_', ' ')}`, blocks };
}
