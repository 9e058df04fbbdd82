import type { App } from '@slack/bolt';
import { isReasonRefusal } from '../../../../application/extend-access.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH, type ReasonCheck } from '../../../../domain/reason.js';
import { refusalText } from '../../blocks/replies.js';
import { INPUT, VIEW } from '../../ids.js';
import type { ListenerUseCases } from '../use-cases.js';

// The Extend form's submission: a reason that says too little is answered in the form; the ask is stored before
// the ack (a local write only), and a refusal (the grant ended meanwhile, max_total reached) comes by DM.
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.view(VIEW.extend, async ({ ack, body, view, client }) => {
    const { requestId } = JSON.parse(view.private_metadata || '{}') as { requestId?: string };
    const values = view.state.values;
    const reason = values[INPUT.reason]?.[INPUT.value]?.value ?? undefined;
    const minutes = Number(values[INPUT.extensionMinutes]?.[INPUT.value]?.selected_option?.value ?? Number.NaN);
    // The use case checks the reason first, before any read: a reason that says too little is answered in the form.
    const outcome = await useCases.requestExtension({ requestId: requestId ?? '', actorId: body.user.id, minutes, reason });
    if (!outcome.ok && isReasonRefusal(outcome)) {
      await ack({ response_action: 'errors', errors: { [INPUT.reason]: reasonProblem(outcome.code) } });
      return;
    }
    await ack();
    if (outcome.ok) {
      log.info({ requestId, requesterId: body.user.id, minutes }, 'extension asked');
      return;
    }
    log.info({ requestId, requesterId: body.user.id, code: outcome.code }, 'extension refused');
    await client.chat.postMessage({ channel: body.user.id, text: `Your access was not extended. ${refusalText(outcome)}` });
  });
}

function reasonProblem(code: Extract<ReasonCheck, { ok: false }>['code']): string {
  if (code === 'reason_too_long') return `Please keep the reason to ${REASON_MAX_LENGTH} characters or fewer.`;
  return `Please say why you need more time (at least ${REASON_MIN_LENGTH} characters).`;
}
