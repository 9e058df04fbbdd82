// The news about a request, as thread replies under the card and as DMs to the requester.

import type { KnownBlock } from '@slack/types';
import { type AccessRequest, type FailedRequest, isGranted } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import { grantCallOf, grantOf } from '../../../domain/membership.js';
import type { NewsKind } from '../../../domain/news.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, context, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { type Rendered, targetName } from './request-card.js';
import { endedBecause, failureForPeople, statusLine } from './request-status.js';

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

/** How Boundary is connected: absent when the bot does not end Boundary sign-ins (no BOUNDARY_ADDR). */
export interface BoundarySetup {
  /** The OIDC auth method people sign in with. */
  oidcAuthMethodId: string;
}

function boundaryHint(target: Target | undefined, boundary: BoundarySetup | undefined): string {
  const group = target?.boundary ? ` (managed group *${escapeMrkdwn(target.boundary.managedGroup)}*)` : '';
  const [first, ...more] = target?.boundary?.targetIds ?? [];
  const connect = first ? ` Then \`boundary connect -target-id ${first}\`${more.length > 0 ? ` (also ${more.join(', ')})` : ''}.` : '';
  const method = boundary ? ` -auth-method-id ${boundary.oidcAuthMethodId}` : '';
  return `Sign in to Boundary again with \`boundary authenticate oidc${method}\`${group}: Boundary reads group membership only when you authenticate, so an existing sign-in does not gain the new access.${connect}`;
}

/** The end's checklist, once Boundary has been dealt with too. */
function signOutChecklist(request: AccessRequest): string {
  const done = request.state === 'ended' || request.state === 'failed' ? request.signOut : undefined;
  if (!done) return 'Entra membership removed :white_check_mark:';
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const warning =
    done.otherAccounts > 0
      ? `\n:warning: ${plural(done.otherAccounts, 'Boundary account')} of the same user ${done.otherAccounts === 1 ? 'signs' : 'sign'} in without Entra (password or LDAP); such a sign-in keeps the old managed groups until the next OIDC sign-in.`
      : '';
  return `Entra membership removed :white_check_mark: · Boundary: ${plural(done.tokensRevoked, 'sign-in')} revoked, ${plural(done.sessionsEnded, 'session')} ended :white_check_mark: (verified)${warning}`;
}

/** Which assignment outside the bot holds the access, as people are told it. */
const heldByOther = (heldBy: string) =>
  `another PIM assignment that the bot did not make (schedule \`${escapeMrkdwn(heldBy)}\`) holds it, so the bot left it alone`;

function cleanupLine(request: FailedRequest): string {
  if (request.heldBy) return `The membership stays: ${heldByOther(request.heldBy)}.`;
  switch (request.cleanup?.result) {
    case 'removed':
      return 'The bot removed the membership its earlier call had created.';
    case 'absent':
      return 'Entra holds no membership from it: nothing was left behind.';
    case 'covered':
      return `Another grant of the bot (request \`${escapeMrkdwn(request.keptBy ?? '')}\`) holds the membership, so it stays.`;
    case 'standing':
      return 'The person already held this membership outside the bot, so the bot left it alone.';
    case undefined:
      return 'The bot is checking what the failed call may have left behind.';
  }
}

