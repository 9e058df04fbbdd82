import { describe, expect, it } from 'vitest';
import { BREAK_GLASS_ITEMS, ITEMS_PER_LIST, renderHome } from '../../../../src/adapters/slack/blocks/home-tab.js';
import { ACTION } from '../../../../src/adapters/slack/ids.js';
import type { HomeData } from '../../../../src/application/request-views.js';
import { actionIds, blockTexts, buttons } from '../../../support/block-kit.js';
import { ADMIN, APPROVER_1, grantedIn, makeTarget, OUTSIDER, REQUESTER, requestIn } from '../../../support/fixtures.js';

const empty: HomeData = {
  isAdmin: false,
  myActive: [],
  myPending: [],
  awaitingMe: [],
  allActive: [],
  allActiveCount: 0,
  breakGlassToReview: [],
};
const target = makeTarget();
const home = (data: Partial<HomeData>, viewerId = REQUESTER) => renderHome({ viewerId, ...empty, ...data, targetOf: () => target });
const many = (state: 'pending', count: number) =>
  Array.from({ length: count }, (_, i) => requestIn(state, { id: `req_${i}`, requesterId: OUTSIDER }));
const manyGranted = (count: number) =>
  Array.from({ length: count }, (_, i) => grantedIn('active', { id: `req_${i}`, requesterId: OUTSIDER }));
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

  it("stays within Slack's 100 blocks however much there is, and says how many more there are", () => {
    const view = home(
      {
        isAdmin: true,
        myActive: manyGranted(40),
        myPending: many('pending', 40),
        awaitingMe: many('pending', 40),
        allActive: manyGranted(40),
        allActiveCount: 500,
        breakGlassToReview: manyBroken(40),
      },
      ADMIN,
    );

    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(buttons(view.blocks).filter((button) => button.action_id === ACTION.acknowledgeBreakGlass)).toHaveLength(BREAK_GLASS_ITEMS);
    const texts = blockTexts(view.blocks);
    expect(texts).toContain(`…and ${40 - ITEMS_PER_LIST} more. Type \`/jit list\` to see all of yours.`);
    expect(texts).toContain(`…and ${500 - ITEMS_PER_LIST} more. Type \`/jit list\` to see all of yours.`);
  });
});
