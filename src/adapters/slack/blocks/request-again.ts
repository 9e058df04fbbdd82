// *Request again* on the requester's messages about a request that is over, and what a click that cannot open
// the form is answered with.

import type { ActionsBlock } from '@slack/types';
import type { RequestAgainOutcome } from '../../../application/request-again.js';
import type { AccessRequest } from '../../../domain/access-request.js';
import { mayAskAgainAfter } from '../../../domain/request-again.js';
import { ACTION } from '../ids.js';
import { actions } from './block-elements.js';
import { escapeMrkdwn } from './mrkdwn.js';

/** The button carries the request id only: the listener looks the request up rather than trusting the click. */
export function requestAgainActions(request: AccessRequest): ActionsBlock[] {
  if (!mayAskAgainAfter(request)) return [];
  return [actions('request_again', [{ actionId: ACTION.requestAgain, text: 'Request again', value: request.id }])];
}

export function requestAgainRefusalText(refusal: Extract<RequestAgainOutcome, { ok: false }>): string {
  switch (refusal.code) {
    case 'unknown_request':
      return 'That request does not exist (any more). Type `/jit` to ask for access.';
    case 'not_the_requester':
      return 'Only the person who made this request can ask for it again.';
    case 'not_over':
      return 'This request is not over yet; there is nothing to ask for again.';
    case 'target_removed':
      return `The target of this request (\`${escapeMrkdwn(refusal.targetId)}\`) is no longer in the policy. Type \`/jit\` to see what you may ask for.`;
    case 'not_a_requester':
      return `You may no longer ask for *${escapeMrkdwn(refusal.target.name)}*; only the people the policy lists for it may. Ask an admin if you think you should.`;
  }
}
