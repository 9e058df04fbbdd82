import type { App, BlockButtonAction } from '@slack/bolt';
import { refusalText } from '../../blocks/replies.js';
import { ACTION } from '../../ids.js';
import { inTimeForAck } from '../before-ack.js';
import { tell } from '../tell.js';
import type { ListenerUseCases } from '../use-cases.js';

// Acknowledge, on a break-glass alert or the Home tab. Who may review is the use case's business, not the button's.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.action<BlockButtonAction>(ACTION.acknowledgeBreakGlass, async ({ ack, body, action, client }) => {
    // Stored before the ack, as an approval is (see decision-actions): the reviewer's identity check asks Slack
    // and Graph, and when they are slow the ack goes first.
    const pending = useCases.acknowledgeBreakGlass({ requestId: action.value ?? '', actorId: body.user.id });
    const inTime = await inTimeForAck(pending);
    await ack();
    const outcome = inTime ?? (await pending);
    if (outcome.ok) {
      log.info({ requestId: outcome.request.id, reviewerId: body.user.id }, 'break-glass acknowledged');
      return;
    }
    await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome, 'acknowledge this break-glass'));
  });
}
