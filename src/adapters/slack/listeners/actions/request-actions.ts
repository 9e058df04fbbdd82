import type { App, BlockButtonAction } from '@slack/bolt';
import type { ChangeOutcome } from '../../../../application/apply-transition.js';
import { cancelRequest } from '../../../../application/decide-request.js';
import { endAccess } from '../../../../application/end-access.js';
import { refusalText } from '../../blocks/replies.js';
import { ACTION } from '../../ids.js';
import { type ListenerDeps, tell } from '../context.js';

// Cancel (the requester, while pending), End access now (the requester), Revoke (an admin).
export function register(app: App, deps: ListenerDeps): void {
  const handle = (actionId: string, run: (requestId: string, actorId: string) => ChangeOutcome) => {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      // Stored before the ack, so a crash cannot lose a click Slack already called done (see decision-actions).
      const outcome = run(action.value ?? '', body.user.id);
      await ack();
      if (outcome.ok) {
        deps.log.info({ requestId: outcome.request.id, actorId: body.user.id, action: actionId }, 'request changed');
        deps.wake();
        return;
      }
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome));
    });
  };
  handle(ACTION.cancel, (requestId, actorId) => cancelRequest(deps, { requestId, actorId }));
  handle(ACTION.endAccess, (requestId, actorId) => endAccess(deps, { requestId, actorId, reason: 'released' }));
  handle(ACTION.revoke, (requestId, actorId) => endAccess(deps, { requestId, actorId, reason: 'revoked' }));
}
