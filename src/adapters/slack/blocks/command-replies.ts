import { LISTED_REQUESTS } from '../../../application/request-views.js';
import type { AccessRequest } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { context, section } from './block-elements.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { targetName } from './request-card.js';
import { statusLine } from './request-status.js';

export function renderHelp(problem?: string) {
  const lines = [
    problem ? `${problem} Here is what I understand:` : '*Just-in-time access*',
    '• `/jit` — ask for access: pick a target, say why and for how long. Approvers decide in Slack.',
    '• `/jit <target-id>` — the same, with that target picked.',
    '• `/jit list` — your requests and grants.',
    '• `/jit why <target-id>` — who approves that target, for how long, and whether you may ask for it.',
    '• `/jit help` — this help.',
    'Access starts when it is granted and ends on time by itself; you can end it early from the Home tab or your DM.',
  ];
  return { response_type: 'ephemeral' as const, text: lines.join('\n'), blocks: [section(lines.join('\n'))] };
}

export function renderMyRequests(requests: readonly AccessRequest[], targetOf: (targetId: string) => Target | undefined) {
  if (requests.length === 0)
    return { response_type: 'ephemeral' as const, text: 'You have no requests yet. Type `/jit` to ask for access.' };
  const blocks = [
    section('*Your requests*'),
    ...requests
      .slice(0, LISTED_REQUESTS)
      .map((request) =>
        section(
          `*${escapeMrkdwn(targetName(targetOf(request.targetId), request))}* (${formatDuration(request.durationMinutes)}) — ${statusLine(request)}`,
        ),
      ),
    context(`The ${LISTED_REQUESTS} most recent are shown.`),
  ];
  return { response_type: 'ephemeral' as const, text: `You have ${requests.length} request(s).`, blocks };
}
