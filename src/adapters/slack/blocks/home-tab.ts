// The Home tab: break-glass grants to review, my active grants, my pending requests, requests and extensions
// awaiting my decision, and for admins every active grant. Slack refuses a view of more than 100 blocks
// (docs.slack.dev/reference/block-kit/blocks), so the lists share the room left by the headings: each gets one
// item in turn while there is room (see `shareRoom`), and a list cut short says how many more there are.

import type { HomeView, KnownBlock, SectionBlock } from '@slack/types';
import type { HomeData } from '../../../application/request-views.js';
import type { AccessRequest, ActiveRequest, GrantedRequest } from '../../../domain/access-request.js';
import { formatDuration, minutesToMs } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { ACTION } from '../ids.js';
import { actions, type ButtonSpec, button, context, divider, header, markdown, section } from './block-elements.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { targetName } from './request-card.js';

export interface HomeContent extends HomeData {
  viewerId: string;
  targetOf: (request: AccessRequest) => Target | undefined;
}

/** Slack's most blocks in a view. */
export const HOME_BLOCK_LIMIT = 100;

/** A Home tab whose blocks are all Block Kit's known kinds. */
export type HomeTab = HomeView & { blocks: KnownBlock[] };

/** One list of the tab: its heading, its items as far as there is room, and what it says when cut or empty. */
interface Listing {
  title: string;
  /** Shown when there is nothing; absent: the list is left out altogether then. */
  empty?: string;
  /** What was read, in the order shown; at most `total`. */
  items: KnownBlock[][];
  /** How many there are in all. */
  total: number;
  /** The line that ends a list cut short, told how many it leaves out. */
  more: (hidden: number) => string;
}

const item = (text: string, action?: ButtonSpec): SectionBlock => ({
  type: 'section',
  text: markdown(text.slice(0, 3000)),
  ...(action && { accessory: button(action) }),
});

const shown = (listing: Listing): boolean => listing.total > 0 || listing.empty !== undefined;

/**
 * How many items each list shows within `room` blocks: one item to each list in turn, as long as the next fits
 * (with the "more" line it may still need), so that no list crowds out the others, and a list that needs little
 * leaves the rest to those that need more.
 */
export function shareRoom(listings: readonly { items: readonly KnownBlock[][]; total: number }[], room: number): number[] {
  const counts = listings.map(() => 0);
  const cost = (index: number, count: number) => {
    const listing = listings[index];
    if (!listing) return 0;
    const blocks = listing.items.slice(0, count).reduce((sum, blocksOfItem) => sum + blocksOfItem.length, 0);
    return blocks + (count < listing.total ? 1 : 0);
  };
  let used = listings.reduce((sum, _, index) => sum + cost(index, 0), 0);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [index, listing] of listings.entries()) {
      const count = counts[index] ?? 0;
      if (count >= listing.items.length) continue;
      const added = cost(index, count + 1) - cost(index, count);
      if (used + added > room) continue;
      counts[index] = count + 1;
      used += added;
      grew = true;
    }
  }
  return counts;
}

function render(listing: Listing, count: number): KnownBlock[] {
  const blocks: KnownBlock[] = [section(`*${listing.title}*`)];
  if (listing.total === 0) return [...blocks, context(listing.empty ?? ''), divider()];
  blocks.push(...listing.items.slice(0, count).flat());
  if (count < listing.total) blocks.push(context(listing.more(listing.total - count)));
  return [...blocks, divider()];
}

const yours = (hidden: number) => `…and ${hidden} more. Type \`/jit list\` to see all of yours.`;

function breakGlassItems(content: HomeContent, name: (request: AccessRequest) => string): KnownBlock[][] {
  return content.breakGlassToReview.map((request) => [
    item(
      `${mention(request.requesterId)} took *${name(request)}* for ${formatDuration(request.durationMinutes)} ${slackDate(request.breakGlass?.at ?? request.createdAt)}: ${escapeMrkdwn(request.reason)}`.slice(
        0,
        2900,
      ),
      { actionId: ACTION.acknowledgeBreakGlass, text: 'Acknowledge', value: request.id, style: 'primary' },
    ),
  ]);
}

/** An extension to decide: whose grant, of what, how much longer (and until when), why; Approve and Deny. */
function extensionItem(request: ActiveRequest, name: string, target: Target | undefined): KnownBlock[] {
  const ask = request.extension;
  if (!ask) return [];
  const required = target?.approvers.required ?? request.requiredApprovals;
  const count = required > 1 ? ` — ${ask.approvals.length} of ${required} approvals` : '';
  const until = slackDate(request.endsAt + minutesToMs(ask.minutes));
  return [
    item(
      `:stopwatch: ${mention(request.requesterId)} asks for *${name}* ${formatDuration(ask.minutes)} longer, until ${until}${count}: ${escapeMrkdwn(ask.reason)}`.slice(
        0,
        2900,
      ),
    ),
    actions(`extension_${request.id}`, [
      { actionId: ACTION.approveExtension, text: 'Approve extension', value: request.id, style: 'primary' },
      { actionId: ACTION.denyExtension, text: 'Deny extension', value: request.id, style: 'danger' },
    ]),
  ];
}

