import { describe, expect, it } from 'vitest';
import { renderDirectNews, renderRequestReceipt } from '../../../../src/adapters/slack/blocks/notifications.js';
import { requestAgainRefusalText } from '../../../../src/adapters/slack/blocks/request-again.js';
import { renderRequestModal } from '../../../../src/adapters/slack/blocks/request-modal.js';
import { ACTION, INPUT } from '../../../../src/adapters/slack/ids.js';
import { REQUEST_STATES } from '../../../../src/domain/access-request.js';
import type { NewsKind } from '../../../../src/domain/news.js';
import { buttons } from '../../../support/block-kit.js';
import { makeTarget, REQUESTER, requestIn } from '../../../support/fixtures.js';

const target = makeTarget();
const again = (blocks: Parameters<typeof buttons>[0]) => buttons(blocks).filter((button) => button.action_id === ACTION.requestAgain);

describe('Request again on the requester’s messages', () => {
  it.each<[NewsKind, ReturnType<typeof requestIn>]>([
    ['ended', requestIn('ended')],
    ['ended', requestIn('ended', { endReason: 'revoked', ending: { reason: 'revoked', by: 'U0ADMIN01', at: 1 } })],
    ['denied', requestIn('denied')],
    ['timed_out', requestIn('timed_out')],
    ['failed', requestIn('failed')],
  ])('is on the %s DM, carrying only the request id', (news, request) => {
    expect(again(renderDirectNews(request, news, target)?.blocks ?? [])).toEqual([
      {
        type: 'button',
        action_id: ACTION.requestAgain,
        text: { type: 'plain_text', text: 'Request again', emoji: true },
        value: 'req_TEST',
      },
    ]);
  });

  it('is not on the DMs of a grant that starts or is about to end', () => {
    expect(again(renderDirectNews(requestIn('active'), 'granted', target)?.blocks ?? [])).toEqual([]);
    expect(again(renderDirectNews(requestIn('active'), 'expiring_soon', target)?.blocks ?? [])).toEqual([]);
  });

  it('is on the receipt once the request is over, and not while it runs or after a cancel', () => {
    const offered = REQUEST_STATES.filter(
      (state) => again(renderRequestReceipt(requestIn(state), target, 'C0APPROVALS').blocks).length > 0,
    );
    expect(offered).toEqual(['ended', 'denied', 'timed_out', 'failed']);
  });
});

describe('the request form opened again', () => {
  it('opens with the earlier reason and duration', () => {
    const modal = renderRequestModal([target], target, { reason: 'Rotate <keys> & certs', durationMinutes: 120 });
    const input = (blockId: string) => modal.blocks.find((block) => block.block_id === blockId);
    expect(input(INPUT.reason)).toMatchObject({ element: { initial_value: 'Rotate <keys> & certs' } });
    expect(input(`${INPUT.durationPrefix}prod-ssh`)).toMatchObject({ element: { initial_option: { value: '120' } } });
  });

  it('opens empty, with the default duration, from /jit', () => {
    const modal = renderRequestModal([target], target);
    const reason = modal.blocks.find((block) => block.block_id === INPUT.reason);
    expect(reason).not.toHaveProperty('element.initial_value');
    expect(modal.blocks.find((block) => block.block_id === `${INPUT.durationPrefix}prod-ssh`)).toMatchObject({
      element: { initial_option: { value: '60' } },
    });
  });
});

describe('a Request again that cannot open the form', () => {
  it.each<[Parameters<typeof requestAgainRefusalText>[0], string]>([
    [{ ok: false, code: 'unknown_request' }, 'That request does not exist (any more). Type `/jit` to ask for access.'],
    [{ ok: false, code: 'not_the_requester' }, 'Only the person who made this request can ask for it again.'],
    [{ ok: false, code: 'not_over', state: 'active' }, 'This request is not over yet; there is nothing to ask for again.'],
    [
      { ok: false, code: 'target_removed', targetId: 'old<db>' },
      'The target of this request (`old&lt;db&gt;`) is no longer in the policy. Type `/jit` to see what you may ask for.',
    ],
    [
      { ok: false, code: 'not_a_requester', target: makeTarget({ name: 'DB <prod>', requesters: { users: [REQUESTER] } }) },
      'You may no longer ask for *DB &lt;prod&gt;*; only the people the policy lists for it may. Ask an admin if you think you should.',
    ],
  ])('says why (%j)', (refusal, text) => {
    expect(requestAgainRefusalText(refusal)).toBe(text);
  });
});
