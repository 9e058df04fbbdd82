import type {
  AccessProvider,
  AddressLookup,
  BoundaryPerson,
  BoundarySignOutResult,
  BoundarySignOuts,
  Clock,
  Deadline,
  DecidedChange,
  EmailLookup,
  EntraDirectory,
  GrantOrder,
  GrantOwnership,
  GrantResult,
  IdSource,
  JobLease,
  JobQueue,
  Notifier,
  OutsideFailure,
  PresenceResult,
  RequestRepository,
  RevokeResult,
  SlackProfiles,
  StoredJob,
  UserLookup,
} from '../../src/application/ports.js';
import { applyInTurn } from '../../src/application/timed-changes.js';
import {
  type AccessRequest,
  type AuditEntry,
  type JobKind,
  jobPriority,
  type RequestState,
  type Transition,
} from '../../src/domain/access-request.js';
import type { ApproverRoster } from '../../src/domain/approvers.js';
import { pendingExtension } from '../../src/domain/extension.js';
import { coversSameMembership, grantOf } from '../../src/domain/membership.js';
import type { NewsKind } from '../../src/domain/news.js';
import type { GrantSpec } from '../../src/domain/policy.js';

/** In-memory store with the same compare-and-set and job-lease contracts as the SQLite one. */
export class FakeRequestRepository implements RequestRepository, JobQueue {
  readonly requests = new Map<string, AccessRequest>();
  readonly audit: (AuditEntry & { requestId: string; at: number })[] = [];
  readonly jobs: (StoredJob & { lockedUntil: number | null })[] = [];
  /** Runs once just before the next compare-and-set, to simulate another writer getting in first. */
  beforeNextApply: (() => void) | undefined;

  async create(opened: Transition, now: number): Promise<void> {
    this.requests.set(opened.request.id, opened.request);
    this.record(opened, now);
  }

  async find(id: string): Promise<AccessRequest | undefined> {
    return this.requests.get(id);
  }

