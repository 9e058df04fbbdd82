import { describe, expect, it } from 'vitest';
import { renderDirectNews, renderRequestReceipt, renderThreadNews } from '../../../../src/adapters/slack/blocks/notifications.js';
import { ACTION } from '../../../../src/adapters/slack/ids.js';
import { type AccessRequest, SYSTEM } from '../../../../src/domain/access-request.js';
import { NEWS_KINDS, type NewsKind } from '../../../../src/domain/news.js';
import { actionIds, blockTexts, blockTypes, buttons } from '../../../support/block-kit.js';
import { makeTarget, REQUESTER, requestIn } from '../../../support/fixtures.js';

const target = makeTarget({
  boundary: { managedGroup: 'prod <ssh> & co', targetIds: [] },
  approvers: { channel: 'C0APPROVALS', users: ['U0MANAGER1'], required: 1, escalate: { afterMinutes: 60, users: ['U0DIRECTOR1'] } },
});

/** The request as it stands when each kind of news is told. */
const REQUEST_FOR: Record<NewsKind, AccessRequest> = {
  requested: requestIn('pending'),
  approval_recorded: requestIn('pending'),
  approved: requestIn('approved'),
  denied: requestIn('denied'),
  cancelled: requestIn('cancelled'),
  timed_out: requestIn('timed_out'),
  granted: requestIn('active'),
  failed: requestIn('failed', { failure: 'Graph said <no> & stop' }),
  end_requested: requestIn('active', { ending: { reason: 'released', by: REQUESTER, at: 0 } }),
  ended: requestIn('ended'),
  expiring_soon: requestIn('active'),
  drift_removed_outside: requestIn('active', { ending: { reason: 'revoked', by: SYSTEM, at: 0 } }),
  drift_still_present: requestIn('ended'),
  drift_journal_mismatch: requestIn('active', {
    ending: { reason: 'revoked', by: SYSTEM, at: 0 },
    grantCall: { sentAt: 0, kind: 'group_membership', groupId: 'group <old>' },
  }),
  revoke_failing: requestIn('active', { ending: { reason: 'expired', by: SYSTEM, at: 0 } }),
  cleaned_up: requestIn('failed', { cleanup: { at: 0, result: 'removed' } }),
  signed_out: requestIn('ended', { signOut: { at: 0, tokensRevoked: 2, sessionsEnded: 1, otherAccounts: 1 } }),
  change_opened: requestIn('active', { change: { sysId: 'sys-1', number: 'CHG0030001', state: 'implement' } }),
  change_closed: requestIn('ended', { change: { sysId: 'sys-1', number: 'CHG0030001', state: 'closed' } }),
  change_failing: requestIn('active', { changeProblem: 'ServiceNow answered 503' }),
  break_glass: requestIn('approved', { approvals: [], breakGlass: { at: 0, realertAt: 3_600_000 } }),
  break_glass_unreviewed: requestIn('active', { approvals: [], breakGlass: { at: 0 } }),
  break_glass_reviewed: requestIn('active', { approvals: [], breakGlass: { at: 0, review: { by: 'U0MANAGER2', at: 1 } } }),
  changed: requestIn('pending'),
  extension_requested: requestIn('active', { extension: { minutes: 30, reason: 'More', askedAt: 0, approvals: [] } }),
  extension_approval_recorded: requestIn('active', { extension: { minutes: 30, reason: 'More', askedAt: 0, approvals: [] } }),
  extended: requestIn('active', {
    extendedMinutes: 30,
    extension: { minutes: 30, reason: 'More', askedAt: 0, approvals: [], decision: { result: 'granted', by: SYSTEM, at: 0 } },
  }),
  extension_denied: requestIn('active', {
    extension: { minutes: 30, reason: 'More', askedAt: 0, approvals: [], decision: { result: 'denied', by: 'U0MANAGER1', at: 0 } },
  }),
  extension_failed: requestIn('active'),
  reminder: requestIn('pending', { remindAt: 45 * 60_000, remindersSent: 1 }),
  escalated: requestIn('pending', { escalatedAt: 60 * 60_000 }),
};

const told = (render: typeof renderThreadNews) => NEWS_KINDS.filter((news) => render(REQUEST_FOR[news], news, target) !== undefined);

