// The Home tab: my active grants, my pending requests, requests awaiting my decision, and for admins every
// active grant. Each list is capped so the tab stays within Slack's 100 blocks however much there is.

import type { HomeView, KnownBlock, SectionBlock } from '@slack/types';
import type { HomeData } from '../../../application/request-views.js';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, type ButtonSpec, button, context, divider, header, markdown, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { targetName } from './request-card.js';

export interface HomeContent extends HomeData {
  viewerId: string;
  targetOf: (request: AccessRequest) => Target | undefined;
}

// Three lists of (heading + 15 items + "more"), the decisions list at two blocks an item, dividers and the
// intro: at most 89 blocks; the break-glass grants to review, first, add at most 3 + 5: 97, under Slack's 100.
export const ITEMS_PER_LIST = 15;
export const BREAK_GLASS_ITEMS = 5;

const item = (text: string, action?: ButtonSpec): SectionBlock => ({
  type: 'section',
  text: markdown(text.slice(0, 3000)),
  ...(action && { accessory: button(action) }),
});

function list<R extends AccessRequest>(
  title: string,
  empty: string,
  requests: R[],
  line: (request: R) => KnownBlock | KnownBlock[],
  total = requests.length,
): KnownBlock[] {
  const blocks: KnownBlock[] = [section(`*${title}*`)];
  if (requests.length === 0) return [...blocks, context(empty)];
  blocks.push(...requests.slice(0, ITEMS_PER_LIST).flatMap((request): KnownBlock[] => [line(request)].flat()));
  if (total > ITEMS_PER_LIST) blocks.push(context(`…and ${total - ITEMS_PER_LIST} more. Type \`/jit list\` to see all of yours.`));
  return blocks;
}

/** A Home tab whose blocks are all Block Kit's known kinds. */
export type HomeTab = HomeView & { blocks: KnownBlock[] };

/** Break-glass grants the viewer may review and nobody has: shown first, only when there are some. */
function breakGlassToReview(content: HomeContent, name: (request: AccessRequest) => string): KnownBlock[] {
  const { breakGlassToReview: toReview } = content;
  if (toReview.length === 0) return [];
  const blocks: KnownBlock[] = [section('*:rotating_light: Break-glass to review*')];
  for (const request of toReview.slice(0, BREAK_GLASS_ITEMS)) {
    blocks.push(
      item(
        `${mention(request.requesterId)} took *${name(request)}* for ${formatDuration(request.durationMinutes)} ${slackDate(request.breakGlass?.at ?? request.createdAt)}: ${escapeMrkdwn(request.reason)}`.slice(
          0,
          2900,
        ),
        { actionId: ACTION.acknowledgeBreakGlass, text: 'Acknowledge', value: request.id, style: 'primary' },
      ),
    );
  }
  if (toReview.length > BREAK_GLASS_ITEMS)
    blocks.push(
      context(`…and ${toReview.length - BREAK_GLASS_ITEMS} more; each alert card in the approvers' channel has Acknowledge too.`),
    );
  return [...blocks, divider()];
}

export function renderHome(content: HomeContent): HomeTab {
  const name = (request: AccessRequest) => escapeMrkdwn(targetName(content.targetOf(request), request));
  const blocks: KnownBlock[] = [
    header('Just-in-time access'),
    context('Type `/jit` to ask for access, `/jit list` for your requests, `/jit help` for help.'),
    divider(),
    ...breakGlassToReview(content, name),
    ...list('Your active access', 'No active access.', content.myActive, (request) =>
      item(
        `:unlock: *${name(request)}* until ${slackDate(request.endsAt)}${request.ending ? ' — ending now…' : ''}`,
        request.ending
          ? undefined
          : {
              actionId: ACTION.endAccess,
              text: 'End access now',
              value: request.id,
            },
      ),
    ),
    divider(),
    ...list('Your pending requests', 'Nothing waiting.', content.myPending, (request) =>
      item(
        `:hourglass_flowing_sand: *${name(request)}* for ${formatDuration(request.durationMinutes)} — ${request.approvals.length} of ${request.requiredApprovals} approvals, times out ${slackDate(request.pendingUntil)}`,
        {
          actionId: ACTION.cancel,
          text: 'Cancel',
          value: request.id,
        },
      ),
    ),
    divider(),
    ...list('Waiting for your decision', 'Nothing to decide.', content.awaitingMe, (request) => [
      item(
        `${mention(request.requesterId)} asks for *${name(request)}* for ${formatDuration(request.durationMinutes)}: ${escapeMrkdwn(request.reason)}`.slice(
          0,
          2900,
        ),
      ),
      actions(`decide_${request.id}`, [
        { actionId: ACTION.approve, text: 'Approve', value: request.id, style: 'primary' },
        { actionId: ACTION.deny, text: 'Deny', value: request.id, style: 'danger' },
      ]),
    ]),
  ];
  if (content.isAdmin) {
    blocks.push(
      divider(),
      ...list(
        'All active access (admin)',
        'Nobody holds access right now.',
        content.allActive,
        (request) =>
          item(
            `${mention(request.requesterId)} — *${name(request)}* until ${slackDate(request.endsAt)}${request.ending ? ' — ending now…' : ''}`,
            request.ending
              ? undefined
              : {
                  actionId: ACTION.revoke,
                  text: 'Revoke',
                  value: request.id,
                  style: 'danger',
                  confirm: { title: 'Revoke access?', text: 'The membership is removed at once.', confirm: 'Revoke', deny: 'Cancel' },
                },
          ),
        content.allActiveCount,
      ),
    );
  }
  return { type: 'home', blocks };
}
