// Chasing a request that waits: the reminder in the card's thread that pings its approvers, and the escalation,
// said in the thread and sent to each person escalated to with a link to the card. Who is pinged is decided in
// the domain (deciders.ts); `awaitedMentions` is how a reminder spells those it pings.

import type { AccessRequest, PendingRequest } from '../../../domain/access-request.js';
import { type ApproverRoster, groupsOf } from '../../../domain/approvers.js';
import { awaitedDeciders, escalatedApprovers } from '../../../domain/deciders.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { context, section } from './block-elements.js';
import { escapeMrkdwn, groupMention, mention, slackDate } from './mrkdwn.js';
import type { Rendered } from './request-card.js';

/**
 * Who may decide on the request now and has not approved it yet, as mentions: the people named (listed, and
 * those it escalated to) but those who left Slack (`roster`), and the target's user groups; never its requester.
 */
export function awaitedMentions(request: AccessRequest, target: Target, roster?: ApproverRoster): string[] {
  const departed = new Set(roster?.departed ?? []);
  const people = awaitedDeciders(request, target).filter((user) => !departed.has(user));
  return [...people.map(mention), ...(roster?.groups ?? groupsOf(target)).map(groupMention)];
}

/** How long the request had waited when it escalated, in whole minutes. */
function waitedBeforeEscalation(request: PendingRequest): string {
  return formatDuration(Math.max(1, Math.round(((request.escalatedAt ?? request.createdAt) - request.createdAt) / 60_000)));
}

const quorum = (request: PendingRequest, target: Target) =>
  target.approvers.required > 1 ? ` (${request.approvals.length} of ${target.approvers.required} approvals so far)` : '';

/** The reminder in the card's thread, while the request still waits; undefined once it does not. */
export function renderReminder(request: AccessRequest, target: Target | undefined, roster?: ApproverRoster): Rendered | undefined {
  if (request.state !== 'pending' || !target) return undefined;
  const who = mention(request.requesterId);
  const name = escapeMrkdwn(target.name);
  const pinged = awaitedMentions(request, target, roster);
  const ask =
    pinged.length > 0 ? `${pinged.join(' ')}: please approve or deny it.` : 'Nobody the policy lists may decide on it now: ask an admin.';
  return {
    text: `Reminder: the request from ${who} for ${name} still waits for a decision`,
    blocks: [
      section(
        `:bell: *Reminder:* the request from ${who} for *${name}* has waited since ${slackDate(request.createdAt)}${quorum(request, target)}. ${ask}`,
      ),
      context(`It times out ${slackDate(request.pendingUntil)}.`),
    ],
  };
}

/** The escalation said in the card's thread, mentioning the people it made approvers; undefined once it is over. */
export function renderEscalationNotice(request: AccessRequest, target: Target | undefined): Rendered | undefined {
  if (request.state !== 'pending' || !target || request.escalatedAt === undefined) return undefined;
  const added = escalatedApprovers(request, target).map(mention);
  if (added.length === 0) return undefined;
  const waited = waitedBeforeEscalation(request);
  return {
    text: `Escalated: nobody decided within ${waited}`,
    blocks: [
      section(
        `:arrow_double_up: *Escalated:* nobody decided within ${waited}, so ${added.join(' ')} may now approve or deny this request too${quorum(request, target)}.`,
      ),
    ],
  };
}

/**
 * What each person escalated to is sent: whose request, for what and why, and a link to the card, where they
 * decide. `cardLink` absent: the card's channel instead (its link could not be had).
 */
export function renderEscalationDirect(
  request: AccessRequest,
  target: Target | undefined,
  cardLink: string | undefined,
): Rendered | undefined {
  if (request.state !== 'pending' || !target || request.escalatedAt === undefined) return undefined;
  const name = escapeMrkdwn(target.name);
  const who = mention(request.requesterId);
  const where = cardLink ? `<${cardLink}|Open the request>` : `The request is in <#${target.approvers.channel}>`;
  return {
    text: `${who}'s request for ${name} has waited ${waitedBeforeEscalation(request)}: you may now approve or deny it`,
    blocks: [
      section(
        `:arrow_double_up: ${who}'s request for *${name}* (${formatDuration(request.durationMinutes)}) has waited ${waitedBeforeEscalation(request)} without a decision, so you may now approve or deny it too. ${where} to decide, or use your Home tab.`,
      ),
      section(`*Reason*\n${escapeMrkdwn(request.reason)}`),
    ],
  };
}
