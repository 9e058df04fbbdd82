import { describe, expect, it } from 'vitest';
import { renderBreakGlassAlert } from '../../../../src/adapters/slack/blocks/break-glass-alert.js';
import {
  awaitedMentions,
  renderEscalationDirect,
  renderEscalationNotice,
  renderReminder,
} from '../../../../src/adapters/slack/blocks/reminders.js';
import { blockTexts } from '../../../support/block-kit.js';
import { APPROVER_1, APPROVER_2, makeTarget, REQUESTER, requestIn, T0 } from '../../../support/fixtures.js';

const DIRECTOR = 'U0DIRECTOR1';
const target = makeTarget({
  name: 'Prod <ssh> & co',
  approvers: {
    channel: 'C0APPROVALS',
    users: [APPROVER_1, APPROVER_2, REQUESTER],
    required: 1,
    remindAfterMinutes: 15,
    escalate: { afterMinutes: 60, users: [DIRECTOR, REQUESTER] },
  },
});
const HOUR = 3_600_000;
const waiting = requestIn('pending', { remindAt: T0 + 45 * 60_000, remindersSent: 1, reason: 'Fix <!here> & more' });
const escalated = requestIn('pending', { escalatedAt: T0 + HOUR, reason: 'Fix <!here> & more' });

describe('approver mentions', () => {
  it('ping who may decide now and has not approved yet, never the requester', () => {
    expect(awaitedMentions(waiting, target)).toEqual(['<@U0MANAGER1>', '<@U0MANAGER2>']);
    expect(awaitedMentions(escalated, target)).toEqual(['<@U0MANAGER1>', '<@U0MANAGER2>', '<@U0DIRECTOR1>']);
    const halfway = requestIn('pending', { approvals: [{ approverId: APPROVER_1, at: T0 }] });
    expect(awaitedMentions(halfway, target)).toEqual(['<@U0MANAGER2>']);
  });

  it('leave out those who left Slack, and ping the user groups as groups', () => {
    const grouped = makeTarget({ approvers: { ...target.approvers, groups: ['S0ONCALLLEADS'] } });
    const roster = { users: [APPROVER_2], departed: [APPROVER_1], groups: ['S0ONCALLLEADS'], required: 1 };
    expect(awaitedMentions(waiting, grouped, roster)).toEqual(['<@U0MANAGER2>', '<!subteam^S0ONCALLLEADS>']);
    expect(awaitedMentions(waiting, grouped)).toEqual(['<@U0MANAGER1>', '<@U0MANAGER2>', '<!subteam^S0ONCALLLEADS>']);
  });

  it('are the ones the break-glass alert asks for a review when it goes out again', () => {
    const glass = requestIn('active', { approvals: [], breakGlass: { at: T0 } });
    const again = renderBreakGlassAlert(glass, target, true);
    expect(blockTexts(again.blocks)).toContain('<@U0MANAGER1> <@U0MANAGER2>: please review this break-glass.');
  });
});

describe('the reminder in the card’s thread', () => {
  it('pings the approvers still to decide, saying since when the request waits and when it times out', () => {
    const reminder = renderReminder(waiting, target);
    expect(reminder?.text).toBe('Reminder: the request from <@U0SRE0001> for Prod &lt;ssh&gt; &amp; co still waits for a decision');
    const [said, timesOut] = blockTexts(reminder?.blocks ?? []);
    expect(said).toMatch(/^:bell: \*Reminder:\* the request from <@U0SRE0001> for \*Prod &lt;ssh&gt; &amp; co\* has waited since <!date\^/);
    expect(said).toMatch(/<@U0MANAGER1> <@U0MANAGER2>: please approve or deny it\.$/);
    expect(timesOut).toMatch(/^It times out <!date\^/);
  });

  it('counts the approvals so far where the target needs more than one', () => {
    const twoNeeded = makeTarget({ approvers: { ...target.approvers, required: 2 } });
    const halfway = requestIn('pending', { requiredApprovals: 2, approvals: [{ approverId: APPROVER_1, at: T0 }] });
    expect(blockTexts(renderReminder(halfway, twoNeeded)?.blocks ?? [])[0]).toContain('(1 of 2 approvals so far). <@U0MANAGER2>: please');
  });

  it('says when nobody the policy lists may decide any more', () => {
    const nobody = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [REQUESTER], required: 1 } });
    expect(blockTexts(renderReminder(waiting, nobody)?.blocks ?? [])[0]).toMatch(
      /Nobody the policy lists may decide on it now: ask an admin\.$/,
    );
  });

  it.each([
    ['decided', requestIn('approved')],
    ['cancelled', requestIn('cancelled')],
    ['timed out', requestIn('timed_out')],
  ])('is not posted once the request is %s', (_state, request) => {
    expect(renderReminder(request, target)).toBeUndefined();
  });
});

describe('the escalation', () => {
  it('says in the thread whom it made approvers and after how long, never naming the requester', () => {
    const notice = renderEscalationNotice(escalated, target);
    expect(notice?.text).toBe('Escalated: nobody decided within 1h');
    expect(blockTexts(notice?.blocks ?? [])).toEqual([
      ':arrow_double_up: *Escalated:* nobody decided within 1h, so <@U0DIRECTOR1> may now approve or deny this request too.',
    ]);
  });

  it('sends each person escalated to whose request it is, why, and a link to the card', () => {
    const sent = renderEscalationDirect(escalated, target, 'https://example.slack.com/archives/C0APPROVALS/p1');
    const [said, why] = blockTexts(sent?.blocks ?? []);
    expect(said).toBe(
      ":arrow_double_up: <@U0SRE0001>'s request for *Prod &lt;ssh&gt; &amp; co* (1h) has waited 1h without a decision, so you may now approve or deny it too. <https://example.slack.com/archives/C0APPROVALS/p1|Open the request> to decide, or use your Home tab.",
    );
    expect(why).toBe('*Reason*\nFix &lt;!here&gt; &amp; more');
  });

  it('points to the approvers’ channel when the card’s link could not be had', () => {
    const sent = renderEscalationDirect(escalated, target, undefined);
    expect(blockTexts(sent?.blocks ?? [])[0]).toContain('The request is in <#C0APPROVALS> to decide, or use your Home tab.');
  });

  it('is told nowhere once the request is decided, or when it escalated to nobody', () => {
    const decided = requestIn('approved', { escalatedAt: T0 + HOUR });
    expect(renderEscalationNotice(decided, target)).toBeUndefined();
    expect(renderEscalationDirect(decided, target, 'https://example.slack.com/x')).toBeUndefined();
    expect(renderEscalationNotice(requestIn('pending'), target)).toBeUndefined();
  });
});