describe('the news in the card thread and the requester DM', () => {
  it('replies in the thread only with news the updated card does not already say', () => {
    expect(told(renderThreadNews)).toEqual([
      'granted',
      'failed',
      'ended',
      'expiring_soon',
      'drift_removed_outside',
      'drift_still_present',
      'drift_journal_mismatch',
      'revoke_failing',
      'cleaned_up',
      'signed_out',
      'change_opened',
      'change_closed',
      'change_failing',
      'extension_failed',
      'break_glass_reviewed',
      'reminder',
      'escalated',
    ]);
  });

  it('sends the requester a DM when their request is closed, granted, about to end, ended or its break-glass reviewed', () => {
    expect(told(renderDirectNews)).toEqual([
      'denied',
      'timed_out',
      'granted',
      'failed',
      'ended',
      'expiring_soon',
      'signed_out',
      'extended',
      'extension_denied',
      'extension_failed',
      'break_glass_reviewed',
    ]);
  });

  it('posts one checklist once Boundary sign-ins ended, warning of accounts that sign in without Entra', () => {
    const thread = renderThreadNews(REQUEST_FOR.signed_out, 'signed_out', target);
    expect(blockTexts(thread?.blocks ?? [])).toEqual([
      ':lock: Entra membership removed :white_check_mark: · Boundary: 2 sign-ins revoked, 1 session ended :white_check_mark: (verified)\n' +
        ':warning: 1 Boundary account of the same user signs in without Entra (password or LDAP); such a sign-in keeps the old managed groups until the next OIDC sign-in.',
    ]);
  });

  it('names both groups, escaped, when a grant disagrees with its journaled call', () => {
    const thread = renderThreadNews(REQUEST_FOR.drift_journal_mismatch, 'drift_journal_mismatch', target);
    const text = blockTexts(thread?.blocks ?? [])[0] ?? '';
    expect(text).toContain('the bot’s grant call went to group `group &lt;old&gt;`'.replace('’', "'"));
    expect(text).toContain('the bot leaves it alone');
  });

  it('says which grant keeps a membership an end left in place', () => {
    const thread = renderThreadNews(requestIn('ended', { keptBy: 'req_OTHER' }), 'ended', target);
    expect(blockTexts(thread?.blocks ?? [])[0]).toContain('another grant of the bot (request `req_OTHER`) still covers it');
  });

  it('says which assignment outside the bot holds a membership an end or a cleanup left in place', () => {
    const ended = requestIn('ended', { heldBy: 'sched_<admin>' });
    expect(blockTexts(renderThreadNews(ended, 'ended', target)?.blocks ?? [])[0]).toContain(
      'The Entra group membership stays: another PIM assignment that the bot did not make (schedule `sched_&lt;admin&gt;`) holds it, so the bot left it alone.',
    );
    expect(blockTexts(renderDirectNews(ended, 'ended', target)?.blocks ?? [])[0]).toContain(
      'You keep the group membership through another assignment that the bot did not make.',
    );
    const cleaned = requestIn('failed', { cleanup: { at: 0, result: 'standing' }, heldBy: 'sched-admin' });
    expect(blockTexts(renderThreadNews(cleaned, 'cleaned_up', target)?.blocks ?? [])[0]).toContain(
      'The membership stays: another PIM assignment that the bot did not make (schedule `sched-admin`) holds it',
    );
  });

  it('tells the requester the Boundary target to connect to after a grant', () => {
    const withTargets = makeTarget({ boundary: { managedGroup: 'prod', targetIds: ['ttcp_1234567890', 'ttcp_2'] } });
    const dm = renderDirectNews(REQUEST_FOR.granted, 'granted', withTargets);
    expect(blockTexts(dm?.blocks ?? [])[1]).toContain('`boundary connect -target-id ttcp_1234567890` (also ttcp_2)');
  });

  it('tells the requester how to pick up a new grant in Boundary, and offers to end it now', () => {
    const dm = renderDirectNews(REQUEST_FOR.granted, 'granted', target);

    expect(blockTypes(dm?.blocks ?? [])).toEqual(['section', 'context', 'actions']);
    expect(blockTexts(dm?.blocks ?? [])[1]).toContain('managed group *prod &lt;ssh&gt; &amp; co*');
    const [endNow] = buttons(dm?.blocks ?? []);
    expect(endNow?.action_id).toBe(ACTION.endAccess);
    expect(endNow?.value).toBe('req_TEST');
    expect(endNow?.confirm?.confirm?.text).toBe('End access');
  });

  it('shows people a short cause, what to do and a reference for a failure from outside, never the outside text itself', () => {
    const log = "an admin can find the full answer in the bot's log by the request's reference";
    const thread = renderThreadNews(REQUEST_FOR.failed, 'failed', target);
    expect(blockTexts(thread?.blocks ?? [])).toEqual([
      `:x: Granting access to <@${REQUESTER}> failed: an outside service refused the grant — ${log}. Reference for an admin: \`req_TEST\`.`,
    ]);

    const denied = requestIn('failed', { failure: '403 Authorization_RequestDenied: Insufficient privileges to complete the operation.' });
    expect(blockTexts(renderThreadNews(denied, 'failed', target)?.blocks ?? [])[0]).toBe(
      `:x: Granting access to <@${REQUESTER}> failed: Microsoft Graph refused the grant (403 Authorization_RequestDenied: the bot's app lacks a permission) — an admin should check the app registration's Graph permissions and their admin consent. Reference for an admin: \`req_TEST\`.`,
    );
    expect(blockTexts(renderDirectNews(denied, 'failed', target)?.blocks ?? [])[0]).not.toContain('Insufficient privileges');
  });

  it('shows the bot’s own reasons with what to do, without the outside error behind them', () => {
    const stuck = requestIn('failed', {
      failure: 'the grant could not be made within 15 minutes of the approval (last error: ECONNRESET 10.0.0.7)',
    });
    const shown = blockTexts(renderThreadNews(stuck, 'failed', target)?.blocks ?? [])[0];
    expect(shown).toMatch(
      new RegExp(
        `^:x: Granting access to <@${REQUESTER}> failed: the grant could not be made within 15 minutes of the approval \\(Microsoft Graph kept failing or did not answer\\) — ask again;`,
      ),
    );
    expect(shown).not.toContain('ECONNRESET');
  });

  it('says a grant removed outside the bot was found by reconciliation', () => {
    const thread = renderThreadNews(REQUEST_FOR.drift_removed_outside, 'drift_removed_outside', target);

    expect(thread?.text).toBe(`Access for <@${REQUESTER}> was removed outside the bot`);
  });
});

