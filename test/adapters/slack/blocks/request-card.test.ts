import { describe, expect, it } from 'vitest';
import { renderBreakGlassAlert } from '../../../../src/adapters/slack/blocks/break-glass-alert.js';
import { renderRequestCard } from '../../../../src/adapters/slack/blocks/request-card.js';
import { ACTION } from '../../../../src/adapters/slack/ids.js';
import { actionIds, blockTexts, blockTypes, buttons } from '../../../support/block-kit.js';
import { APPROVER_1, APPROVER_2, grantedIn, makeTarget, REQUESTER, requestIn, T0 } from '../../../support/fixtures.js';

describe('the approval card', () => {
  it('shows the requester, target, duration, reason and status, with Approve and Deny while pending', () => {
    const card = renderRequestCard(requestIn('pending'), makeTarget());

    expect(blockTypes(card.blocks)).toEqual(['header', 'section', 'section', 'section', 'actions', 'context']);
    const [title, details, reason, status] = blockTexts(card.blocks);
    expect(title).toBe('Access request: Production servers (SSH)');
    expect(details).toContain(`<@${REQUESTER}>`);
    expect(details).toContain('*Duration*\n1h');
    expect(reason).toBe('*Reason*\nInvestigating incident INC-42');
    expect(status).toContain('Waiting for approval');
    expect(buttons(card.blocks).map((button) => [button.action_id, button.value, button.style])).toEqual([
      [ACTION.approve, 'req_TEST', 'primary'],
      [ACTION.deny, 'req_TEST', 'danger'],
    ]);
    expect(card.text).toBe(`Access request from <@${REQUESTER}> for Production servers (SSH): pending`);
  });

  it('mentions the approvers: the listed people as they are, the user groups as groups', () => {
    const target = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1], groups: ['S0ONCALL01'], required: 1 } });
    expect(blockTexts(renderRequestCard(requestIn('pending'), target).blocks)[1]).toContain(
      `*Approvers*\n<@${APPROVER_1}>, <!subteam^S0ONCALL01>`,
    );
  });

  it('leaves out the approvers who left Slack, and says so while the rest cannot meet the quorum', () => {
    const target = makeTarget({ approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 2 } });
    const roster = { users: [APPROVER_1], departed: [APPROVER_2], groups: [], required: 2, available: 1 };
    const card = renderRequestCard(requestIn('pending'), target, roster);
    expect(blockTexts(card.blocks)[1]).toContain(`*Approvers*\n<@${APPROVER_1}>`);
    expect(JSON.stringify(card.blocks)).not.toContain(APPROVER_2);
    expect(blockTexts(card.blocks)).toContain(
      ':warning: This request needs 2 approval(s), but only 1 approver(s) other than the requester are still in Slack: it cannot be approved until the policy names more. The admins have been told.',
    );
    expect(actionIds(card.blocks)).toEqual([ACTION.approve, ACTION.deny]);
    // Once the request is over, nothing is waiting for a quorum any more.
    expect(JSON.stringify(renderRequestCard(requestIn('cancelled'), target, roster).blocks)).not.toContain(':warning:');
    expect(JSON.stringify(renderRequestCard(requestIn('pending'), target, { ...roster, available: 2 }).blocks)).not.toContain(':warning:');
  });

  it('asks the reviewers of an ignored break-glass by name, but not those who left Slack or the person themself', () => {
    const target = makeTarget({
      approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2, REQUESTER], groups: ['S0ONCALL01'], required: 1 },
      breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' },
    });
    const roster = { users: [APPROVER_1, REQUESTER], departed: [APPROVER_2], groups: ['S0ONCALL01'], required: 1 };
    const alert = renderBreakGlassAlert(grantedIn('active', { approvals: [], breakGlass: { at: T0 } }), target, true, roster);
    expect(blockTexts(alert.blocks)).toContain(`<@${APPROVER_1}> <!subteam^S0ONCALL01>: please review this break-glass.`);
  });

  it('shows the Entra account that will receive the access, escaped', () => {
    const card = renderRequestCard(requestIn('pending', { principalName: 'sam_<x>@contoso.example' }), makeTarget());
    expect(blockTexts(card.blocks)[1]).toContain(`*Requester*\n<@${REQUESTER}>\nsam_&lt;x&gt;@contoso.example`);
  });

  it('shows the ServiceNow change number and where it stands once the change is opened', () => {
    const change = { sysId: 'sys-1', number: 'CHG0030001', state: 'implement' as const };
    expect(blockTexts(renderRequestCard(requestIn('active', { change }), makeTarget()).blocks)[1]).toContain(
      '*ServiceNow change*\nCHG0030001 · Implement',
    );
    expect(blockTexts(renderRequestCard(requestIn('active'), makeTarget()).blocks)[1]).not.toContain('ServiceNow');
  });

  it('drops the buttons once the request is decided', () => {
    for (const state of ['approved', 'active', 'ended', 'denied', 'cancelled', 'timed_out', 'failed'] as const) {
      expect(actionIds(renderRequestCard(requestIn(state), makeTarget()).blocks)).toEqual([]);
    }
  });

  it('escapes what the requester typed, so a reason cannot ping a channel or fake a link', () => {
    const card = renderRequestCard(requestIn('pending', { reason: '<!channel> see <https://evil|docs> & more' }), makeTarget());

    expect(blockTexts(card.blocks)[2]).toBe('*Reason*\n&lt;!channel&gt; see &lt;https://evil|docs&gt; &amp; more');
  });

  it('names a target that left the policy by its id', () => {
    const card = renderRequestCard(requestIn('pending'), undefined);

    expect(blockTexts(card.blocks)[0]).toBe('Access request: prod-ssh (no longer in the policy)');
  });

  it('lists the Boundary managed group and targets of a Boundary target', () => {
    const target = makeTarget({ boundary: { managedGroup: 'prod-ssh-users', targetIds: ['ttcp_1234567890'] } });
    const details = blockTexts(renderRequestCard(requestIn('pending'), target).blocks)[1];

    expect(details).toContain('*Boundary managed group*\nprod-ssh-users');
    expect(details).toContain('`ttcp_1234567890`');
  });

  it('says PagerDuty approved it and why, and keeps Revoke while the access is active and not ending', () => {
    const by = 'PagerDuty on-call (schedule PSCHED01)';
    const active = requestIn('active', { approvals: [], autoApprovedBy: by });
    const card = renderRequestCard(active, makeTarget());
    const texts = blockTexts(card.blocks).join('\n');
    expect(texts).toContain(`approved by ${by}`);
    expect(texts).toContain(`Approved at once by ${by}: the requester is on call now`);
    expect(actionIds(card.blocks)).toEqual([ACTION.revoke]);
    const ending = renderRequestCard({ ...active, ending: { reason: 'revoked', by: 'U0ADMIN01', at: active.grantedAt } }, makeTarget());
    expect(actionIds(ending.blocks)).toEqual([]);
    expect(actionIds(renderRequestCard(requestIn('active'), makeTarget()).blocks)).toEqual([]);
  });

  it('shows the PagerDuty incident by its number and title', () => {
    const request = requestIn('pending', { incident: { id: 'Q1OPEN', number: 1234, title: 'Checkout <latency>' } });
    expect(blockTexts(renderRequestCard(request, makeTarget()).blocks)[1]).toContain(
      '*PagerDuty incident*\n#1234 Checkout &lt;latency&gt;',
    );
  });
});
