import { describe, expect, it } from 'vitest';
import { renderHelp, renderMyRequests } from '../../../../src/adapters/slack/blocks/command-replies.js';
import { requestRefusalText } from '../../../../src/adapters/slack/blocks/replies.js';
import { LISTED_REQUESTS } from '../../../../src/application/request-views.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../../../src/domain/reason.js';
import { blockTexts } from '../../../support/block-kit.js';
import { makeTarget, requestIn } from '../../../support/fixtures.js';

describe('the /jit replies', () => {
  it('answers help only to the person who asked, naming what it did not understand', () => {
    const help = renderHelp("I don't know `nope`.");

    expect(help.response_type).toBe('ephemeral');
    expect(blockTexts(help.blocks)[0]?.startsWith("I don't know `nope`. Here is what I understand:")).toBe(true);
  });

  it('lists my requests with their target and status, at most the listed number', () => {
    const requests = Array.from({ length: 25 }, (_, i) => requestIn('pending', { id: `req_${i}` }));
    const reply = renderMyRequests(requests, () => makeTarget({ name: 'Prod <ssh>' }));

    const texts = blockTexts(reply.blocks ?? []);
    expect(texts).toHaveLength(LISTED_REQUESTS + 2);
    expect(texts[1]).toMatch(/^\*Prod &lt;ssh&gt;\* \(1h\) — :hourglass_flowing_sand: \*Waiting for approval\*/);
    expect(texts.at(-1)).toBe(`The ${LISTED_REQUESTS} most recent are shown.`);
  });

  it('says how to start when I have no requests', () => {
    expect(renderMyRequests([], () => undefined)).toEqual({
      response_type: 'ephemeral',
      text: 'You have no requests yet. Type `/jit` to ask for access.',
    });
  });

  it('states the reason limits from the domain', () => {
    expect(requestRefusalText({ ok: false, field: 'reason', code: 'reason_too_short' })).toContain(
      `at least ${REASON_MIN_LENGTH} characters`,
    );
    expect(requestRefusalText({ ok: false, field: 'reason', code: 'reason_too_long' })).toContain(`${REASON_MAX_LENGTH} characters`);
  });
});
