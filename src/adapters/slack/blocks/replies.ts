// What a person is told when the bot will not do what they asked, in plain words.

import type { ChangeOutcome } from '../../../application/apply-transition.js';
import type { RequestAccessOutcome } from '../../../application/request-access.js';
import { formatDuration } from '../../../domain/duration.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../../domain/reason.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';

/** Why a click on the card, the Home tab or a DM changed nothing. */
export type ChangeRefusal =
  | Extract<ChangeOutcome, { ok: false }>
  | { ok: false; code: 'target_removed' | 'identity_unconfirmed' | 'approver_groups_unavailable' }
  /** The approver's Slack email is an address (an alias too) of `account`, the Entra account that would receive the access. */
  | { ok: false; code: 'same_entra_account'; account: string }
  /** The approver's Slack email leads to no Entra account, so the bot cannot tell them apart from the requester. */
  | { ok: false; code: 'approver_not_in_entra'; because: 'no_slack_email' | 'email_not_usable' | 'no_entra_account' };

/** Why the bot cannot find an approver in Entra, and who can fix it. */
const UNIDENTIFIED_APPROVER = {
  no_slack_email: ['your Slack profile has no email', 'Ask a workspace admin to add it'],
  email_not_usable: ['your Slack profile email is not a plain address the bot can look up', 'Ask a workspace admin to correct it'],
  no_entra_account: ['no Entra account has your Slack email', 'Ask your identity team to link your Slack email to your Entra account'],
} as const;

const STATE_WORDS: Record<string, string> = {
  approved: 'approved',
  active: 'approved and granted',
  ended: 'approved, granted and has ended',
  denied: 'denied',
  cancelled: 'cancelled by the requester',
  timed_out: 'timed out',
  failed: 'approved, but granting failed',
  pending: 'still waiting',
};

/** `doing`: what the refused click would have done, for the identity refusals Approve and Acknowledge share. */
export function refusalText(refusal: ChangeRefusal, doing = 'approve this request'): string {
  switch (refusal.code) {
    case 'self_approval':
      return 'You cannot decide on your own request; another approver has to.';
    case 'same_entra_account':
      return `You cannot ${doing}: your Slack email is an address of the Entra account that would receive the access (${escapeMrkdwn(refusal.account)}). Another approver has to.`;
    case 'approver_not_in_entra': {
      const [why, fix] = UNIDENTIFIED_APPROVER[refusal.because];
      return `You cannot ${doing}: ${why}, so the bot cannot prove you are not the requester. ${fix}; meanwhile another approver has to.`;
    }
    case 'break_glass_not_offered':
      return 'This target offers no break-glass access; ask the approvers instead.';
    case 'not_break_glass':
      return 'This request was not a break-glass, so there is nothing to acknowledge.';
    case 'self_review':
      return 'You broke the glass yourself, so you cannot acknowledge it; another approver of this target or an admin has to.';
    case 'not_a_reviewer':
      return 'Only another approver of this target or an admin can acknowledge a break-glass.';
    case 'already_reviewed':
      return `Nothing changed: this break-glass was already acknowledged by ${mention(refusal.reviewedBy)} ${slackDate(refusal.reviewedAt)}.`;
    case 'not_an_approver':
      return 'Only the approvers listed for this target in the policy, and the members of its approver groups, can decide on it.';
    case 'not_yet_escalated':
      return `You may decide on this request once it escalates to you, ${slackDate(refusal.at)}, if nobody has decided by then.`;
    case 'already_approved':
      return 'You have already approved this request; it needs another approver too.';
    case 'pending_timeout_passed':
      return 'This request has timed out; ask the requester to make a new one.';
    case 'wrong_state': {
      const words = STATE_WORDS[refusal.state] ?? refusal.state;
      const by = refusal.decidedBy && refusal.decidedAt ? ` by ${mention(refusal.decidedBy)} ${slackDate(refusal.decidedAt)}` : '';
      return `Nothing changed: this request was already ${words}${by}.`;
    }
    case 'not_the_requester':
      return 'Only the person who asked for this access can do that.';
    case 'not_allowed':
      return 'Only admins listed in the policy (and, for access PagerDuty approved, the target’s approvers) can revoke access.';
    case 'already_ending':
      return 'This access is already being ended.';
    case 'not_yet_due':
      return 'That is not due yet.';
    case 'already_journaled':
    case 'nothing_to_clean':
    case 'journal_mismatch':
    case 'already_recorded':
      return 'Nothing changed: the bot is already on it.';
    case 'unknown_request':
      return 'That request does not exist (any more).';
    case 'target_removed':
      return 'The target of this request is no longer in the policy, so nobody can decide on it.';
    case 'identity_unconfirmed':
      return 'The bot could not confirm who you are in Entra just now, so your approval was not counted. Please try again in a minute.';
    case 'conflict':
      return 'Too many changes at once; please try again.';
    case 'approver_groups_unavailable':
      return 'The bot could not check the approver groups just now (Slack did not say who is in them), so nothing changed. Please try again in a minute.';
    case 'extension_not_offered':
      return 'This target does not allow extensions. Request it again with `/jit` when this access ends.';
    case 'extension_pending':
      return 'An extension of this access is already waiting for the approvers.';
    case 'no_extension_pending':
      return 'Nothing changed: no extension of this access is waiting for a decision (any more).';
    case 'grant_over':
      return 'This access has ended (or is ending), so it can no longer be extended. *Request again* with `/jit`.';
    case 'invalid_extension':
      return 'Please pick how much longer you need, and say why.';
    case 'over_max_total':
      return refusal.remainingMinutes > 0
        ? `That would take this access past the most the policy allows in total; at most ${formatDuration(refusal.remainingMinutes)} more can be granted.`
        : 'This access already lasts as long as the policy allows in total. Request it again with `/jit` when it ends.';
  }
}