/** The news for a thread reply (everyone involved) — undefined when the card's update says it all. */
export function renderThreadNews(
  request: AccessRequest,
  news: NewsKind,
  target: Target | undefined,
  boundary?: BoundarySetup,
): Rendered | undefined {
  const who = mention(request.requesterId);
  switch (news) {
    case 'granted':
      if (!isGranted(request)) return undefined;
      return {
        text: `Access granted to ${who} until ${slackDate(request.endsAt)}`,
        blocks: [section(`:unlock: Access granted to ${who} until ${slackDate(request.endsAt)}.`), context(boundaryHint(target, boundary))],
      };
    case 'expiring_soon':
      if (!isGranted(request)) return undefined;
      return {
        text: `Access for ${who} ends ${slackDate(request.endsAt)}`,
        blocks: [section(`:hourglass: Access for ${who} ends ${slackDate(request.endsAt)}.`), endNowButton(request)],
      };
    case 'ended': {
      if (request.state !== 'ended') return undefined;
      const membership = request.heldBy
        ? `The Entra group membership stays: ${heldByOther(request.heldBy)}.`
        : request.keptBy
          ? `The Entra group membership stays: another grant of the bot (request \`${escapeMrkdwn(request.keptBy)}\`) still covers it.`
          : boundary
            ? 'The Entra group membership is removed; Boundary sign-ins end next.'
            : 'The Entra group membership is removed. The bot is not connected to Boundary: existing Boundary sign-ins may keep working until they expire.';
      return {
        text: `Access for ${who} ended`,
        blocks: [section(`:lock: Access for ${who} ended: ${endedBecause(request)}. ${membership}`)],
      };
    }
    case 'signed_out':
      return {
        text: `Access for ${who} ended in Entra and Boundary`,
        blocks: [section(`:lock: ${signOutChecklist(request)}`)],
      };
    case 'cleaned_up':
      if (request.state !== 'failed') return undefined;
      return {
        text: `Checked what the failed grant for ${who} left behind`,
        blocks: [section(`:broom: ${cleanupLine(request)}`)],
      };
    case 'failed':
      if (request.state !== 'failed') return undefined;
      return {
        text: `Granting access to ${who} failed`,
        blocks: [section(`:x: Granting access to ${who} failed: ${failureForPeople(request)}`)],
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
            `:mag: Reconciliation: ${who} was still a member after the grant ended, and the bot had never confirmed removing the membership. The bot removed it now.`,
          ),
        ],
      };
    case 'drift_journal_mismatch':
      return {
        text: `The grant for ${who} was recorded on another group than the bot's call went to`,
        blocks: [
          section(
            `:mag: Reconciliation: the grant for ${who} is recorded on group \`${escapeMrkdwn(grantOf(request)?.groupId ?? '')}\`, but the bot's grant call went to group \`${escapeMrkdwn(grantCallOf(request)?.groupId ?? '')}\` (the policy changed while the call was retried). The bot ends the grant and removes the membership its call made; check the recorded group by hand, the bot leaves it alone.`,
          ),
        ],
      };
    case 'break_glass_reviewed': {
      const review = request.breakGlass?.review;
      if (!review) return undefined;
      return {
        text: `Break-glass by ${who} acknowledged by ${mention(review.by)}`,
        blocks: [section(`:white_check_mark: Break-glass by ${who} acknowledged by ${mention(review.by)}.`)],
      };
    }
    // The card, updated in place, says it all; the break-glass alerts are cards of their own.
    case 'break_glass':
    case 'break_glass_unreviewed':
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
export function renderDirectNews(
  request: AccessRequest,
  news: NewsKind,
  target: Target | undefined,
  boundary?: BoundarySetup,
): Rendered | undefined {
  const name = escapeMrkdwn(targetName(target, request));
  switch (news) {
    case 'granted':
      if (!isGranted(request)) return undefined;
      return {
        text: `Your access to ${name} is active until ${slackDate(request.endsAt)}`,
        blocks: [
          section(`:unlock: Your access to *${name}* is active until ${slackDate(request.endsAt)}.`),
          context(boundaryHint(target, boundary)),
          endNowButton(request),
        ],
      };
    case 'expiring_soon':
      if (!isGranted(request)) return undefined;
      return {
        text: `Your access to ${name} ends ${slackDate(request.endsAt)}`,
        blocks: [
          section(`:hourglass: Your access to *${name}* ends ${slackDate(request.endsAt)}. Ask again with \`/jit\` if you need more time.`),
          endNowButton(request),
        ],
      };
    case 'ended': {
      if (request.state !== 'ended') return undefined;
      const stays = request.heldBy ? ' You keep the group membership through another assignment that the bot did not make.' : '';
      return {
        text: `Your access to ${name} ended`,
        blocks: [section(`:lock: Your access to *${name}* ended: ${endedBecause(request)}.${stays}`)],
      };
    }
    case 'signed_out':
      return {
        text: `Your Boundary sign-ins for ${name} ended`,
        blocks: [section(`:lock: ${signOutChecklist(request)}`), context('Sign in to Boundary again for the access you still have.')],
      };
    case 'denied':
    case 'timed_out':
    case 'failed':
      return {
        text: `Your request for ${name}: ${request.state.replace('_', ' ')}`,
        blocks: [section(`Your request for *${name}*: ${statusLine(request)}`)],
      };
    case 'break_glass_reviewed': {
      const review = request.breakGlass?.review;
      if (!review) return undefined;
      return {
        text: `Your break-glass access to ${name} was reviewed`,
        blocks: [section(`:white_check_mark: Your break-glass access to *${name}* was acknowledged by ${mention(review.by)}.`)],
      };
    }
    // The receipt, updated in place, says it all; the approvers' troubles are theirs to hear about.
    case 'break_glass':
    case 'break_glass_unreviewed':
    case 'requested':
    case 'approval_recorded':
    case 'approved':
    case 'cancelled':
    case 'end_requested':
    case 'drift_removed_outside':
    case 'drift_still_present':
    case 'drift_journal_mismatch':
    case 'revoke_failing':
    case 'cleaned_up':
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
