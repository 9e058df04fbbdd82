import type { App, BlockButtonAction } from '@slack/bolt';
import { refusalText } from '../../blocks/replies.js';
import { renderDenyModal } from '../../blocks/request-modal.js';
import { ACTION } from '../../ids.js';
import { inTimeForAck } from '../before-ack.js';
import { tell } from '../tell.js';
import type { ListenerUseCases } from '../use-cases.js';

// Approve and Deny, on the card or the Home tab. Who may decide is the use case's business, not the button's.
// Approve stores its change before the ack (see below); Deny acks first, as it only opens the reason modal.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, client }) => {
    // Stored before the ack, so a crash after Slack was told "ok" cannot lose the click: Slack never redelivers
    // an interaction. The approver's identity check (their Slack email, the Entra accounts behind it) asks Slack
    // and Graph once a minute at most per approver; if those are slow, the ack goes first.
    const pending = useCases.decide({ requestId: action.value ?? '', actorId: body.user.id, decision: 'approve' });
    const inTime = await inTimeForAck(pending);
    await ack();
    const outcome = inTime ?? (await pending);
    if (outcome.ok) {
      log.info({ requestId: outcome.request.id, approverId: body.user.id, state: outcome.request.state }, 'approval recorded');
      return;
    }
    await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome));
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, client }) => {
    await ack();
    const requestId = action.value ?? '';
    const check = await useCases.previewDecision({ requestId, actorId: body.user.id, decision: 'deny' });
    if (!check.ok) {
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(check));
      return;
    }
    const name = useCases.targetOf(check.request.targetId)?.name ?? check.request.targetId;
    await client.views.open({ trigger_id: body.trigger_id, view: renderDenyModal(requestId, name) });
  });
}
