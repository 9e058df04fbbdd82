// The news about a request, as thread replies under the card and as DMs to the requester.

import type { KnownBlock } from '@slack/types';
import { type AccessRequest, type DeniedRequest, type FailedRequest, isGranted } from '../../../domain/access-request.js';
import type { ApproverRoster } from '../../../domain/approvers.js';
import { changeOf } from '../../../domain/change-record.js';
import { formatDuration } from '../../../domain/duration.js';
import { mayOfferExtension } from '../../../domain/extension.js';
import { grantCallOf, grantOf } from '../../../domain/membership.js';
import type { NewsKind } from '../../../domain/news.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, type ButtonSpec, context, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { renderEscalationNotice, renderReminder } from './reminders.js';
import { requestAgainActions } from './request-again.js';
import { type Rendered, targetName } from './request-card.js';
import { changeClosedLine, changeTroubleLine, endedBecause, failureForPeople, statusLine } from './request-status.js';

const END_NOW: Omit<ButtonSpec, 'value'> = {
  actionId: ACTION.endAccess,
  text: 'End access now',
  confirm: { title: 'End access now?', text: 'Your membership is removed at once.', confirm: 'End access', deny: 'Keep it' },
};

const endNowButton = (request: AccessRequest) => actions('end_access', [{ ...END_NOW, value: request.id }]);

