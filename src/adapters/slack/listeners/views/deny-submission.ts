import type { App } from '@slack/bolt';
import { refusalText } from '../../blocks/replies.js';
import { INPUT, VIEW } from '../../ids.js';
import type { ListenerUseCases } from '../use-cases.js';

// The Deny modal's submission: the reason is optional; a refusal (someone decided first) comes by DM.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.view(VIEW.denyReason, async ({ ack, body, view, client }) => {
    await ack();
    const { requestId } = JSON.parse(view.private_metadata || '{}') as { requestId?: string };
    const comment = view.state.values[INPUT.denyComment]?.[INPUT.value]?.value?.trim();
    const outcome = await useCases.decide({
      requestId: requestId ?? '',
      actorId: body.user.id,
      decision: 'deny',
      ...(comment && { comment }),
    });
    if (outcome.ok) {
      log.info({ requestId, approverId: body.user.id }, 'request denied');
      return;
    }
    await client.chat.postMessage({ channel: body.user.id, text: refusalText(outcome) });
  });
}
