// The /jit modal: target, reason, duration, and the PagerDuty incident where the target asks for one. Picking
// another target swaps the duration choices (and the incident field) in place.

import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../../domain/duration.js';
import { durationChoices, type Target } from '../../../domain/policy.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../../domain/reason.js';
import type { RequestPrefill } from '../../../domain/request-again.js';
import { ACTION, HOW, INPUT, VIEW } from '../ids.js';
import { context, plain } from './block-elements.js';
import { clip } from './mrkdwn.js';

const option = (text: string, value: string, description?: string): PlainTextOption => ({
  text: plain(clip(text, 75)),
  value,
  ...(description && { description: plain(clip(description, 75)) }),
});

export function durationOption(minutes: number): PlainTextOption {
  return option(formatDuration(minutes), String(minutes));
}

/** `prefill` (Request again) opens the form with an earlier request's reason and duration. */
export function renderRequestModal(targets: readonly Target[], selected: Target, prefill?: RequestPrefill): ModalView {
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: INPUT.target,
      dispatch_action: true,
      label: plain('Target'),
      element: {
        type: 'static_select',
        action_id: ACTION.targetChanged,
        options: targets.slice(0, 100).map((target) => option(target.name, target.id, target.description)),
        initial_option: option(selected.name, selected.id, selected.description),
      },
    },
  ];
  const about = [selected.description, selected.boundary && `Boundary managed group: *${selected.boundary.managedGroup}*`].filter(
    Boolean,
  ) as string[];
  if (about.length > 0) blocks.push(context(...about.map((line) => clip(line, 300))));
  blocks.push(
    {
      type: 'input',
      block_id: INPUT.reason,
      label: plain('Reason'),
      hint: plain('What you will do and why, e.g. the incident or ticket. Approvers and auditors read this.'),
      element: {
        type: 'plain_text_input',
        action_id: INPUT.value,
        multiline: true,
        min_length: REASON_MIN_LENGTH,
        max_length: REASON_MAX_LENGTH,
        ...(prefill && { initial_value: prefill.reason }),
      },
    },
    {
      type: 'input',
      block_id: `${INPUT.durationPrefix}${selected.id}`,
      label: plain('Duration'),
      hint: plain(`At most ${formatDuration(selected.duration.maxMinutes)}. The clock starts when access is granted.`),
      element: {
        type: 'static_select',
        action_id: INPUT.value,
        options: durationChoices(selected).map(durationOption),
        initial_option: durationOption(prefill?.durationMinutes ?? selected.duration.defaultMinutes),
      },
    },
  );
  if (selected.incident) {
    blocks.push({
      type: 'input',
      block_id: INPUT.incident,
      optional: selected.incident === 'optional',
      label: plain(selected.incident === 'required' ? 'PagerDuty incident' : 'PagerDuty incident (optional)'),
      hint: plain('Its id (Q1ABC…) or number. It must be open; approvers see its title.'),
      element: { type: 'plain_text_input', action_id: INPUT.value, max_length: 64, placeholder: plain('e.g. 1234') },
    });
  }
  if (selected.breakGlass) {
    const max = formatDuration(selected.breakGlass.maxMinutes);
    blocks.push({
      type: 'input',
      block_id: INPUT.how,
      label: plain('How'),
      hint: plain(
        `Break-glass is for emergencies: the access is granted at once for at most ${max}, the security channel is alerted, and another approver reviews it afterwards.`,
      ),
      element: {
        type: 'radio_buttons',
        action_id: INPUT.value,
        options: [
          option('Ask the approvers', HOW.approvers),
          option('Emergency access (break-glass)', HOW.breakGlass, `Granted at once for at most ${max}, reviewed afterwards`),
        ],
        initial_option: option('Ask the approvers', HOW.approvers),
      },
    });
  }
  return {
    type: 'modal',
    callback_id: VIEW.request,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ targetId: selected.id }),
    blocks,
  };
}

export function renderDenyModal(requestId: string, targetName: string): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW.denyReason,
    title: plain('Deny request'),
    submit: plain('Deny'),
    close: plain('Back'),
    private_metadata: JSON.stringify({ requestId }),
    blocks: [
      context(`Denying access to *${clip(targetName, 200)}*. The requester sees the reason.`),
      {
        type: 'input',
        block_id: INPUT.denyComment,
        optional: true,
        label: plain('Reason (optional)'),
        element: { type: 'plain_text_input', action_id: INPUT.value, multiline: true, max_length: 500 },
      },
    ],
  };
}