/** The expiry warning's choices: Extend (where the target allows it and there is room) and I'm done. */
const warningButtons = (request: AccessRequest, target: Target | undefined) =>
  actions('end_access', [
    ...(mayOfferExtension(request, target)
      ? [{ actionId: ACTION.extend, text: 'Extend', value: request.id, style: 'primary' as const }]
      : []),
    { ...END_NOW, text: "I'm done", value: request.id },
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

/** The extension moved the bot's end, but Entra kept its own: the PIM assignment may end first. */
const entraRefusal = (request: AccessRequest) =>
  `Entra refused to move the end of the PIM assignment for ${mention(request.requesterId)}${isGranted(request) ? ` to ${slackDate(request.endsAt)}` : ''}, so the access may end at its earlier end. Ask again with \`/jit\` if it does; an admin can check the assignment in Entra.`;

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

/**
 * The news for a thread reply (everyone involved) — undefined when the card's update says it all. `approvers`:
 * the roster read for this news (who left Slack), for a reminder's mentions.
 */
export function renderThreadNews(
  request: AccessRequest,
  news: NewsKind,
  target: Target | undefined,
  boundary?: BoundarySetup,
  approvers?: ApproverRoster,
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
        blocks: [section(`:hourglass: Access for ${who} ends ${slackDate(request.endsAt)}.`), warningButtons(request, target)],
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
    case 'change_opened': {
      const change = changeOf(request);
      if (!change) return undefined;
      return {
        text: `ServiceNow change ${change.number} opened for this access`,
        blocks: [
          section(`:clipboard: ServiceNow change *${escapeMrkdwn(change.number)}* is opened for this access, and closed when it ends.`),
        ],
      };
    }
    case 'change_closed': {
      const line = changeClosedLine(request);
      return line ? { text: line.replace(/[*:]/g, ''), blocks: [section(`:clipboard: ${line}`)] } : undefined;
    }
    case 'change_failing': {
      const line = changeTroubleLine(request, target);
      return line ? { text: 'The ServiceNow change record is not up to date yet', blocks: [section(`:warning: ${line}`)] } : undefined;
    }
    case 'extension_failed':
      return {
        text: `Entra did not move the end of the access for ${who}`,
        blocks: [section(`:warning: ${entraRefusal(request)}`)],
      };
    // The extension's own message in the thread, updated in place, says it all (see renderExtensionMessage).
    case 'extension_requested':
    case 'extension_approval_recorded':
    case 'extended':
    case 'extension_denied':
      return undefined;
    case 'break_glass_reviewed': {
      const review = request.breakGlass?.review;
      if (!review) return undefined;
      return {
        text: `Break-glass by ${who} acknowledged by ${mention(review.by)}`,
        blocks: [section(`:white_check_mark: Break-glass by ${who} acknowledged by ${mention(review.by)}.`)],
      };
    }
    case 'reminder':
      return renderReminder(request, target, approvers);
    case 'escalated':
      return renderEscalationNotice(request, target);
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

/** Who denied the request, when, and their reason quoted line by line (escaped, so it cannot end the quote). */
function denialText(request: DeniedRequest, name: string): string {
  const { by, at, comment } = request.denial;
  const said = comment?.trim()
    ? `\n*Their reason:*\n${escapeMrkdwn(comment.trim())
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n')}`
    : '\nThey gave no reason.';
  return `:no_entry: ${mention(by)} denied your request for *${name}* ${slackDate(at)}.${said}`;
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
          section(
            mayOfferExtension(request, target)
              ? `:hourglass: Your access to *${name}* ends ${slackDate(request.endsAt)}. Need more time? Extend it.`
              : `:hourglass: Your access to *${name}* ends ${slackDate(request.endsAt)}. Ask again with \`/jit\` if you need more time.`,
          ),
          warningButtons(request, target),
        ],
      };
    case 'ended': {
      if (request.state !== 'ended') return undefined;
      const stays = request.heldBy ? ' You keep the group membership through another assignment that the bot did not make.' : '';
      return {
        text: `Your access to ${name} ended`,
        blocks: [section(`:lock: Your access to *${name}* ended: ${endedBecause(request)}.${stays}`), ...requestAgainActions(request)],
      };
    }
    case 'signed_out':
      return {
        text: `Your Boundary sign-ins for ${name} ended`,
        blocks: [section(`:lock: ${signOutChecklist(request)}`), context('Sign in to Boundary again for the access you still have.')],
      };
    case 'change_failing': {
      // The requester hears of it only while their grant waits for it.
      const line = request.state === 'approved' && target?.changeRecord?.required ? changeTroubleLine(request, target) : undefined;
      return line
        ? { text: `Your access to ${name} waits for its ServiceNow change record`, blocks: [section(`:warning: ${line}`)] }
        : undefined;
    }
    case 'denied':
      if (request.state !== 'denied') return undefined;
      return {
        text: `Your request for ${name}: denied`,
        blocks: [section(denialText(request, name)), ...requestAgainActions(request)],
      };
    case 'timed_out':
    case 'failed':
      return {
        text: `Your request for ${name}: ${request.state.replace('_', ' ')}`,
        blocks: [section(`Your request for *${name}*: ${statusLine(request)}`), ...requestAgainActions(request)],
      };
    case 'extended':
      if (request.state !== 'active' || !request.extension) return undefined;
      return {
        text: `Your access to ${name} is extended until ${slackDate(request.endsAt)}`,
        blocks: [
          section(
            `:stopwatch: Your access to *${name}* is extended by ${formatDuration(request.extension.minutes)}, until ${slackDate(request.endsAt)}.`,
          ),
          endNowButton(request),
        ],
      };
    case 'extension_denied': {
      const decision = request.state === 'active' ? request.extension?.decision : undefined;
      if (!decision) return undefined;
      const comment = decision.comment ? `: “${escapeMrkdwn(decision.comment)}”` : '';
      return {
        text: `Your extension of ${name} was denied`,
        blocks: [
          section(
            `:no_entry: Your extension of *${name}* was denied by ${mention(decision.by)}${comment}. The access still ends ${request.state === 'active' ? slackDate(request.endsAt) : 'as before'}.`,
          ),
        ],
      };
    }
    case 'extension_failed':
      return {
        text: `Entra did not move the end of your access to ${name}`,
        blocks: [section(`:warning: ${entraRefusal(request)}`)],
      };
    case 'break_glass_reviewed': {
      const review = request.breakGlass?.review;
      if (!review) return undefined;
      return {
        text: `Your break-glass access to ${name} was reviewed`,
        blocks: [section(`:white_check_mark: Your break-glass access to *${name}* was acknowledged by ${mention(review.by)}.`)],
      };
    }
    // The receipt, updated in place, says it all; the approvers' troubles and reminders are theirs to hear about.
    case 'reminder':
    case 'escalated':
    case 'extension_requested':
    case 'extension_approval_recorded':
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
    case 'change_opened':
    case 'change_closed':
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
  blocks.push(...requestAgainActions(request));
  blocks.push(context(`Request \`${request.id}\``));
  return { text: `Your request for ${name}: ${request.state.replace('_', ' ')}`, blocks };
}
