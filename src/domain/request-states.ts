// A request's states, one type each over a shared core, and how a stored request is read back as one of them.
// The transitions between them are in access-request.ts (which re-exports these), ending.ts and the rest.

import type { RecordedChange } from './change-record.js';
import type { GrantKind } from './policy.js';

export const REQUEST_STATES = ['pending', 'approved', 'active', 'ended', 'denied', 'cancelled', 'timed_out', 'failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const END_REASONS = ['expired', 'released', 'revoked'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** `system` stands for the bot itself: the sweeper, the job worker, the timeout. */
export type Actor = string;
export const SYSTEM: Actor = 'system';

export interface Approval {
  approverId: string;
  at: number;
}

/**
 * Every field a stored request may carry, whatever its state: how the stores write and read a request. The
 * lifecycle itself works on `AccessRequest`, one type per state, built from these by `parseRequest`.
 */
export interface RequestFields extends FollowUps {
  id: string;
  requesterId: string;
  /** The requester's Entra object id, resolved from their Slack email when they asked. */
  principalId?: string;
  /** That Entra account's UPN, shown to approvers: the account that will receive the access. */
  principalName?: string;
  /** The requester's Slack profile email, which their Boundary account may carry. */
  email?: string;
  targetId: string;
  reason: string;
  durationMinutes: number;
  requiredApprovals: number;
  state: RequestState;
  /** Bumped by every stored change; the store's compare-and-set key. */
  version: number;
  createdAt: number;
  pendingUntil: number;
  approvals: readonly Approval[];
  /** The PagerDuty incident the requester named, as PagerDuty described it when they asked. */
  incident?: IncidentRef;
  /** What approved the request without its approvers, e.g. "PagerDuty on-call (schedule PSCHED01)". */
  autoApprovedBy?: string;
  denial?: Denial;
  cancelledAt?: number;
  decidedAt?: number;
  grantCall?: GrantCall;
  cleanup?: Cleanup;
  keptBy?: string;
  heldBy?: string;
  removal?: RemovalOutcome;
  signOut?: SignOutRecord;
  grant?: GrantRecord;
  grantedAt?: number;
  endsAt?: number;
  ending?: Ending;
  endedAt?: number;
  endReason?: EndReason;
  failure?: string;
  expiryWarnedAt?: number;
  change?: RecordedChange;
  changeProblem?: string;
  extendedMinutes?: number;
  extension?: ExtensionAsk;
  breakGlass?: BreakGlass;
}

/** A PagerDuty incident, found open when the request was made. */
export interface IncidentRef {
  id: string;
  number: number;
  title: string;
}

/**
 * A request whose requester broke the glass: approved by no one, granted at once, and reviewed afterwards by
 * another approver of the target or an admin. Unreviewed at `realertAt`, the alert goes out again (once).
 */
export interface BreakGlass {
  at: number;
  realertAt?: number;
  review?: { by: Actor; at: number };
}

export interface Denial {
  by: Actor;
  at: number;
  comment?: string;
}

/**
 * The grant call, journaled before it is first sent. An "already exists" answer to a retry of a journaled call
 * is the bot's own earlier call; to a first call it is access the person held before (never removed). The end
 * counts from here, so a crash between the call and its confirmation never lengthens a grant.
 */
export interface GrantCall {
  sentAt: number;
  kind: GrantKind;
  groupId: string;
}

/** For a request that failed after its grant call: whether what the call may have created was removed. */
export interface Cleanup {
  at: number;
  result: CleanupResult;
}

/** An end asked for, by whom and why; the grant stays active until the revoke job confirms it. */
export interface Ending {
  reason: EndReason;
  by: Actor;
  at: number;
}

/**
 * The requester's ask for more time on an active grant, and what became of it. One at a time: the last one is
 * kept (with its decision) so its thread message can be brought up to date; every step is also in the audit trail.
 */
export interface ExtensionAsk {
  minutes: number;
  reason: string;
  askedAt: number;
  /** Approvals given so far, each by a distinct approver. */
  approvals: readonly Approval[];
  /** Absent while the approvers have still to decide. */
  decision?: ExtensionDecision;
}

/** `granted` by the approvers' quorum (`by` the last of them) or at once by the policy (`by` is SYSTEM). */
export interface ExtensionDecision {
  result: 'granted' | 'denied';
  by: Actor;
  at: number;
  comment?: string;
}

/**
 * A request of a target with `remind_after` or `escalate`, while it waits: when its approvers are reminded next
 * (absent: no more reminders), how many reminders went out, when `escalate.users` become approvers of it (absent
 * once they have, or for a target without `escalate`), and when they did. Kept in every state as the record of
 * what happened; only a pending request is reminded or escalated.
 */
interface FollowUps {
  remindAt?: number;
  remindersSent?: number;
  escalateAt?: number;
  escalatedAt?: number;
}

/** What every request has, in every state. */
type RequestCore = FollowUps &
  Pick<
    RequestFields,
    | 'id'
    | 'requesterId'
    | 'principalId'
    | 'principalName'
    | 'email'
    | 'targetId'
    | 'reason'
    | 'durationMinutes'
    | 'requiredApprovals'
    | 'version'
    | 'createdAt'
    | 'pendingUntil'
    | 'approvals'
    | 'incident'
    | 'breakGlass'
  >;

/** Waiting for its approvers. */
export interface PendingRequest extends RequestCore {
  state: 'pending';
}

/** Approved, its grant not yet confirmed: the grant call may be journaled, and may even have landed. */
export interface ApprovedRequest extends RequestCore {
  state: 'approved';
  /** When the quorum was reached (absent only on rows from before it was recorded). */
  decidedAt?: number;
  /** Approved by PagerDuty on-call rather than by its approvers (`approvals` is then empty). */
  autoApprovedBy?: string;
  grantCall?: GrantCall;
  /** The change record of a target with `change_record`, once opened. */
  change?: RecordedChange;
  /** What the bot last failed to do with the change record, while it keeps trying. */
  changeProblem?: string;
}

/** What a confirmed grant always has: what was granted, from when, until when. */
interface GrantFacts {
  decidedAt?: number;
  autoApprovedBy?: string;
  grantCall?: GrantCall;
  grant: GrantRecord;
  grantedAt: number;
  endsAt: number;
  /** When the requester was warned that the grant ends soon (cleared when an extension moves the end). */
  expiryWarnedAt?: number;
  change?: RecordedChange;
  changeProblem?: string;
  /**
   * Minutes added by extensions so far (absent: none). Always `endsAt = grantedAt + durationMinutes +
   * extendedMinutes`: an extension moves the end, the clock never restarts.
   */
  extendedMinutes?: number;
  /** The latest extension asked for; pending while it has no decision. */
  extension?: ExtensionAsk;
}

/** Granted, and not yet ended: `ending` once an end was asked for and the revoke job is under way. */
export interface ActiveRequest extends RequestCore, GrantFacts {
  state: 'active';
  ending?: Ending;
}

/** Ended, and what the end did to the membership. */
export interface EndedRequest extends RequestCore, GrantFacts {
  state: 'ended';
  ending: Ending;
  endedAt: number;
  endReason: EndReason;
  /**
   * What the end did to the membership: removed it, found it already gone, kept it for another grant of the bot
   * (`keptBy`), or left it to an assignment the bot did not make (`heldBy`). Reconciliation removes a membership
   * again only where the bot's own removal was never confirmed.
   */
  removal: RemovalOutcome;
  /** An end that left the membership in place, because this other request of the bot still covers it. */
  keptBy?: string;
  /**
   * An end that left the membership in place, because an assignment the bot did not make holds it (this PIM
   * schedule: an admin's, made in place of the bot's or after it ended).
   */
  heldBy?: string;
  /** After the end (or a later removal): the person's Boundary sign-ins and live sessions ended, checked gone. */
  signOut?: SignOutRecord;
}

/** The grant could not be made; what its call may have left is cleaned up. */
export interface FailedRequest extends RequestCore {
  state: 'failed';
  decidedAt?: number;
  autoApprovedBy?: string;
  failure: string;
  grantCall?: GrantCall;
  change?: RecordedChange;
  changeProblem?: string;
  cleanup?: Cleanup;
  keptBy?: string;
  heldBy?: string;
  signOut?: SignOutRecord;
}

export interface DeniedRequest extends RequestCore {
  state: 'denied';
  decidedAt?: number;
  denial: Denial;
}

export interface CancelledRequest extends RequestCore {
  state: 'cancelled';
  cancelledAt: number;
}

export interface TimedOutRequest extends RequestCore {
  state: 'timed_out';
  decidedAt?: number;
}

/** A request, one type per state of its lifecycle. */
export type AccessRequest =
  | PendingRequest
  | ApprovedRequest
  | ActiveRequest
  | EndedRequest
  | FailedRequest
  | DeniedRequest
  | CancelledRequest
  | TimedOutRequest;

/** A request in state `S`. */
export type RequestIn<S extends RequestState> = Extract<AccessRequest, { state: S }>;

/** A request seen as all the fields any state may carry, for code that reads every state alike (the stores). */
export function fieldsOf(request: AccessRequest): RequestFields {
  return request;
}

/** A stored request that breaks its state's rules: a corrupt row, never something a transition wrote. */
export class CorruptRequest extends Error {}

/**
 * The request its stored fields describe, checked against its state: a state's required field missing is a
 * corrupt row. An end stored before ends recorded what they did reads as its `keptBy` and `heldBy` say (an end
 * was stored only once Entra confirmed it, or kept or held it).
 */
export function parseRequest(fields: RequestFields): AccessRequest {
  const need = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new CorruptRequest(`request ${fields.id} is stored as ${fields.state} without ${name}`);
    return value;
  };
  const { state } = fields;
  switch (state) {
    case 'pending':
      return { ...fields, state };
    case 'approved':
    case 'timed_out':
      return { ...fields, state };
    case 'denied':
      return { ...fields, state, denial: need(fields.denial, 'its denial') };
    case 'cancelled':
      return { ...fields, state, cancelledAt: need(fields.cancelledAt, 'its cancel time') };
    case 'failed':
      return { ...fields, state, failure: need(fields.failure, 'its failure') };
    case 'active':
    case 'ended': {
      const granted = {
        ...fields,
        grant: need(fields.grant, 'its grant'),
        grantedAt: need(fields.grantedAt, 'its grant time'),
        endsAt: need(fields.endsAt, 'its end time'),
      };
      if (state === 'active') return { ...granted, state };
      const removal = fields.removal ?? (fields.heldBy ? 'held' : fields.keptBy ? 'kept' : 'removed');
      return {
        ...granted,
        state,
        ending: need(fields.ending, 'the end asked for'),
        endedAt: need(fields.endedAt, 'its end'),
        endReason: need(fields.endReason, 'its end reason'),
        removal,
      };
    }
  }
}

