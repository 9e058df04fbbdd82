import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { HOME_BLOCK_LIMIT, renderHome, shareRoom } from '../../../../src/adapters/slack/blocks/home-tab.js';
import { ACTION } from '../../../../src/adapters/slack/ids.js';
import type { HomeData } from '../../../../src/application/request-views.js';
import type { ActiveRequest } from '../../../../src/domain/access-request.js';
import { actionIds, blockTexts, buttons } from '../../../support/block-kit.js';
import { ADMIN, APPROVER_1, grantedIn, makeTarget, OUTSIDER, REQUESTER, requestIn, T0 } from '../../../support/fixtures.js';

const empty: HomeData = {
  isAdmin: false,
  myActive: [],
  myPending: [],
  awaitingMe: [],
  allActive: [],
  allActiveCount: 0,
  breakGlassToReview: [],
  extensionsAwaitingMe: [],
};
const target = makeTarget();
const home = (data: Partial<HomeData>, viewerId = REQUESTER) => renderHome({ viewerId, ...empty, ...data, targetOf: () => target });
const many = (state: 'pending', count: number) =>
  Array.from({ length: count }, (_, i) => requestIn(state, { id: `req_${i}`, requesterId: OUTSIDER }));
const manyGranted = (count: number) =>
  Array.from({ length: count }, (_, i) => grantedIn('active', { id: `req_${i}`, requesterId: OUTSIDER }));
const extending = (id: string, reason = 'The migration still runs'): ActiveRequest => {
  const request = grantedIn('active', {
    id,
    requesterId: OUTSIDER,
    extension: { minutes: 30, reason, askedAt: T0 + 50 * 60_000, approvals: [] },
  });
  if (request.state !== 'active') throw new Error('not active');
  return request;
};
const manyExtending = (count: number) => Array.from({ length: count }, (_, i) => extending(`req_ext_${i}`));
const manyBroken = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    grantedIn('active', { id: `req_glass_${i}`, requesterId: OUTSIDER, approvals: [], breakGlass: { at: 0 } }),
  );

