import { type AccessRequest, type EndedRequest, type FailedRequest, SYSTEM } from '../../../domain/access-request.js';
import { formatDuration } from '../../../domain/duration.js';
import { grantFailureText } from './grant-failure.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';

const approvers = (request: AccessRequest): string =>
  request.breakGlass && request.approvals.length === 0
    ? `break-glass (${mention(request.requesterId)}, no approver)`
    : request.approvals.map((approval) => mention(approval.approverId)).join(', ');

/** One line saying where a request stands, as the card, the DM and the Home tab show it. */
export function statusLine(request: AccessRequest): string {
  switch (request.state) {
    case 'pending': {
      const count = request.requiredApprovals > 1 ? ` — ${request.approvals.length} of ${request.requiredApprovals} approvals` : '';
      const who = request.approvals.length > 0 ? ` (${approvers(request)})` : '';
      return `:hourglass_flowing_sand: *Waiting for approval*${count}${who}. Times out ${slackDate(request.pendingUntil)}.`;
    }
    case 'approved':
      return `:white_check_mark: *Approved* by ${approvers(request)} ${slackDate(request.decidedAt ?? request.createdAt)} — granting access…`;
    case 'active': {
      const ending = request.ending ? ` — ending now (${request.ending.reason})…` : '';
      return `:unlock: *Active until ${slackDate(request.endsAt)}* — approved by ${approvers(request)}${ending}`;
    }
    case 'ended':
      return `:lock: *Ended* ${slackDate(request.endedAt)} — ${endedBecause(request)}`;
    case 'denied': {
      const comment = request.denial.comment ? `: “${escapeMrkdwn(request.denial.comment)}”` : '';
      return `:no_entry: *Denied* by ${mention(request.denial.by)} ${slackDate(request.denial.at)}${comment}`;
    }
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled* by the requester ${slackDate(request.cancelledAt)}`;
    case 'timed_out':
      return `:alarm_clock: *Timed out* ${slackDate(request.decidedAt ?? request.pendingUntil)} — nobody decided in time`;
    case 'failed':
      return `:x: *Granting failed*: ${failureForPeople(request)}`;
  }
}

/**
 * Why a grant failed, as people are shown it: a short cause and what to do, with a reference an admin can look
 * up; the outside service's full text stays in the log and the audit trail.
 */
export function failureForPeople(request: FailedRequest): string {
  return `${grantFailureText(request.failure)} Reference for an admin: \`${escapeMrkdwn(request.id)}\`.`;
}

export function endedBecause(request: EndedRequest): string {
  if (request.endReason === 'released') return `ended early by ${mention(request.requesterId)}`;
  if (request.endReason === 'revoked' && request.ending.by === SYSTEM)
    return 'the membership was removed outside the bot (found by reconciliation)';
  if (request.endReason === 'revoked') return `revoked by ${mention(request.ending.by)}`;
  return `the ${formatDuration(request.durationMinutes)} ran out`;
}
