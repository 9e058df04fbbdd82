import type { App } from '@slack/bolt';
import { decideRequest } from '../../../../application/decide-request.js';
import { refusalText } from '../../blocks/replies.js';
import { INPUT, VIEW } from '../../ids.js';
import type { ListenerDeps } from '../context.js';

export function register(app: App, deps: ListenerDeps): void {
  app.view(VIEW.denyReason, async ({ ack, body, view, client }) => {
    await ack();
    const { requestId } = JSON.parse(view.private_metadata || '{}') as { requestId?: string };
    const comment = view.state.values[INPUT.denyComment]?.[INPUT.value]?.value?.trim();
    const outcome = await decideRequest(deps, {
      requestId: requestId ?? '',
      actorId: body.user.id,
      decision: 'deny',
      ...(comment && { comment }),
    });
    if (outcome.ok) {
      deps.log.info({ requestId, approverId: body.user.id }, 'request denied');
      deps.wake();
      return;
    }
    await client.chat.postMessage({ channel: body.user.id, text: refusalText(outcome) });
  });
}