describe('the Home tab', () => {
  it('says so when there is nothing to show, and offers no button', () => {
    const view = home({});

    expect(view.type).toBe('home');
    expect(blockTexts(view.blocks)).toEqual(
      expect.arrayContaining(['No active access.', 'Nothing waiting.', 'Nothing to decide.', '*Your active access*']),
    );
    expect(actionIds(view.blocks)).toEqual([]);
  });

  it('offers End access now for my grants, Cancel for my pending requests, Approve and Deny for what awaits me', () => {
    const mine = grantedIn('active', { id: 'req_MINE' });
    const waiting = requestIn('pending', { id: 'req_WAIT' });
    const toDecide = requestIn('pending', { id: 'req_DECIDE', requesterId: OUTSIDER });
    const view = home({ myActive: [mine], myPending: [waiting], awaitingMe: [toDecide] }, REQUESTER);

    expect(buttons(view.blocks).map((button) => [button.action_id, button.value])).toEqual([
      [ACTION.endAccess, 'req_MINE'],
      [ACTION.cancel, 'req_WAIT'],
      [ACTION.approve, 'req_DECIDE'],
      [ACTION.deny, 'req_DECIDE'],
    ]);
  });

  it('offers no End access now for a grant already ending', () => {
    const ending = grantedIn('active', { ending: { reason: 'released', by: REQUESTER, at: 0 } });

    expect(actionIds(home({ myActive: [ending] }).blocks)).toEqual([]);
    expect(blockTexts(home({ myActive: [ending] }).blocks).join('\n')).toContain('ending now…');
  });

  it('shows admins every active grant with a Revoke that asks for confirmation', () => {
    const view = home({ isAdmin: true, allActive: [grantedIn('active', { requesterId: APPROVER_1 })], allActiveCount: 1 }, ADMIN);

    const [revoke] = buttons(view.blocks);
    expect(revoke?.action_id).toBe(ACTION.revoke);
    expect(revoke?.confirm?.title?.text).toBe('Revoke access?');
  });

  it('shows the break-glass grants to review first, each with Acknowledge, its reason escaped, and nothing when there are none', () => {
    const broken = grantedIn('active', {
      id: 'req_GLASS',
      requesterId: OUTSIDER,
      approvals: [],
      reason: 'db <!here> down',
      breakGlass: { at: 0 },
    });
    const view = home({ breakGlassToReview: [broken] }, APPROVER_1);

    expect(blockTexts(view.blocks)[3]).toBe('*:rotating_light: Break-glass to review*');
    expect(blockTexts(view.blocks).join('\n')).toContain('db &lt;!here&gt; down');
    expect(buttons(view.blocks).map((button) => [button.action_id, button.value])).toEqual([[ACTION.acknowledgeBreakGlass, 'req_GLASS']]);
    expect(blockTexts(home({}, APPROVER_1).blocks).join('\n')).not.toContain('Break-glass');
  });

  it('escapes the reason of a request awaiting my decision', () => {
    const view = home({ awaitingMe: [requestIn('pending', { requesterId: OUTSIDER, reason: 'fix <@U0ADMIN01> & <!here>' })] }, APPROVER_1);

    expect(blockTexts(view.blocks).join('\n')).toContain('fix &lt;@U0ADMIN01&gt; &amp; &lt;!here&gt;');
  });

  it('shows the extensions waiting for my decision: whose, of what, how much longer until when, why, with Approve and Deny', () => {
    const view = home({ extensionsAwaitingMe: [extending('req_EXT', 'Finish <!here> & go')] }, APPROVER_1);
    const texts = blockTexts(view.blocks);

    expect(texts).toContain('*:stopwatch: Extensions waiting for your decision*');
    const said = texts.find((text) =>
      text.startsWith(':stopwatch: <@U0OUTSIDE1> asks for *Production servers (SSH)* 30m longer, until <!date^'),
    );
    expect(said).toMatch(/: Finish &lt;!here&gt; &amp; go$/);
    expect(buttons(view.blocks).map((button) => [button.action_id, button.value])).toEqual([
      [ACTION.approveExtension, 'req_EXT'],
      [ACTION.denyExtension, 'req_EXT'],
    ]);
    expect(blockTexts(home({}, APPROVER_1).blocks).join('\n')).not.toContain('Extensions');
  });

  it('counts an extension’s approvals where the target needs more than one', () => {
    const twoNeeded = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, ADMIN], required: 2 } });
    const view = renderHome({ viewerId: APPROVER_1, ...empty, extensionsAwaitingMe: [extending('req_EXT')], targetOf: () => twoNeeded });
    expect(blockTexts(view.blocks).join('\n')).toContain('— 0 of 2 approvals: The migration still runs');
  });

  it("stays within Slack's 100 blocks with many of every kind, gives each list a fair share, and says how many more each has", () => {
    const view = home(
      {
        isAdmin: true,
        myActive: manyGranted(40),
        myPending: many('pending', 40),
        awaitingMe: many('pending', 40),
        allActive: manyGranted(16),
        allActiveCount: 500,
        breakGlassToReview: manyBroken(40),
        extensionsAwaitingMe: manyExtending(40),
      },
      ADMIN,
    );

    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCK_LIMIT);
    expect(view.blocks.length).toBeGreaterThan(HOME_BLOCK_LIMIT - 3);
    const shown = (actionId: string) => buttons(view.blocks).filter((button) => button.action_id === actionId).length;
    const counts = [
      ACTION.acknowledgeBreakGlass,
      ACTION.endAccess,
      ACTION.cancel,
      ACTION.approve,
      ACTION.approveExtension,
      ACTION.revoke,
    ].map(shown);
    // One item to each list in turn: no list shows more than one item more than another.
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
    const texts = blockTexts(view.blocks);
    const [glass, active, pending, decide, extend, admin] = counts as [number, number, number, number, number, number];
    expect(texts).toContain(`…and ${40 - glass} more; each alert card in the approvers' channel has Acknowledge too.`);
    expect(texts).toContain(`…and ${40 - active} more. Type \`/jit list\` to see all of yours.`);
    expect(texts).toContain(`…and ${40 - pending} more. Type \`/jit list\` to see all of yours.`);
    expect(texts).toContain(`…and ${40 - decide} more; each card in the approvers' channel has Approve and Deny too.`);
    expect(texts).toContain(`…and ${40 - extend} more; each waits in its request's thread, with Approve extension and Deny extension.`);
    expect(texts).toContain(`…and ${500 - admin} more.`);
  });

  it('gives the room a short list leaves to the lists that need it, and shows all of a list that fits', () => {
    const view = home({ awaitingMe: many('pending', 60), myActive: manyGranted(2) }, APPROVER_1);

    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCK_LIMIT);
    expect(buttons(view.blocks).filter((button) => button.action_id === ACTION.endAccess)).toHaveLength(2);
    const decisions = buttons(view.blocks).filter((button) => button.action_id === ACTION.approve).length;
    expect(decisions).toBeGreaterThan(40);
    expect(blockTexts(view.blocks)).toContain(`…and ${60 - decisions} more; each card in the approvers' channel has Approve and Deny too.`);
  });

  it('shows every list whole, with no "more" line, when all fits', () => {
    const view = home({ myActive: manyGranted(3), myPending: many('pending', 3), extensionsAwaitingMe: manyExtending(3) }, APPROVER_1);
    expect(blockTexts(view.blocks).filter((text) => text.startsWith('…and'))).toEqual([]);
    expect(buttons(view.blocks)).toHaveLength(3 + 3 + 6);
    expect(view.blocks.at(-1)?.type).not.toBe('divider');
  });
});

describe('sharing the room between lists', () => {
  const list = (items: number, blocksEach: number, total = items) => ({
    items: Array.from({ length: items }, (): KnownBlock[] => Array.from({ length: blocksEach }, () => ({ type: 'divider' }))),
    total,
  });

  it.each([
    { case: 'everything fits', lists: [list(3, 1), list(2, 2)], room: 10, counts: [3, 2] },
    { case: 'one item to each in turn, a "more" line kept for each list cut', lists: [list(10, 1), list(10, 1)], room: 10, counts: [4, 4] },
    { case: 'a two-block item costs two', lists: [list(10, 2), list(10, 1)], room: 11, counts: [3, 3] },
    { case: 'a short list leaves its share to the others', lists: [list(1, 1), list(20, 1)], room: 12, counts: [1, 10] },
    { case: 'more there than was read keeps its "more" line', lists: [list(2, 1, 50)], room: 10, counts: [2] },
    { case: 'no room for anything but the "more" lines', lists: [list(5, 1), list(5, 1)], room: 2, counts: [0, 0] },
  ])('when $case', ({ lists, room, counts }) => {
    expect(shareRoom(lists, room)).toEqual(counts);
  });
});