function decisionItem(request: AccessRequest, name: string): KnownBlock[] {
  return [
    item(
      `${mention(request.requesterId)} asks for *${name}* for ${formatDuration(request.durationMinutes)}: ${escapeMrkdwn(request.reason)}`.slice(
        0,
        2900,
      ),
    ),
    actions(`decide_${request.id}`, [
      { actionId: ACTION.approve, text: 'Approve', value: request.id, style: 'primary' },
      { actionId: ACTION.deny, text: 'Deny', value: request.id, style: 'danger' },
    ]),
  ];
}

const activeItem = (request: GrantedRequest, name: string): KnownBlock[] => [
  item(
    `:unlock: *${name}* until ${slackDate(request.endsAt)}${request.state === 'active' && request.ending ? ' — ending now…' : ''}`,
    request.state === 'active' && request.ending ? undefined : { actionId: ACTION.endAccess, text: 'End access now', value: request.id },
  ),
];

const pendingItem = (request: AccessRequest, name: string): KnownBlock[] => [
  item(
    `:hourglass_flowing_sand: *${name}* for ${formatDuration(request.durationMinutes)} — ${request.approvals.length} of ${request.requiredApprovals} approvals, times out ${slackDate(request.pendingUntil)}`,
    { actionId: ACTION.cancel, text: 'Cancel', value: request.id },
  ),
];

const adminItem = (request: GrantedRequest, name: string): KnownBlock[] => {
  const ending = request.state === 'active' && request.ending;
  return [
    item(
      `${mention(request.requesterId)} — *${name}* until ${slackDate(request.endsAt)}${ending ? ' — ending now…' : ''}`,
      ending
        ? undefined
        : {
            actionId: ACTION.revoke,
            text: 'Revoke',
            value: request.id,
            style: 'danger',
            confirm: { title: 'Revoke access?', text: 'The membership is removed at once.', confirm: 'Revoke', deny: 'Cancel' },
          },
    ),
  ];
};

/** The tab's lists, in the order shown: break-glass to review first, where there is any. */
function listingsOf(content: HomeContent): Listing[] {
  const name = (request: AccessRequest) => escapeMrkdwn(targetName(content.targetOf(request), request));
  const listings: Listing[] = [
    {
      title: ':rotating_light: Break-glass to review',
      items: breakGlassItems(content, name),
      total: content.breakGlassToReview.length,
      more: (hidden) => `…and ${hidden} more; each alert card in the approvers' channel has Acknowledge too.`,
    },
    {
      title: 'Your active access',
      empty: 'No active access.',
      items: content.myActive.map((request) => activeItem(request, name(request))),
      total: content.myActive.length,
      more: yours,
    },
    {
      title: 'Your pending requests',
      empty: 'Nothing waiting.',
      items: content.myPending.map((request) => pendingItem(request, name(request))),
      total: content.myPending.length,
      more: yours,
    },
    {
      title: 'Waiting for your decision',
      empty: 'Nothing to decide.',
      items: content.awaitingMe.map((request) => decisionItem(request, name(request))),
      total: content.awaitingMe.length,
      more: (hidden) => `…and ${hidden} more; each card in the approvers' channel has Approve and Deny too.`,
    },
    {
      title: ':stopwatch: Extensions waiting for your decision',
      items: content.extensionsAwaitingMe.map((request) => extensionItem(request, name(request), content.targetOf(request))),
      total: content.extensionsAwaitingMe.length,
      more: (hidden) => `…and ${hidden} more; each waits in its request's thread, with Approve extension and Deny extension.`,
    },
  ];
  if (content.isAdmin)
    listings.push({
      title: 'All active access (admin)',
      empty: 'Nobody holds access right now.',
      items: content.allActive.map((request) => adminItem(request, name(request))),
      total: Math.max(content.allActiveCount, content.allActive.length),
      more: (hidden) => `…and ${hidden} more.`,
    });
  return listings.filter(shown);
}

export function renderHome(content: HomeContent): HomeTab {
  const top: KnownBlock[] = [
    header('Just-in-time access'),
    context('Type `/jit` to ask for access, `/jit list` for your requests, `/jit help` for help.'),
    divider(),
  ];
  const listings = listingsOf(content);
  // Each list's heading, its line when empty and the divider after it (none after the last) come first; the
  // items, and the "more" lines of the lists cut short, share the rest.
  const fixed = top.length + listings.reduce((sum, listing) => sum + 2 + (listing.total === 0 ? 1 : 0), 0) - 1;
  const counts = shareRoom(listings, HOME_BLOCK_LIMIT - fixed);
  const blocks = [...top, ...listings.flatMap((listing, index) => render(listing, counts[index] ?? 0))];
  blocks.pop();
  return { type: 'home', blocks };
}
