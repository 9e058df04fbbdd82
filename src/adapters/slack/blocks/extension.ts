// Extending a grant: the Extend form (how much longer, why), and the message in the card's thread that carries
// the approvers' Approve and Deny while the extension waits, updated in place once it is decided.

import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration, minutesToMs } from '../../../domain/duration.js';
import { pendingExtension } from '../../../domain/extension.js';
import type { Target } from '../../../domain/policy.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../../domain/reason.js';
import { ACTION, INPUT, VIEW } from '../ids.js';
import { actions, context, plain, section } from './block-elements.js';
import { clip, escapeMrkdwn, mention, slackDate } from './mrkdwn.js';
import { type Rendered, targetName } from './request-card.js';

// The block that says where the extension stands, as the card's status line does.
const STATUS = 'status';

// The lengths offered, cut to what the policy still allows (which is always offered itself).
const OFFERED_MINUTES = [15, 30, 60, 120, 240, 480];

const option = (minutes: number): PlainTextOption => ({ text: plain(formatDuration(minutes)), value: String(minutes) });

/** The lengths the form offers: the usual ones under the room left, and the room left itself. */
export function extensionChoices(roomMinutes: number): number[] {
  return [...new Set([...OFFERED_MINUTES.filter((minutes) => minutes < roomMinutes), roomMinutes])].filter((minutes) => minutes > 0);
}

export function renderExtendModal(request: AccessRequest, target: Target, roomMinutes: number, endsAt: number): ModalView {
  const choices = extensionChoices(roomMinutes);
  const decided = target.extension?.approval === 'auto' ? 'It is granted at once.' : "The target's approvers decide in the card's thread.";
  const blocks: KnownBlock[] = [
    context(
      `Extending *${escapeMrkdwn(clip(target.name, 200))}*, now until ${slackDate(endsAt)}. Up to ${formatDuration(roomMinutes)} more. ${decided}`,
    ),
    {
      type: 'input',
      block_id: INPUT.extensionMinutes,
      label: plain('How much longer'),
      element: {
        type: 'static_select',
        action_id: INPUT.value,
        options: choices.map(option),
        initial_option: option(choices.includes(60) ? 60 : (choices[0] ?? roomMinutes)),
      },
    },
    {
      type: 'input',
      block_id: INPUT.reason,
      label: plain('Why'),
      hint: plain('What is left to do. Approvers and auditors read this.'),
      element: {
        type: 'plain_text_input',
        action_id: INPUT.value,
        multiline: true,
        min_length: REASON_MIN_LENGTH,
        max_length: REASON_MAX_LENGTH,
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: VIEW.extend,
    title: plain('Extend access'),
    submit: plain('Extend'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ requestId: request.id }),
    blocks,
  };
}

/**
 * The extension in the card's thread: who asks for how much more and why, with Approve and Deny while it waits;
 * what was decided, and the new end, once it is decided.
 */
export function renderExtensionMessage(request: AccessRequest, target: Target | undefined): Rendered | undefined {
  if (request.state !== 'active' && request.state !== 'ended') return undefined;
  const ask = request.extension;
  if (!ask) return undefined;
  const who = mention(request.requesterId);
  const more = formatDuration(ask.minutes);
  const why = `*Reason:* ${escapeMrkdwn(ask.reason)}`;
  const pending = pendingExtension(request);
  if (pending && request.state === 'active') {
    const required = target?.approvers.required ?? request.requiredApprovals;
    const count = required > 1 ? ` — ${pending.approvals.length} of ${required} approvals` : '';
    const until = slackDate(request.endsAt + minutesToMs(pending.minutes));
    return {
      text: `${who} asks to extend access to ${escapeMrkdwn(targetName(target, request))} by ${more}`,
      blocks: [
        section(
          `:stopwatch: ${who} asks to extend access to *${escapeMrkdwn(targetName(target, request))}* by ${more}, until ${until}${count}.`,
          STATUS,
        ),
        section(why),
        actions('extension_decision', [
          { actionId: ACTION.approveExtension, text: 'Approve extension', value: request.id, style: 'primary' },
          { actionId: ACTION.denyExtension, text: 'Deny extension', value: request.id, style: 'danger' },
        ]),
      ],
    };
  }
  const decision = ask.decision;
  if (decision?.result === 'granted') {
    const by =
      ask.approvals.length > 0
        ? `approved by ${ask.approvals.map((given) => mention(given.approverId)).join(', ')}`
        : 'granted at once by the policy';
    return {
      text: `Access for ${who} extended by ${more}`,
      blocks: [
        section(`:stopwatch: Access for ${who} extended by ${more} (${by}), now until ${slackDate(request.endsAt)}.`, STATUS),
        section(why),
      ],
    };
  }
  if (decision?.result === 'denied') {
    const comment = decision.comment ? `: “${escapeMrkdwn(decision.comment)}”` : '';
    return {
      text: `Extension for ${who} denied`,
      blocks: [
        section(`:no_entry: The extension by ${more} for ${who} was denied by ${mention(decision.by)}${comment}.`, STATUS),
        section(why),
      ],
    };
  }
  // Asked while the grant was running; the grant ended before anyone decided.
  return {
    text: `Extension for ${who} not decided`,
    blocks: [section(`:stopwatch: The extension by ${more} for ${who} was not decided before the access ended.`, STATUS), section(why)],
  };
}