  async apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    const interloper = this.beforeNextApply;
    this.beforeNextApply = undefined;
    interloper?.();
    const stored = this.requests.get(previous.id);
    if (!stored || stored.version !== previous.version || stored.state !== previous.state) return false;
    if (options.completeJob && !this.settle(options.completeJob, { state: 'done' })) return false;
    this.requests.set(previous.id, change.request);
    this.record(change, now);
    return true;
  }

  applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]> {
    return applyInTurn(this, changes, now);
  }

  async listUncleaned(limit: number): Promise<AccessRequest[]> {
    return [...this.requests.values()]
      .filter((request) => request.state === 'failed' && request.grantCall !== undefined && request.cleanup === undefined)
      .slice(0, limit);
  }

  async listEndedSince(since: number, afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.pageInIdOrder((request) => request.state === 'ended' && (request.endedAt ?? 0) >= since, afterId, limit);
  }

  async listActiveGrants(afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.pageInIdOrder((request) => request.state === 'active' && request.grant !== undefined && !request.ending, afterId, limit);
  }

  private pageInIdOrder(wanted: (request: AccessRequest) => boolean, afterId: string, limit: number): AccessRequest[] {
    return [...this.requests.values()]
      .filter((request) => wanted(request) && request.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  async listCovering(groupId: string, principalId: string, excludeRequestId: string): Promise<AccessRequest[]> {
    return [...this.requests.values()].filter(
      (request) => request.id !== excludeRequestId && coversSameMembership(request, groupId, principalId),
    );
  }

  async listHolders(groupId: string, principalId: string, excludeRequestId: string, endedSince: number): Promise<AccessRequest[]> {
    const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
    return [...this.requests.values()].filter((request) => {
      if (request.id === excludeRequestId || !same(request.principalId ?? grantOf(request)?.principalId, principalId)) return false;
      if (request.state === 'approved') return request.grantCall !== undefined && same(request.grantCall.groupId, groupId);
      if (request.state === 'active') return same(request.grant.groupId, groupId);
      if (request.state !== 'ended' || !same(request.grant.groupId, groupId)) return false;
      return request.keptBy === excludeRequestId || request.endedAt >= endedSince;
    });
  }

  async countByState(state: RequestState): Promise<number> {
    return [...this.requests.values()].filter((request) => request.state === state).length;
  }

  async listDue(deadline: Deadline, now: number, limit: number): Promise<AccessRequest[]> {
    const due = (request: AccessRequest): boolean => {
      if (deadline.kind === 'pending_timeout') return request.state === 'pending' && request.pendingUntil <= now;
      if (deadline.kind === 'break_glass_realert')
        return request.breakGlass?.realertAt !== undefined && request.breakGlass.realertAt <= now;
      if (deadline.kind === 'reminder') return request.state === 'pending' && request.remindAt !== undefined && request.remindAt <= now;
      if (deadline.kind === 'escalation')
        return request.state === 'pending' && request.escalateAt !== undefined && request.escalateAt <= now;
      if (request.state !== 'active' || request.ending || request.endsAt === undefined) return false;
      if (deadline.kind === 'expiry') return request.endsAt <= now;
      return request.expiryWarnedAt === undefined && request.endsAt - deadline.warningMs <= now;
    };
    return [...this.requests.values()].filter(due).slice(0, limit);
  }

  async listUnreviewedBreakGlass(limit: number): Promise<AccessRequest[]> {
    return [...this.requests.values()]
      .filter((request) => request.breakGlass !== undefined && request.breakGlass.review === undefined)
      .sort((a, b) => (a.breakGlass?.at ?? 0) - (b.breakGlass?.at ?? 0))
      .slice(0, limit);
  }

  async listPendingExtensions(limit: number): Promise<AccessRequest[]> {
    return [...this.requests.values()]
      .filter((request) => pendingExtension(request) !== undefined)
      .sort((a, b) => (pendingExtension(a)?.askedAt ?? 0) - (pendingExtension(b)?.askedAt ?? 0))
      .slice(0, limit);
  }

  async nextDeadline(warningMs: number): Promise<number | undefined> {
    const times = [...this.requests.values()].flatMap((request) => this.deadlinesOf(request, warningMs));
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private deadlinesOf(request: AccessRequest, warningMs: number): number[] {
    const realert = request.breakGlass?.realertAt;
    const glass = realert === undefined ? [] : [realert];
    if (request.state === 'pending') {
      const followUps = [request.remindAt, request.escalateAt].filter((at) => at !== undefined);
      return [...glass, request.pendingUntil, ...followUps];
    }
    if (request.state !== 'active' || request.ending || request.endsAt === undefined) return glass;
    return request.expiryWarnedAt === undefined ? [...glass, request.endsAt, request.endsAt - warningMs] : [...glass, request.endsAt];
  }

  async claimDue(now: number, limit: number, leaseMs: number, kinds?: readonly JobKind[]): Promise<StoredJob[]> {
    const due = this.jobs
      .filter((job) => (job.state === 'queued' && job.runAt <= now) || (job.state === 'running' && (job.lockedUntil ?? 0) <= now))
      .filter((job) => kinds === undefined || kinds.includes(job.kind))
      .sort((a, b) => jobPriority(a.kind) - jobPriority(b.kind) || a.runAt - b.runAt || a.id - b.id);
    return due.slice(0, limit).map((job) => {
      const takenOver = job.state === 'running';
      Object.assign(job, { state: 'running', attempts: job.attempts + 1, lockedUntil: now + leaseMs });
      return { ...job, takenOver };
    });
  }

  async complete(lease: JobLease, _now: number): Promise<boolean> {
    return this.settle(lease, { state: 'done' });
  }

  async retry(lease: JobLease, runAt: number, error: string, _now: number): Promise<boolean> {
    return this.settle(lease, { state: 'queued', runAt, lastError: error });
  }

  async bury(lease: JobLease, error: string, _now: number): Promise<boolean> {
    return this.settle(lease, { state: 'dead', lastError: error });
  }

  async heartbeat(leases: readonly JobLease[], now: number, leaseMs: number): Promise<number> {
    const held = leases
      .map((lease) => this.job(lease.id))
      .filter((job, index) => job.state === 'running' && job.attempts === leases[index]?.attempts);
    for (const job of held) job.lockedUntil = now + leaseMs;
    return held.length;
  }

  releaseLeases(now: number): number {
    const running = this.jobs.filter((job) => job.state === 'running');
    for (const job of running) Object.assign(job, { state: 'queued', runAt: now, lockedUntil: null });
    return running.length;
  }

  /** Only the holder of the current lease may settle a job. */
  private settle(lease: JobLease, changes: Partial<StoredJob>): boolean {
    const job = this.job(lease.id);
    if (job.state !== 'running' || job.attempts !== lease.attempts) return false;
    Object.assign(job, changes, { lockedUntil: null });
    return true;
  }

  async nextRunAt(): Promise<number | undefined> {
    const times = this.jobs.flatMap((job) =>
      job.state === 'queued' ? [job.runAt] : job.state === 'running' ? [job.lockedUntil ?? 0] : [],
    );
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private job(id: number) {
    const job = this.jobs.find((candidate) => candidate.id === id);
    if (!job) throw new Error(`no job ${id}`);
    return job;
  }

  async listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    return [...this.requests.values()]
      .filter((request) => request.requesterId === requesterId)
      .reverse()
      .slice(0, limit);
  }

  async listByState(state: RequestState, limit: number): Promise<AccessRequest[]> {
    return [...this.requests.values()].filter((request) => request.state === state).slice(0, limit);
  }

  private record(change: Transition, now: number): void {
    this.audit.push({ ...change.audit, requestId: change.request.id, at: now });
    for (const job of change.jobs) {
      this.jobs.push({
        ...job,
        id: this.jobs.length + 1,
        requestId: change.request.id,
        event: job.event ?? null,
        state: 'queued',
        attempts: 0,
        runAt: now,
        lastError: null,
        takenOver: false,
        lockedUntil: null,
      });
    }
  }
}

export class FakeClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export class SequentialIds implements IdSource {
  private next = 1;
  requestId(): string {
    return `req_${String(this.next++).padStart(4, '0')}`;
  }
}

type AccessCall = {
  op: 'grant' | 'revoke' | 'extend';
  groupId: string;
  principalId: string;
  durationMinutes?: number;
  justification?: string;
  endsAt?: number;
  ownership?: GrantOwnership;
};

/** An AccessProvider that records calls and answers from a script (default: success). */
export class FakeAccessProvider implements AccessProvider {
  readonly calls: AccessCall[] = [];
  grantAnswers: GrantResult[] = [];
  revokeAnswers: RevokeResult[] = [];
  present = new Set<string>();
  /** Memberships held by an assignment the bot did not make: group/principal → that assignment. */
  heldElsewhere = new Map<string, string>();
  eligible = true;

  async grant(order: GrantOrder): Promise<GrantResult> {
    this.calls.push({
      op: 'grant',
      groupId: order.grant.groupId,
      principalId: order.principalId,
      durationMinutes: order.durationMinutes,
      justification: order.justification,
    });
    const answer = this.grantAnswers.shift() ?? { ok: true, reference: `ref-${this.calls.length}`, alreadyPresent: false };
    if (answer.ok) this.present.add(`${order.grant.groupId}/${order.principalId}`);
    return answer;
  }

  async revoke(grant: GrantSpec, principalId: string, ownership?: GrantOwnership): Promise<RevokeResult> {
    this.calls.push({ op: 'revoke', groupId: grant.groupId, principalId, ...(ownership && { ownership }) });
    const heldBy = this.heldElsewhere.get(`${grant.groupId}/${principalId}`);
    if (ownership && heldBy !== undefined) return { ok: true, alreadyAbsent: false, heldBy };
    const answer = this.revokeAnswers.shift() ?? { ok: true, alreadyAbsent: !this.present.has(`${grant.groupId}/${principalId}`) };
    if (answer.ok) this.present.delete(`${grant.groupId}/${principalId}`);
    return answer;
  }

  async extend(grant: GrantSpec, principalId: string, endsAt: number): Promise<RevokeResult> {
    this.calls.push({ op: 'extend', groupId: grant.groupId, principalId, endsAt });
    return { ok: true, alreadyAbsent: false };
  }

  async isPresent(grant: GrantSpec, principalId: string): Promise<PresenceResult> {
    return { ok: true, present: this.present.has(`${grant.groupId}/${principalId}`) };
  }

  async isEligible(): Promise<PresenceResult> {
    return { ok: true, present: this.eligible };
  }
}

export class FakeNotifier implements Notifier {
  readonly told: { requestId: string; event: NewsKind; state: string }[] = [];
  /** The approvers each notification was given, in order. */
  readonly rosters: (ApproverRoster | undefined)[] = [];
  answers: ({ ok: true } | OutsideFailure)[] = [];

  async notify(request: AccessRequest, event: NewsKind, approvers?: ApproverRoster): Promise<{ ok: true } | OutsideFailure> {
    const answer = this.answers.shift() ?? { ok: true };
    this.rosters.push(approvers);
    if (answer.ok) this.told.push({ requestId: request.id, event, state: request.state });
    return answer;
  }
}

/** Slack profiles by user id: an email, and whether the person is a guest or from another organisation. */
export class FakeSlackProfiles implements SlackProfiles {
  readonly people = new Map<string, { email: string; guest?: boolean }>();
  calls = 0;

  async emailOf(userId: string): Promise<EmailLookup> {
    this.calls += 1;
    const person = this.people.get(userId);
    if (!person) return { ok: false, kind: 'no_email', message: `Slack user ${userId} has no email in their profile` };
    return { ok: true, email: person.email, guest: person.guest ?? false };
  }
}

/** Entra accounts by email (several emails may lead to one account, as aliases do); or a failure for all. */
export class FakeEntraDirectory implements EntraDirectory {
  readonly users = new Map<string, { principalId: string; userPrincipalName: string; guest?: boolean }>();
  /** Further addresses of accounts (Exchange aliases, alternate emails), which finding a user by email does not use. */
  readonly aliases = new Map<string, string>();
  failure: OutsideFailure | undefined;

  async accountsWithAddress(email: string): Promise<AddressLookup> {
    if (this.failure) return this.failure;
    const key = email.toLowerCase();
    const ids = [this.users.get(key)?.principalId, this.aliases.get(key)].filter((id): id is string => id !== undefined);
    return { ok: true, principalIds: [...new Set(ids)] };
  }

  async findUserByEmail(email: string): Promise<UserLookup> {
    if (this.failure) return this.failure;
    const user = this.users.get(email.toLowerCase());
    if (!user) return { ok: false, kind: 'not_found', message: `no Entra account has the email ${email}` };
    return { ok: true, principalId: user.principalId, userPrincipalName: user.userPrincipalName, guest: user.guest ?? false };
  }
}

/** Ends Boundary sign-ins as told: the answers in order, then a clean, verified sign-out. */
export class FakeBoundarySignOuts implements BoundarySignOuts {
  readonly people: BoundaryPerson[] = [];
  answers: BoundarySignOutResult[] = [];

  async endSignIns(person: BoundaryPerson): Promise<BoundarySignOutResult> {
    this.people.push(person);
    return this.answers.shift() ?? { ok: true, tokensRevoked: 2, sessionsEnded: 1, users: 1, otherAccounts: 0, verified: true };
  }
}
