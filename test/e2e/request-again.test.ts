// Request again, the denial DM and /jit why, on the real bot against the Slack and Graph simulators.

import { afterEach, describe, expect, it } from 'vitest';
import { PROD_DB_POLICY } from '../../simulators/policies.js';
import type { SimMessage } from '../../simulators/slack/workspace.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
const MINUTE = 60_000;
const REASON = 'Investigating incident INC-42 on db-1';

async function open(options: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  world = await startWorld(options);
  return world;
}

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

const cards = (w: World) => w.slack.workspace.messages.filter((message) => message.channel === APPROVALS && !message.threadTs);
const blocksOf = (message: { blocks?: unknown } | undefined) => JSON.stringify(message?.blocks ?? []);

/** Sam asks through /jit; returns the card the approvers get. */
async function ask(w: World, values: Record<string, string>): Promise<SimMessage> {
  const sam = w.slack.person(PEOPLE.requester.slack);
  const before = cards(w).length;
  await sam.slash('/jit');
  await sam.waitForModal();
  expect((await sam.submit(values)).errors).toEqual({});
  return w.slack.waitFor(() => cards(w)[before], 10_000, 'the card');
}

describe('Request again', () => {
  it('after an expiry opens the form with the same target, duration and reason, and sends a new request', async () => {
    const w = await open({ policy: PROD_DB_POLICY });
    const sam = w.slack.person(PEOPLE.requester.slack);
    const first = await ask(w, { reason: REASON, 'duration_prod-db': '120' });
    await w.slack.person(PEOPLE.approver1.slack).click('jit_approve', { message: first });
    await w.slack.waitFor(() => w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra), 10_000, 'the grant');
    // The end is set once the grant is confirmed: move the clock only after the card says so.
    await w.slack.waitFor(() => first.text.endsWith('active'), 10_000, 'the card to show active access');

    await w.advance(120 * MINUTE);
    const ended = await w.slack.waitFor(
      () => sam.dms().find((message) => message.text === 'Your access to Production databases ended'),
      5000,
      'the ended DM',
    );
    expect(w.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);

    await sam.click('jit_request_again', { message: ended });
    const modal = await sam.waitForModal();
    expect(modal.values.target?.jit_target).toMatchObject({ selected_option: { value: 'prod-db' } });
    expect(modal.values.reason?.value).toMatchObject({ value: REASON });
    expect(modal.values['duration_prod-db']?.value).toMatchObject({ selected_option: { value: '120' } });

    expect((await sam.submit()).errors).toEqual({});
    const second = await w.slack.waitFor(() => cards(w)[1], 10_000, 'the new card');
    expect(second.ts).not.toBe(first.ts);
    expect(blocksOf(second)).toContain(REASON);
    expect(second.text).toContain('Production databases');
  });

  it('is on the receipt of a timed-out request too', async () => {
    const w = await open({ policy: PROD_DB_POLICY });
    const sam = w.slack.person(PEOPLE.requester.slack);
    const card = await ask(w, { reason: REASON });
    await w.advance(4 * 60 * MINUTE);
    await w.slack.waitFor(() => card.text.endsWith('timed out'), 10_000, 'the timeout');
    const receipt = await w.slack.waitFor(() => sam.dms()[0], 10_000, 'the receipt');
    await w.slack.waitFor(() => blocksOf(receipt).includes('jit_request_again'), 10_000, 'Request again on the receipt');

    await sam.click('jit_request_again', { message: receipt });
    expect((await sam.waitForModal()).values.reason?.value).toMatchObject({ value: REASON });
  });
});

describe('a denial', () => {
  it('tells the requester by DM who denied it and quotes their reason, escaped', async () => {
    const w = await open();
    const sam = w.slack.person(PEOPLE.requester.slack);
    const maria = w.slack.person(PEOPLE.approver1.slack);
    const card = await ask(w, { reason: REASON });
    await maria.click('jit_deny', { message: card });
    await maria.waitForModal();
    await maria.submit({ comment: 'Use the <read-only> role\nfor db-1' });

    const dm = await w.slack.waitFor(
      () => sam.dms().find((message) => message.text.endsWith('denied') && blocksOf(message).includes('denied your request')),
      5000,
      'the denial DM',
    );
    const [section] = (dm.blocks ?? []) as { text?: { text: string } }[];
    expect(section?.text?.text).toMatch(/^:no_entry: <@U0MANAGER1> denied your request for \*Production servers \(SSH\)\* <!date/);
    expect(section?.text?.text).toContain('*Their reason:*\n> Use the &lt;read-only&gt; role\n> for db-1');
    expect(blocksOf(dm)).toContain('jit_request_again');
  });
});

describe('/jit why', () => {
  it('explains a known target privately: approvers, approvals, durations, eligibility, timeout and who may ask', async () => {
    const w = await open();
    const sam = w.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'why prod-db');

    const [reply] = sam.ephemerals();
    const text = blocksOf(reply);
    expect(reply?.text).toBe('How access to Production databases works');
    for (const part of [
      '<@U0MANAGER1>, <@U0MANAGER2> — in <#C0APPROVALS>. It takes 2 approvals from different approvers',
      '30m by default, at most 2h; you pick from 30m, 2h.',
      'time out after 4h',
      '*You may ask for it:* anyone in the workspace may.',
    ]) {
      expect(text).toContain(part);
    }
    expect(sam.modal).toBeUndefined();
    expect(w.slack.workspace.messages.filter((message) => message.channel === APPROVALS)).toEqual([]);
  });

  it('answers an unknown target with the targets the person may ask for', async () => {
    const w = await open();
    const sam = w.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'why prod-dbx');

    const [reply] = sam.ephemerals();
    expect(reply?.text).toBe(
      "I don't know `prod-dbx`. You may ask for:\n• `prod-ssh` — Production servers (SSH)\n• `prod-db` — Production databases",
    );
  });
});
