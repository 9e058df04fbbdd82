// What the use cases need from the outside world. Adapters implement these; tests give hand-written fakes.

import type { AccessRequest, JobKind, RequestState, Transition } from '../domain/access-request.js';
import type { ApproverRoster, GroupProblem } from '../domain/approvers.js';
import type { ChangeOutcome, RecordedChange } from '../domain/change-record.js';
import type { NewsKind } from '../domain/news.js';
import type { GrantSpec } from '../domain/policy.js';

export interface Clock {
  now(): number;
}

export interface IdSource {
  requestId(): string;
}

export interface StoredJob {
  id: number;
  kind: JobKind;
  requestId: string;
  event: NewsKind | null;
  state: 'queued' | 'running' | 'done' | 'dead';
  attempts: number;
  runAt: number;
  lastError: string | null;
  /** Claimed after another holder's lease ran out: that holder stopped (a crash, a replica gone). */
  takenOver: boolean;
  /**
   * Its request as the claim read it, in the same statement, where a store does (PostgreSQL, where reading it
   * apart is one more round trip on the way from an approval to Graph); a job without it reads it itself.
   */
  request?: AccessRequest;
}

/**
 * A claimed job as its claimer holds it. The attempt number fences the lease: once it ran out and another pass
 * claimed the job again, the first claimer can no longer complete, retry or bury it.
 */
export type JobLease = Pick<StoredJob, 'id' | 'attempts'>;

export interface AuditRecord {
  seq: number;
  at: number;
  requestId: string | null;
  actor: string;
  action: string;
  stateBefore: string | null;
  stateAfter: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * Requests and everything written with them. Asynchronous, so that one port serves SQLite (one process) and
 * PostgreSQL (several replicas). Every write is one transaction holding the state change, its audit event and
 * its jobs.
 */
export interface RequestRepository {
  create(opened: Transition, now: number): Promise<void>;
  find(id: string): Promise<AccessRequest | undefined>;
  /**
   * Compare-and-set on `previous.version`: stores `change` with its audit event and jobs, or, when the stored
   * request is no longer the one the change was decided on, writes nothing and returns false.
   */
  apply(previous: AccessRequest, change: Transition, now: number, options?: { completeJob?: JobLease }): Promise<boolean>;
  /**
   * Changes that time alone makes (see `isTimedChange`), each a compare-and-set of its own as `apply`, all at
   * once: on PostgreSQL one round trip for the lot, their events stored, and so chained, in the order given.
   * Whether each was written, in that order.
   */
  applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]>;
  listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]>;
  listByState(state: RequestState, limit: number): Promise<AccessRequest[]>;
  countByState(state: RequestState): Promise<number>;
  /**
   * The bot's other requests that hold the same membership (group and person) as a grant being ended:
   * active and not ending, or approved with their grant call already sent (see `coversSameMembership`).
   */
  listCovering(groupId: string, principalId: string, excludeRequestId: string): Promise<AccessRequest[]>;
  /**
   * The bot's other requests that hold, may hold or are removing the same membership, for a grant that must not
   * take a membership being removed for its own: active ones (ending or not), approved ones with their grant call
   * sent, and ended ones that kept the membership for `excludeRequestId` or ended at or after `endedSince`
   * (see `holderRole`).
   */
  listHolders(groupId: string, principalId: string, excludeRequestId: string, endedSince: number): Promise<AccessRequest[]>;
  /**
   * Failed requests whose grant call was sent and whose cleanup never ran (none was ordered, or it was lost):
   * what the call may have created is still to be looked for. Oldest first.
   */
  listUncleaned(limit: number): Promise<AccessRequest[]>;
  /** Grants that ended at or after `since`, a page at a time in id order (ids after `afterId`), for reconciliation. */
  listEndedSince(since: number, afterId: string, limit: number): Promise<AccessRequest[]>;
  /** Grants active and not ending, a page at a time in id order (ids after `afterId`), for reconciliation. */
  listActiveGrants(afterId: string, limit: number): Promise<AccessRequest[]>;
  /**
   * Requests with a deadline passed at `now`: pending past their timeout, their next reminder or their
   * escalation, active past their end or warning, an unreviewed break-glass past its second alert.
   */
  listDue(deadline: Deadline, now: number, limit: number): Promise<AccessRequest[]>;
  /** Break-glass requests nobody has reviewed yet, in any state, the oldest first. */
  listUnreviewedBreakGlass(limit: number): Promise<AccessRequest[]>;
  /** Active grants with an extension still waiting for the approvers, the one asked for first first. */
  listPendingExtensions(limit: number): Promise<AccessRequest[]>;
  /** The earliest deadline still ahead, for the precise timer. */
  nextDeadline(warningMs: number): Promise<number | undefined>;
}