/** Why a submitted request did not go to the approvers. */
export function requestRefusalText(outcome: Extract<RequestAccessOutcome, { ok: false }>, maxMinutes?: number): string {
  switch (outcome.code) {
    case 'no_slack_email':
      return 'Your Slack profile has no email address, so the bot cannot find your Entra account. Ask a workspace admin to add it, then try again.';
    case 'no_entra_account':
      return `No Entra account matches your Slack email (${escapeMrkdwn(outcome.message)}). Ask your identity team to link them, then try again.`;
    case 'entra_account_ambiguous':
      return `More than one Entra account matches your Slack email, so the bot will not guess (${escapeMrkdwn(outcome.message)}). Ask your identity team to fix it.`;
    case 'entra_account_disabled':
      return `Your Entra account is disabled (${escapeMrkdwn(outcome.message)}).`;
    case 'not_eligible':
      return `You are not eligible for this access in PIM (${escapeMrkdwn(outcome.message)}). Ask the owner of the group to make you eligible first.`;
    case 'email_not_usable':
      return 'Your Slack profile email is not a plain address the bot can look up. Ask a workspace admin to correct it.';
    case 'guest_not_allowed':
      return `This target is not open to guests (${escapeMrkdwn(outcome.message)}). Ask an admin if you need it.`;
    case 'already_held':
      return `You already have standing access to this target (${escapeMrkdwn(outcome.message)}), so there is nothing to request; the bot leaves it alone.`;
    case 'lookup_failed':
      return 'The bot could not check your account just now (Slack or Microsoft Graph did not answer). Please try again in a minute.';
    case 'unknown_target':
      return 'That target is not in the policy (any more).';
    case 'not_a_requester':
      return 'You are not on the list of people who may request this target.';
    case 'already_open':
      return 'You already have a request or access open for this target; see your Home tab. End it first to ask again.';
    case 'reason_missing':
      return 'Please say why you need access.';
    case 'reason_too_short':
      return `Please say a little more about why you need access (at least ${REASON_MIN_LENGTH} characters).`;
    case 'reason_too_long':
      return `Please keep the reason to ${REASON_MAX_LENGTH} characters or fewer.`;
    case 'duration_too_long':
      return maxMinutes
        ? `That is longer than this target allows (${formatDuration(maxMinutes)}).`
        : 'That is longer than this target allows.';
    case 'duration_too_short':
      return 'That is shorter than this target allows.';
    case 'duration_not_offered':
      return 'Please pick one of the offered durations.';
    case 'incident_missing':
      return 'This target needs the PagerDuty incident you are working on: its id (Q1ABC…) or its number.';
    case 'incident_not_found':
      return 'PagerDuty has no such incident. Give its id (Q1ABC…) or its number, as PagerDuty shows it.';
    case 'incident_resolved':
      return `Incident #${outcome.number} is resolved in PagerDuty; name an open incident.`;
    case 'incident_unchecked':
      return outcome.optional
        ? 'PagerDuty did not answer, try again — or leave the incident empty to ask without it.'
        : 'PagerDuty did not answer, try again.';
    case 'break_glass_not_offered':
      return 'This target offers no break-glass access; ask the approvers instead.';
  }
}