/**
 * removed / absent: the bot took away what its call may have created (or found nothing); covered: another active
 * grant of the bot holds the same membership; standing: the person held it before, so nothing was the bot's.
 */
export interface SignOutRecord {
  at: number;
  tokensRevoked: number;
  sessionsEnded: number;
  /** Accounts of the same Boundary users outside the OIDC auth method: their sign-ins keep the stored groups. */
  otherAccounts: number;
}

export type CleanupResult = 'removed' | 'absent' | 'covered' | 'standing';

/** What an end found and did: `kept` for another grant of the bot, `held` by an assignment the bot did not make. */
export const REMOVAL_OUTCOMES = ['removed', 'absent', 'kept', 'held'] as const;
export type RemovalOutcome = (typeof REMOVAL_OUTCOMES)[number];

/** A request whose grant Entra confirmed (active, or ended since): what was granted, from when, until when. */
export type GrantedRequest = ActiveRequest | EndedRequest;

export function isGranted(request: AccessRequest): request is GrantedRequest {
  return request.state === 'active' || request.state === 'ended';
}

export interface GrantRecord {
  kind: GrantKind;
  groupId: string;
  /** The Entra object id of the requester. */
  principalId: string;
  /** The provider's own handle on the grant, e.g. the PIM schedule request id. */
  reference?: string;
}
