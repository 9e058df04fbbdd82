import type { App, BlockButtonAction } from '@slack/bolt';
import type { ChangeOutcome } from '../../../../application/apply-transition.js';
import type { GroupsUnavailable } from '../../../../application/approvers-now.js';
import type { RequestChoice } from '../../../../application/use-cases.js';
import { refusalText } from '../../blocks/replies.js';
import { ACTION } from '../../ids.js';
import { inTimeForAck } from '../before-ack.js';
import { tell } from '../tell.js';
import type { ListenerUseCases } from '../use-cases.js';

// Cancel (the requester, while pending), End access now (the requester), Revoke (an admin).
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  const handle = (actionId: string, run: (choice: RequestChoice) => Promise<ChangeOutcome | GroupsUnavailable>) => {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      // Stored before the ack, so a crash cannot lose a click Slack already called done (see decision-actions); a
      // Revoke by an approver may first ask Slack who is in the target's user groups, and when Slack is slow the
      // ack goes first.
      const pending = run({ requestId: action.value ?? '', actorId: body.user.id });
      const inTime = await inTimeForAck(pending);
      await ack();
      const outcome = inTime ?? (await pending);
      if (outcome.ok) {
        log.info({ requestId: outcome.request.id, actorId: body.user.id, action: actionId }, 'request changed');
        return;
      }
      await tell(client, { userId: body.user.id, channelId: body.channel?.id }, refusalText(outcome));
    });
  };
  handle(ACTION.cancel, (choice) => useCases.cancel(choice));
  handle(ACTION.endAccess, (choice) => useCases.endAccess({ ...choice, reason: 'released' }));
  handle(ACTION.revoke, (choice) => useCases.endAccess({ ...choice, reason: 'revoked' }));
}
