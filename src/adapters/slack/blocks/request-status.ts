import { type AccessRequest, type EndedRequest, type FailedRequest, fieldsOf, SYSTEM } from '../../../domain/access-request.js';
import { type ChangeOutcome, changeOf, changeOutcomeOf } from '../../../domain/change-record.js';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';
import { grantFailureText } from './grant-failure.js';
import { escapeMrkdwn, mention, slackDate } from './mrkdwn.js';

/** Who approved: the approvers, or what approved the request without them (PagerDuty on-call, break-glass). */
const approvers = (request: AccessRequest): string => {
  const { autoApprovedBy: auto, breakGlass } = fieldsOf(request);
  if (breakGlass && request.approvals.length === 0) return `break-glass (${mention(request.requesterId)}, no approver)`;
  return auto !== undefined ? escapeMrkdwn(auto) : request.approvals.map((approval) => mention(approval.approverId)).join(', ');
};

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
      const extended = request.extendedMinutes ? ` — extended by ${formatDuration(request.extendedMinutes)}` : '';
      return `:unlock: *Active until ${slackDate(request.endsAt)}* — approved by ${approvers(request)}${extended}${ending}`;
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
  return `the ${formatDuration(request.durationMinutes + (request.extendedMinutes ?? 0))} ran out`;
}

/** The words of a change's close code, as ServiceNow labels them (close_code Successful / Unsuccessful …). */
const CLOSED_AS: Readonly<Record<ChangeOutcome, string>> = {
  expired: 'successful (the access expired)',
  released: 'successful (the requester ended the access early)',
  revoked: 'successful with issues (the access was revoked)',
  failed: 'unsuccessful (the access could not be granted)',
};

/** The change record as the card shows it: its number and where it stands. */
export function changeField(request: AccessRequest): string | undefined {
  const change = changeOf(request);
  if (!change) return undefined;
  const state = change.state.charAt(0).toUpperCase() + change.state.slice(1);
  return `*ServiceNow change*\n${escapeMrkdwn(change.number)} · ${state}`;
}

/** The thread's line once the change is closed (or was canceled in ServiceNow). */
export function changeClosedLine(request: AccessRequest): string | undefined {
  const change = changeOf(request);
  if (change?.state === 'canceled') {
    return `ServiceNow change *${escapeMrkdwn(change.number)}* was canceled in ServiceNow; the bot no longer updates it.`;
  }
  const outcome = changeOutcomeOf(request);
  if (change?.state !== 'closed' || !outcome) return undefined;
  return `ServiceNow change *${escapeMrkdwn(change.number)}* is closed: ${CLOSED_AS[outcome]}.`;
}

/**
 * Why the change record is behind, for people: never ServiceNow's own text, which stays in the log and the audit
 * trail. A grant waiting for a required change says so; otherwise access goes on as it is.
 */
export function changeTroubleLine(request: AccessRequest, target: Target | undefined): string | undefined {
  const change = changeOf(request);
  const what = change
    ? `ServiceNow change *${escapeMrkdwn(change.number)}* could not be updated yet`
    : 'The ServiceNow change record could not be opened yet';
  const lookUp = "An admin finds ServiceNow's answer in the bot's log by the request's reference.";
  if (request.state === 'approved' && target?.changeRecord?.required && !change) {
    return `${what}, and this target grants access only once its change exists: the grant waits while the bot keeps trying. ${lookUp}`;
  }
  if (request.state === 'approved' || request.state === 'active' || request.state === 'ended' || request.state === 'failed') {
    const access = request.state === 'active' || request.state === 'approved' ? ' Access is not held up by it.' : '';
    return `${what}; the bot keeps trying.${access} ${lookUp}`;
  }
  return undefined;
}
