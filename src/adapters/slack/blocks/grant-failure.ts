// Why a grant failed, as the approvers and the requester read it: a short cause and who should do what next.
// The stored failure is the bot's own sentence or an outside service's answer (Graph's status, code and message,
// as graph-errors.ts writes them); the full text stays in the log and the audit trail, never on a card, a DM or
// the Home tab. Only a code or a rule name is taken from an outside answer, and only when it is a plain word.

import { escapeMrkdwn } from './mrkdwn.js';

const ADMIN_LOG = "an admin can find the full answer in the bot's log by the request's reference";

/** What a Graph error code means for the people on the card, and who should do what about it. */
const GRAPH_CODES = new Map<string, { means: string; todo: string }>([
  [
    'Authorization_RequestDenied',
    {
      means: "the bot's app lacks a permission",
      todo: "an admin should check the app registration's Graph permissions and their admin consent",
    },
  ],
  [
    'Request_ResourceNotFound',
    {
      means: 'no such group or account',
      todo: "an admin should check the group id in the policy and that the person's Entra account still exists",
    },
  ],
  [
    'Request_BadRequest',
    {
      means: 'the group cannot be changed this way',
      todo: "an admin should check that the policy's group takes members this way (dynamic and on-premises-synced groups do not)",
    },
  ],
  [
    'InvalidRoleAssignmentRequest',
    {
      means: 'PIM calls the request invalid',
      todo: "an admin should check that the policy's group is managed by PIM and that the duration suits it",
    },
  ],
]);

function pimRuleFailure(failure: string): string {
  const rules = [...(/\[(.*)\]/.exec(failure)?.[1] ?? '').matchAll(/"(\w+)"/g)].map((match) => escapeMrkdwn(match[1] ?? ''));
  const which = rules.length > 0 ? ` (${rules.join(', ')})` : '';
  return `the group's PIM settings refused the assignment${which} — an admin should check the group's PIM rules for active assignments (maximum duration, MFA, justification).`;
}

/** The bot's own reasons, matched by how they begin. */
const OWN_FAILURES: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^already held\b/, () => 'the person already held this access outside the bot, so the bot left it alone — nothing to do.'],
  [
    /^the grant could not be made within (\d+) minutes\b/,
    ([, minutes]) =>
      `the grant could not be made within ${minutes} minutes of the approval (Microsoft Graph kept failing or did not answer) — ask again; if it keeps happening, ${ADMIN_LOG}.`,
  ],
  [
    /^the target was removed from the policy\b/,
    () => 'the target was removed from the policy before the grant — ask an admin whether it should still be offered.',
  ],
  [
    /^the policy moved this target to another group\b/,
    () =>
      'the policy moved this target to another group while the grant was being made, so the bot did not follow it: it removes what its call may have created in the old group — ask again to get the access the policy gives now.',
  ],
  [
    /^the requester has no Entra account\b/,
    () => 'the requester has no Entra account on record — ask again: the bot looks the account up when a request is made.',
  ],
  [
    /^the requester is no longer eligible\b/,
    () =>
      "the requester is no longer eligible for this group in PIM — the group's owner should make them eligible again before they ask again.",
  ],
  [
    /^Entra refused the bot's app credential\b/,
    () =>
      "Entra refused the bot's own sign-in (its client secret is wrong or expired) — an admin should renew AZURE_CLIENT_SECRET or fix AZURE_CLIENT_ID.",
  ],
];

/** A short, escaped cause and what to do, for any stored failure; never the outside service's own text. */
export function grantFailureText(failure: string | undefined): string {
  const text = failure ?? '';
  for (const [pattern, describe] of OWN_FAILURES) {
    const match = pattern.exec(text);
    if (match) return describe(match);
  }

  const pim = /^PIM answered (\w+)\b/.exec(text);
  if (pim) return `PIM answered ${escapeMrkdwn(pim[1] ?? '')} to the grant — an admin should look the request up in PIM's audit history.`;

  // A refusal as graph-errors.ts stores it: "<status> <code>: <Graph's message>".
  const graph = /^(\d{3}) ([A-Za-z][A-Za-z0-9_]*):/.exec(text);
  if (!graph) return `an outside service refused the grant — ${ADMIN_LOG}.`;
  const [, status = '', code = ''] = graph;
  if (code === 'RoleAssignmentRequestPolicyValidationFailed') return pimRuleFailure(text);
  const known = GRAPH_CODES.get(code);
  const means = known ? `: ${known.means}` : '';
  return `Microsoft Graph refused the grant (${status} ${escapeMrkdwn(code)}${means}) — ${known?.todo ?? ADMIN_LOG}.`;
}
