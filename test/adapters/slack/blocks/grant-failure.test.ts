import { describe, expect, it } from 'vitest';
import { grantFailureText } from '../../../../src/adapters/slack/blocks/grant-failure.js';

const ADMIN_LOG = "an admin can find the full answer in the bot's log by the request's reference";

// Stored failures as the bot writes them: its own sentences, and Graph's refusals as "<status> <code>: <message>".
const CASES: [string, string | undefined, string][] = [
  [
    'a missing Graph permission',
    '403 Authorization_RequestDenied: Insufficient privileges to complete the operation.',
    "Microsoft Graph refused the grant (403 Authorization_RequestDenied: the bot's app lacks a permission) — an admin should check the app registration's Graph permissions and their admin consent.",
  ],
  [
    'a rejected client secret',
    "Entra refused the bot's app credential (AADSTS7000215); an admin must fix AZURE_CLIENT_ID or AZURE_CLIENT_SECRET",
    "Entra refused the bot's own sign-in (its client secret is wrong or expired) — an admin should renew AZURE_CLIENT_SECRET or fix AZURE_CLIENT_ID.",
  ],
  [
    'a PIM policy rule',
    '400 RoleAssignmentRequestPolicyValidationFailed: The following policy rules failed: ["ExpirationRule","MfaRule"]',
    "the group's PIM settings refused the assignment (ExpirationRule, MfaRule) — an admin should check the group's PIM rules for active assignments (maximum duration, MFA, justification).",
  ],
  [
    'a group or account Graph cannot find',
    "404 Request_ResourceNotFound: Resource '9f1c' does not exist or one of its queried reference-property objects are not present.",
    "Microsoft Graph refused the grant (404 Request_ResourceNotFound: no such group or account) — an admin should check the group id in the policy and that the person's Entra account still exists.",
  ],
  [
    'a group that does not take members this way',
    '400 Request_BadRequest: Insufficient privileges to update a dynamic group.',
    "Microsoft Graph refused the grant (400 Request_BadRequest: the group cannot be changed this way) — an admin should check that the policy's group takes members this way (dynamic and on-premises-synced groups do not).",
  ],
  [
    'a request PIM calls invalid',
    "400 InvalidRoleAssignmentRequest: The group 'x' does not exist or cannot be managed by PIM.",
    "Microsoft Graph refused the grant (400 InvalidRoleAssignmentRequest: PIM calls the request invalid) — an admin should check that the policy's group is managed by PIM and that the duration suits it.",
  ],
  [
    'a PIM answer other than Provisioned',
    'PIM answered Denied for request 34e963f6-1111-4111-8111-111111111111',
    "PIM answered Denied to the grant — an admin should look the request up in PIM's audit history.",
  ],
  [
    'a Graph code the bot has no words for',
    '409 Request_MultipleObjectsWithSameKeyValue: Another object with the same value for property proxyAddresses already exists.',
    `Microsoft Graph refused the grant (409 Request_MultipleObjectsWithSameKeyValue) — ${ADMIN_LOG}.`,
  ],
  [
    'an answer that is not Graph’s',
    'socket hang up <https://evil.example|click> & more',
    `an outside service refused the grant — ${ADMIN_LOG}.`,
  ],
  ['no stored failure', undefined, `an outside service refused the grant — ${ADMIN_LOG}.`],
  [
    'access the person already held',
    'already held: the person had this access before the bot granted it, so the bot leaves it alone',
    'the person already held this access outside the bot, so the bot left it alone — nothing to do.',
  ],
  [
    'a grant that ran out of time',
    'the grant could not be made within 15 minutes of the approval (last error: 503 ServiceUnavailable: ECONNRESET 10.0.0.7)',
    `the grant could not be made within 15 minutes of the approval (Microsoft Graph kept failing or did not answer) — ask again; if it keeps happening, ${ADMIN_LOG}.`,
  ],
  [
    'a target the policy moved to another group while the grant was retried',
    'the policy moved this target to another group (or grant kind) after the grant call was sent; the bot removes what that call may have created in group 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b. Ask again to get the access the policy gives now',
    'the policy moved this target to another group while the grant was being made, so the bot did not follow it: it removes what its call may have created in the old group — ask again to get the access the policy gives now.',
  ],
  [
    'a target gone from the policy',
    'the target was removed from the policy before the grant',
    'the target was removed from the policy before the grant — ask an admin whether it should still be offered.',
  ],
  [
    'a requester without an Entra account',
    'the requester has no Entra account on record',
    'the requester has no Entra account on record — ask again: the bot looks the account up when a request is made.',
  ],
  [
    'a requester no longer eligible',
    'the requester is no longer eligible for this group in PIM',
    "the requester is no longer eligible for this group in PIM — the group's owner should make them eligible again before they ask again.",
  ],
];

describe('why a grant failed, as people read it', () => {
  it.each(CASES)('says what to do about %s, in the bot’s words', (_case, failure, shown) => {
    expect(grantFailureText(failure)).toBe(shown);
  });

  it('never shows the outside service’s own message, only a plain-word code or rule name from it', () => {
    for (const [, failure] of CASES) {
      const message = /^\d{3} \w+: (.*)$/.exec(failure ?? '')?.[1];
      if (message) expect(grantFailureText(failure)).not.toContain(message);
    }
    expect(grantFailureText('403 Authorization_RequestDenied: <!channel> fix <https://evil.example|this>')).not.toMatch(/[<>]/);
    expect(grantFailureText('400 RoleAssignmentRequestPolicyValidationFailed: The following policy rules failed: ["<!here>"]')).not.toMatch(
      /[<>]|here/,
    );
  });
});
