import type { App, BlockButtonAction } from '@slack/bolt';
import { decideRequest, previewDecision } from '../../../../application/decide-request.js';
import { findTarget } from '../../../../domain/policy.js';
import { refusalText } from '../../blocks/replies.js';
import { renderDenyModal } from '../../blocks/request-modal.js';
import { ACTION } from '../../ids.js';
import { type ListenerDeps, tell } from '../context.js';

// Approve and Deny, on the card or the Home tab. Who may decide is the use case's business, not the button's.
// Unlike other listeners these store their change before the ack; see the comment in approve.
export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, client }) => {
    // Stored before the ack (a local write of a few milliseconds), so a crash after Slack was told "ok" cannot
    // lose the click: Slack never redelivers an interaction.
    const outcome = decideRequest(deps, { requestId: action.value ?? '', actorId: body.user.id, decision: 'approve' });
    await ack();
    if (outcome.ok) {
      deps.log.info({ requestId: outcome.request.id, approverId: body.user.id, state: outcome.request.state }, 'approval recorded');
      deps.wake();
      return;
    }
    await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome));
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, client }) => {
    await ack();
    const requestId = action.value ?? '';
    const check = previewDecision(deps, { requestId, actorId: body.user.id, decision: 'deny' });
    if (!check.ok) {
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(check));
      return;
    }
    const name = findTarget(deps.policy, check.request.targetId)?.name ?? check.request.targetId;
    await client.views.open({ trigger_id: body.trigger_id, view: renderDenyModal(requestId, name) });
  });
}
