import type { App, BlockButtonAction } from '@slack/bolt';
import { renderExtendModal } from '../../blocks/extension.js';
import { refusalText } from '../../blocks/replies.js';
import { ACTION } from '../../ids.js';
import { inTimeForAck } from '../before-ack.js';
import { tell } from '../tell.js';
import type { ListenerUseCases } from '../use-cases.js';

// Extend on the expiry warning (the requester), and Approve or Deny on an extension in the card's thread (the
// target's approvers). Who may do what is the use cases' business, not the button's.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.action<BlockButtonAction>(ACTION.extend, async ({ ack, body, action, client }) => {
    await ack();
    const form = await useCases.extensionForm({ requestId: action.value ?? '', actorId: body.user.id });
    if (!form.ok) {
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(form));
      return;
    }
    if (form.request.state !== 'active') return;
    await client.views.open({
      trigger_id: body.trigger_id,
      view: renderExtendModal(form.request, form.target, form.roomMinutes, form.request.endsAt),
    });
  });

  const decide = (actionId: string, decision: 'approve' | 'deny') => {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      // Stored before the ack, as the main decision is (see decision-actions): Slack never redelivers a click.
      const pending = useCases.decideExtension({ requestId: action.value ?? '', actorId: body.user.id, decision });
      const inTime = await inTimeForAck(pending);
      await ack();
      const outcome = inTime ?? (await pending);
      if (outcome.ok) {
        log.info({ requestId: outcome.request.id, approverId: body.user.id, decision }, 'extension decision recorded');
        return;
      }
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome));
    });
  };
  decide(ACTION.approveExtension, 'approve');
  decide(ACTION.denyExtension, 'deny');
}
