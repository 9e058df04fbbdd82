import type { App, ViewStateValue } from '@slack/bolt';
import { checkForm, requestAccess } from '../../../../application/request-access.js';
import { findTarget } from '../../../../domain/policy.js';
import { requestRefusalText } from '../../blocks/replies.js';
import { INPUT, VIEW } from '../../ids.js';
import type { ListenerDeps } from '../context.js';

type Values = Record<string, Record<string, ViewStateValue>>;

/** The modal's fields, read by block id; the duration block's id names the target it was built for. */
export function readRequestForm(values: Values, requesterId: string) {
  const targetId = values[INPUT.target]?.jit_target?.selected_option?.value ?? '';
  const durationBlock = Object.keys(values).find((blockId) => blockId.startsWith(INPUT.durationPrefix)) ?? '';
  return {
    form: {
      requesterId,
      targetId,
      reason: values[INPUT.reason]?.[INPUT.value]?.value ?? undefined,
      durationMinutes: Number(values[durationBlock]?.[INPUT.value]?.selected_option?.value ?? Number.NaN),
    },
    durationBlock,
  };
}

// Inline errors for what can be checked at once; then identity and eligibility, answered by DM if refused.
export function register(app: App, deps: ListenerDeps): void {
  app.view(VIEW.request, async ({ ack, body, view, client }) => {
    const { form, durationBlock } = readRequestForm(view.state.values as Values, body.user.id);
    const check = checkForm(deps, form);
    if (!check.ok) {
      const blockId = check.field === 'duration' ? durationBlock : check.field === 'reason' ? INPUT.reason : INPUT.target;
      const maxMinutes = findTarget(deps.policy, form.targetId)?.duration.maxMinutes;
      await ack({ response_action: 'errors', errors: { [blockId]: requestRefusalText(check, maxMinutes) } });
      return;
    }
    await ack();
    const outcome = await requestAccess(deps, form);
    if (outcome.ok) {
      deps.log.info({ requestId: outcome.request.id, requesterId: form.requesterId, targetId: form.targetId }, 'request submitted');
      deps.wake();
      return;
    }
    deps.log.info({ requesterId: form.requesterId, targetId: form.targetId, code: outcome.code }, 'request refused');
    await client.chat.postMessage({
      channel: form.requesterId,
      text: `Your request was not sent to the approvers. ${requestRefusalText(outcome)}`,
    });
  });
}