/** A change and the request it was decided on, to be written with compare-and-set on that request's version. */
export interface DecidedChange {
  previous: AccessRequest;
  change: Transition;
}

export type Deadline =
  | { kind: 'pending_timeout' }
  | { kind: 'expiry' }
  | { kind: 'expiry_warning'; warningMs: number }
  /** An unreviewed break-glass whose alert is due to go out again. */
  | { kind: 'break_glass_realert' }
  /** A pending request whose approvers are due to be reminded. */
  | { kind: 'reminder' }
  /** A pending request whose escalate.users are due to become its approvers. */
  | { kind: 'escalation' };

/**
 * The durable jobs written with each transition. A claimed job is leased to this process; its holder keeps the
 * lease alive with heartbeats, and a lease that runs out (its holder died) is claimed again by anyone.
 */
export interface JobQueue {
  /** Leases up to `limit` due jobs of the given kinds (all kinds when omitted), revocations first. */
  claimDue(now: number, limit: number, leaseMs: number, kinds?: readonly JobKind[]): Promise<StoredJob[]>;
  /** Each returns false, and changes nothing, when the lease is no longer the caller's. */
  complete(lease: JobLease, now: number): Promise<boolean>;
  retry(lease: JobLease, runAt: number, error: string, now: number): Promise<boolean>;
  bury(lease: JobLease, error: string, now: number): Promise<boolean>;
  /**
   * Extends the leases among `leases` that are still this process's by `leaseMs` from now by the store's clock
   * (a store shared by replicas leases by its own clock, not theirs); returns how many.
   */
  heartbeat(leases: readonly JobLease[], now: number, leaseMs: number): Promise<number>;
  /** When the next queued job falls due or the next lease runs out, told in the clock `now` reads from. */
  nextRunAt(now: number): Promise<number | undefined>;
}

/** Why an outside call did not succeed: worth retrying (with the wait the service asked for), or not. */
export type OutsideFailure =
  | { ok: false; kind: 'transient'; message: string; retryAfterMs?: number }
  | { ok: false; kind: 'permanent'; code: string; message: string };

export interface GrantOrder {
  grant: GrantSpec;
  principalId: string;
  durationMinutes: number;
  /** Shown in Entra's audit log next to the assignment. */
  justification: string;
  requestId: string;
  startsAt: number;
}

export type GrantResult = { ok: true; reference?: string; alreadyPresent: boolean } | OutsideFailure;
/** `heldBy`: nothing was removed, because an assignment the bot did not make (this one) holds the membership. */
export type RevokeResult = { ok: true; alreadyAbsent: boolean; heldBy?: string } | OutsideFailure;

/** How to tell the bot's own PIM assignment from anyone else's (an admin's, another tool's, a later one). */
export interface GrantOwnership {
  /** The schedule the grant recorded (`GrantRecord.reference`); unknown after a lost answer. */
  reference?: string;
  /** The request the grant was made for, which the bot's PIM call carries as its ticket. */
  requestId: string;
}
export type PresenceResult = { ok: true; present: boolean } | OutsideFailure;

