import type { App, BlockButtonAction } from '@slack/bolt';
import { requestAgainRefusalText } from '../../blocks/request-again.js';
import { renderRequestModal } from '../../blocks/request-modal.js';
import { ACTION } from '../../ids.js';
import { tell } from '../tell.js';
import type { ListenerUseCases } from '../use-cases.js';

// Request again, on the requester's DMs about a request that is over: the request form, pre-filled. The button's
// value is only a lookup key; the use case checks that the clicker made the request and may still ask for it.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.action<BlockButtonAction>(ACTION.requestAgain, async ({ ack, body, action, client }) => {
    await ack();
    const outcome = await useCases.requestAgain({ requestId: action.value ?? '', actorId: body.user.id });
    if (!outcome.ok) {
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, requestAgainRefusalText(outcome));
      return;
    }
    // The trigger id lives 3 seconds from the click; open the form before anything else.
    await client.views.open({ trigger_id: body.trigger_id, view: renderRequestModal(outcome.targets, outcome.selected, outcome.prefill) });
    useCases
      .warmUpIdentity(body.user.id)
      .catch((error: unknown) => log.warn({ err: error, userId: body.user.id }, 'identity warm-up failed'));
  });
}
