import type { App, ViewStateValue } from '@slack/bolt';
import { requestRefusalText } from '../../blocks/replies.js';
import { HOW, INPUT, VIEW } from '../../ids.js';
import { inTimeForAck } from '../before-ack.js';
import type { ListenerUseCases } from '../use-cases.js';

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
      incident: values[INPUT.incident]?.[INPUT.value]?.value ?? undefined,
      durationMinutes: Number(values[durationBlock]?.[INPUT.value]?.selected_option?.value ?? Number.NaN),
      // Read whatever the submission says: the use case refuses it for a target without break-glass.
      ...(values[INPUT.how]?.[INPUT.value]?.selected_option?.value === HOW.breakGlass && { breakGlass: true }),
    },
    durationBlock,
  };
}

// Slack closes the modal when it gets the ack, and never sends the submission again. So the request is stored
// (identity and eligibility checked) before the ack whenever that fits well inside Slack's 3 seconds — the
// usual case, as /jit warmed the lookups while the person typed — and a refusal is shown in the modal. Only
// when Graph is slow does the ack go first, with a refusal then sent by DM.

export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.view(VIEW.request, async ({ ack, body, view, client }) => {
    const { form, durationBlock } = readRequestForm(view.state.values as Values, body.user.id);
    // Form mistakes come back before any outside call, so they are always in time for the inline answer.
    const pending = useCases.requestAccess(form);
    const inTime = await inTimeForAck(pending);
    if (inTime && !inTime.ok) {
      const field = 'field' in inTime ? inTime.field : 'target';
      const blockId = { duration: durationBlock, reason: INPUT.reason, incident: INPUT.incident, target: INPUT.target }[field];
      const maxMinutes = useCases.targetOf(form.targetId)?.duration.maxMinutes;
      log.info({ requesterId: form.requesterId, targetId: form.targetId, code: inTime.code }, 'request refused');
      await ack({ response_action: 'errors', errors: { [blockId]: requestRefusalText(inTime, maxMinutes) } });
      return;
    }
    await ack();
    const outcome = inTime ?? (await pending);
    if (outcome.ok) {
      log.info({ requestId: outcome.request.id, requesterId: form.requesterId, targetId: form.targetId }, 'request submitted');
      return;
    }
    log.info({ requesterId: form.requesterId, targetId: form.targetId, code: outcome.code }, 'request refused');
    await client.chat.postMessage({
      channel: form.requesterId,
      text: `Your request was not sent to the approvers. ${requestRefusalText(outcome)}`,
    });
  });
}