/** Grants and ends membership of the Entra group behind a target (PIM for Groups or direct membership). */
export interface AccessProvider {
  grant(order: GrantOrder): Promise<GrantResult>;
  /**
   * Ends the membership. With `ownership`, a PIM assignment is removed only when the active one is the bot's
   * own; another that holds the membership is left, and named in `heldBy`. Direct membership has no owner to check.
   */
  revoke(grant: GrantSpec, principalId: string, ownership?: GrantOwnership): Promise<RevokeResult>;
  /**
   * Moves the end Entra keeps for a PIM assignment the bot's grants share, so Entra's own expiry follows the
   * latest of them (direct membership has no end in Entra: nothing to do).
   */
  extend(grant: GrantSpec, principalId: string, endsAt: number, justification: string): Promise<RevokeResult>;
  /** Whether the person holds the membership right now, for reconciliation. */
  isPresent(grant: GrantSpec, principalId: string): Promise<PresenceResult>;
  /** Whether the person has a PIM eligibility for the group (require_eligibility). */
  isEligible(groupId: string, principalId: string): Promise<PresenceResult>;
}

export type UserLookup =
  /** `guest`: an Entra guest account (userType Guest). */
  | { ok: true; principalId: string; userPrincipalName: string; guest: boolean }
  | { ok: false; kind: 'not_found' | 'ambiguous' | 'disabled' | 'invalid_email'; message: string }
  | OutsideFailure;

export type AddressLookup = { ok: true; principalIds: string[] } | { ok: false; kind: 'invalid_email'; message: string } | OutsideFailure;

/** Finds the Entra user behind an email address. */
export interface EntraDirectory {
  findUserByEmail(email: string): Promise<UserLookup>;
  /**
   * Every account that receives mail at `email` in any form, aliases and alternate emails included: whether an
   * address belongs to an account, never whom to grant.
   */
  accountsWithAddress(email: string): Promise<AddressLookup>;
}

/** Where a message the bot posted lives, so it can be updated or threaded under later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** The Slack messages posted about each request (the card, the receipt, news), kept with the request. */
export interface SlackMessageStore {
  /** Every message kept for the request, by kind. */
  findAll(requestId: string): Promise<Map<string, MessageRef>>;
  save(requestId: string, kind: string, ref: MessageRef, now: number): Promise<void>;
}

/**
 * Tells the people involved about a change: the card, its thread, the requester's DM, the Home tabs. `approvers`:
 * the target's approvers as Slack knows them now, for what names them (absent: as the policy lists them).
 */
export interface Notifier {
  notify(request: AccessRequest, news: NewsKind, approvers?: ApproverRoster): Promise<{ ok: true } | OutsideFailure>;
}

/** `guest`: a Slack guest (single- or multi-channel) or a Slack Connect user from another organisation. */
export type EmailLookup = { ok: true; email: string; guest: boolean } | { ok: false; kind: 'no_email'; message: string } | OutsideFailure;

/** The requester's Slack profile, the bridge from a Slack user to an Entra account. */
export interface SlackProfiles {
  emailOf(userId: string): Promise<EmailLookup>;
}

/**
 * A Slack user group's members as Slack lists them now, or why not: `unreadable` for a reason an admin must fix
 * (no such group, a plan without user groups, a token without usergroups:read), which no retry cures.
 */
export type GroupMembersLookup =
  | { ok: true; members: string[] }
  | { ok: false; kind: 'unreadable'; code: GroupProblem; message: string }
  | OutsideFailure;

/** Whether a Slack account can still act: not when it was deleted or deactivated, or Slack does not know it. */
export type AccountLookup = { ok: true; active: boolean } | OutsideFailure;

/** Who a target's approvers are in Slack now: the members of its user groups, and whether a listed person is still there. */
export interface ApproverDirectory {
  membersOf(groupId: string): Promise<GroupMembersLookup>;
  isActive(userId: string): Promise<AccountLookup>;
}

/**
 * What an admin must fix or know of a target's approvers: a user group Slack cannot read (it counts as empty), a
 * listed approver who left Slack (skipped), a waiting request those left cannot approve (its quorum is never
 * lowered).
 */
export type ApproverProblem =
  | { kind: 'group_unreadable'; targetId: string; groupId: string; code: GroupProblem; message: string }
  | { kind: 'approver_departed'; targetId: string; userId: string }
  | { kind: 'quorum_unreachable'; targetId: string; requestId: string; available: number; required: number };

/** Tells the admins and the log; never throws, and never holds up the decision or the message that found it. */
export interface ApproverProblems {
  report(problem: ApproverProblem): void;
}

/** The person whose Boundary sign-ins end with a grant: matched by Entra object id, else by email. */
export interface BoundaryPerson {
  principalId: string;
  email: string;
}