describe('the receipt DM', () => {
  it('offers Cancel while the request is pending, and nothing once it is decided', () => {
    expect(actionIds(renderRequestReceipt(requestIn('pending'), target, 'C0APPROVALS').blocks)).toEqual([ACTION.cancel]);
    expect(actionIds(renderRequestReceipt(requestIn('approved'), target, 'C0APPROVALS').blocks)).toEqual([]);
  });

  it('repeats the reason escaped and links the approvers channel', () => {
    const receipt = renderRequestReceipt(requestIn('pending', { reason: 'ping <!channel> now' }), target, 'C0APPROVALS');

    expect(blockTexts(receipt.blocks)[0]).toBe(
      'You asked for *Production servers (SSH)* for 1h in <#C0APPROVALS>.\n*Reason:* ping &lt;!channel&gt; now',
    );
  });
});

describe('the denial DM', () => {
  it('names the approver and quotes their reason line by line, escaped', () => {
    const denied = requestIn('denied', {
      denial: { by: 'U0MANAGER1', at: 0, comment: 'Use the <read-only> role\n> not this one & <!here>' },
    });
    const [text] = blockTexts(renderDirectNews(denied, 'denied', target)?.blocks ?? []);
    expect(text).toMatch(/^:no_entry: <@U0MANAGER1> denied your request for \*Production servers \(SSH\)\* <!date\^0\^/);
    expect(text).toContain('\n*Their reason:*\n> Use the &lt;read-only&gt; role\n> &gt; not this one &amp; &lt;!here&gt;');
  });

  it('says when the approver gave no reason', () => {
    const [text] = blockTexts(renderDirectNews(requestIn('denied'), 'denied', target)?.blocks ?? []);
    expect(text).toMatch(/\.\nThey gave no reason\.$/);
  });
});

describe('the expiry warning', () => {
  const extendable = makeTarget({ extension: { maxTotalMinutes: 240, approval: 'approvers' } });

  it('offers Extend and I’m done where the target allows extensions', () => {
    for (const render of [renderThreadNews, renderDirectNews]) {
      const warning = render(requestIn('active'), 'expiring_soon', extendable);
      expect(actionIds(warning?.blocks ?? [])).toEqual([ACTION.extend, ACTION.endAccess]);
      expect(buttons(warning?.blocks ?? []).map((button) => button.text.text)).toEqual(['Extend', "I'm done"]);
    }
  });

  it('offers only I’m done on a target without extensions, with no room left, or while an extension waits', () => {
    const full = requestIn('active', { extendedMinutes: 180 });
    const waiting = requestIn('active', { extension: { minutes: 30, reason: 'More', askedAt: 0, approvals: [] } });
    for (const [request, target] of [
      [requestIn('active'), makeTarget()],
      [full, extendable],
      [waiting, extendable],
    ] as const) {
      expect(actionIds(renderDirectNews(request, 'expiring_soon', target)?.blocks ?? [])).toEqual([ACTION.endAccess]);
    }
  });
});