export type BoundarySignOutResult =
  | {
      ok: true;
      /** Auth tokens deleted now (tokens already gone are not counted). */
      tokensRevoked: number;
      /** Sessions live when the step began, whether cancelled explicitly or ended with their token. */
      sessionsEnded: number;
      /** Boundary users found behind the person's OIDC accounts. */
      users: number;
      /** Accounts of those users in other auth methods, whose sign-ins keep the stored managed groups. */
      otherAccounts: number;
      /** A second listing found no token and no live session left. */
      verified: true;
    }
  | OutsideFailure;

/** Ends a person's Boundary sign-ins and sessions once their group membership is gone. */
export interface BoundarySignOuts {
  endSignIns(person: BoundaryPerson): Promise<BoundarySignOutResult>;
}

export type { ChangeOutcome, ChangeState } from '../domain/change-record.js';

export interface ChangeOrder {
  /** The standard change template the change is opened from (the target's `change_record.template_id`). */
  templateId: string;
  /** The request id: a retry finds the change opened for it instead of opening another. At most 100 characters. */
  correlationId: string;
  shortDescription: string;
  /** Who asked for what, for how long and why (a standard change keeps its template's own description). */
  description: string;
}

/** A change as ServiceNow answered it: the change the request records. */
export type ChangeRecord = RecordedChange;

/** `alreadyOpen`: an earlier attempt had opened it (a retry after a crash or a lost answer). */
export type ChangeOpening = ({ ok: true; alreadyOpen: boolean } & ChangeRecord) | OutsideFailure;
export type ChangeMove = ({ ok: true } & ChangeRecord) | OutsideFailure;

/**
 * The change record kept for a grant (ServiceNow standard changes): opened at grant, moved to Implement, closed
 * at its end. Every call may be repeated: a change already where the call would put it is a success.
 */
export interface ChangeRecords {
  openChange(order: ChangeOrder): Promise<ChangeOpening>;
  /** Moves the change to Implement; a change already there or past it is left as it is. */
  moveToImplement(sysId: string): Promise<ChangeMove>;
  /** Closes the change, through Review, with a close code and notes naming the outcome. A canceled change is a permanent failure. */
  closeChange(sysId: string, closing: { outcome: ChangeOutcome; notes: string }): Promise<ChangeMove>;
}

/** A person's PagerDuty user, found by the email on their Slack profile; `not_found`/`ambiguous` are never guessed. */
export type OnCallUserLookup =
  | { ok: true; userId: string }
  | { ok: false; kind: 'not_found' | 'ambiguous' | 'invalid_email'; message: string }
  | OutsideFailure;

/** What counts: on call for any of these schedules, or for any of these escalation policies. */
export interface OnCallScope {
  scheduleIds: readonly string[];
  escalationPolicyIds: readonly string[];
}

/** One on-call of the person now. `scheduleId` null: a direct target of the escalation rule, not via a schedule. */
export interface OnCallEntry {
  escalationPolicyId: string;
  escalationLevel: number;
  scheduleId: string | null;
  /** Epoch ms; null: open-ended (a permanent on-call). */
  start: number | null;
  end: number | null;
}

export type OnCallLookup = { ok: true; entries: OnCallEntry[] } | OutsideFailure;

/** Who is on call in PagerDuty (read-only). */
export interface OnCallDirectory {
  findUserByEmail(email: string): Promise<OnCallUserLookup>;
  /** The person's on-calls at this moment within `scope`; none listed in `scope` answers none. */
  onCallNow(userId: string, scope: OnCallScope): Promise<OnCallLookup>;
}

export type IncidentStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface IncidentSummary {
  id: string;
  number: number;
  title: string;
  status: IncidentStatus;
  htmlUrl: string;
}

export type IncidentFound =
  | { ok: true; incident: IncidentSummary }
  | { ok: false; kind: 'not_found' | 'invalid_reference'; message: string }
  | OutsideFailure;

/** Finds a PagerDuty incident by its id (`Q1ABC…`) or its number (`1234`, `#1234`). */
export interface IncidentLookup {
  findIncident(idOrNumber: string): Promise<IncidentFound>;
}
