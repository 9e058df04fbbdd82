// Requests in PostgreSQL, shared by several replicas; the statements and what each write holds are in
// request-statements.ts.

import type { Deadline, DecidedChange, JobLease, RequestRepository } from '../../application/ports.js';
import { checkTimedChanges } from '../../application/timed-changes.js';
import { type AccessRequest, fieldsOf, type RequestFields, type RequestState, type Transition } from '../../domain/access-request.js';
import { auditBody } from '../sql/audit-chain.js';
import { requestRow } from '../sql/request-columns.js';
import type { PostgresClient, PostgresPool } from './database.js';
import { GroupedCalls } from './grouped-calls.js';
import {
  type ApplyManyValues,
  type ApplyValues,
  type AuditValues,
  type DecisionValues,
  type GrantEndValues,
  type GrantValues,
  type Holders,
  type HydratedRow,
  type ManyChangeValues,
  type RecordValues,
  requestOf,
  SQL,
} from './request-statements.js';
import { arraysOf, type Statement } from './statement.js';

export interface RequestRepositoryOptions {
  /**
   * Called after each write that stored a change, whose audit event now waits to be chained: the replica's
   * chainer (`AuditChainer.kick`). Without it, the events wait for a chainer elsewhere.
   */
  onWritten?: () => void;
}

/** One `apply`: the request as the change was decided on, the change, its time and the job it settles. */
interface ApplyCall {
  previous: AccessRequest;
  change: Transition;
  now: number;
  lease: JobLease | undefined;
}

// Reads and writes of single requests made at the same moment go together (grouped-calls.ts): up to two
// statements of each kind on their way at once, each carrying up to 64 calls.
const GROUPING = { parallel: 2, most: 64 };

export class PostgresRequestRepository implements RequestRepository {
  private readonly finds = new GroupedCalls<string, AccessRequest | undefined>((ids) => this.findGroup(ids), GROUPING);
  private readonly holders = new GroupedCalls<Holders, AccessRequest[]>((asked) => this.holdersGroup(asked), GROUPING);
  private readonly applies = new GroupedCalls<ApplyCall, boolean>((calls) => this.applyGroup(calls), {
    ...GROUPING,
    // A request changes at most once in a statement: a second change of it is decided on the version the
    // first replaces, and is refused by its own compare-and-set in the next statement.
    key: (call) => call.previous.id,
  });

  constructor(
    private readonly pool: PostgresPool,
    private readonly options: RequestRepositoryOptions = {},
  ) {}

  async create(opened: Transition, now: number): Promise<void> {
    await this.write(SQL.create, { ...recordValues(opened.request.id, opened, now), ...requestRow(opened.request) });
  }

  find(id: string): Promise<AccessRequest | undefined> {
    return this.finds.call(id);
  }

  apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    return this.applies.call({ previous, change, now, lease: options.completeJob });
  }

  private async findGroup(ids: string[]): Promise<PromiseSettledResult<AccessRequest | undefined>[]> {
    if (ids.length === 1) return Promise.allSettled(ids.map(async (id) => (await this.read(SQL.find, { id }))[0]));
    const found = new Map((await this.read(SQL.findMany, { ids })).map((request) => [request.id, request]));
    return ids.map((id) => ({ status: 'fulfilled', value: found.get(id) }));
  }

  private async applyGroup(calls: ApplyCall[]): Promise<PromiseSettledResult<boolean>[]> {
    if (calls.length > 1) {
      try {
        return (await this.writeMany(calls)).map((value) => ({ status: 'fulfilled', value }));
      } catch {
        // What the database refuses of one change must not fail the others: each is written alone, and the one
        // at fault fails alone. A change the failed statement wrote after all is refused by its compare-and-set.
      }
    }
    return Promise.allSettled(calls.map((call) => this.applyOne(call)));
  }

  /** Writes the changes in one statement (`applyMany`); whether each was written. */
  private async writeMany(calls: readonly ApplyCall[]): Promise<boolean[]> {
    const result = await this.pool.query<{ written: string[] }>(SQL.applyMany.bind(applyManyValues(calls)));
    const written = new Set(result.rows[0]?.written ?? []);
    if (written.size > 0) this.options.onWritten?.();
    return calls.map((call) => written.has(call.previous.id));
  }

  private applyOne({ previous, change, now, lease }: ApplyCall): Promise<boolean> {
    const next = change.request;
    return this.write(SQL.apply, {
      ...recordValues(previous.id, change, now),
      expectedVersion: previous.version,
      expectedState: previous.state,
      leaseId: lease?.id ?? null,
      leaseAttempts: lease?.attempts ?? null,
      ...requestRow(next),
      ...decisionColumns(addedDecisions(fieldsOf(previous), fieldsOf(next))),
      ...grantValues(fieldsOf(previous), fieldsOf(next)),
      ...grantEndValues(fieldsOf(previous), fieldsOf(next), now),
    });
  }

  async applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]> {
    checkTimedChanges(changes);
    if (changes.length === 0) return [];
    return this.writeMany(changes.map(({ previous, change }) => ({ previous, change, now, lease: undefined })));
  }

  listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.byRequester, { requesterId, limit });
  }

  listByState(state: RequestState, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.byState, { state, limit });
  }

  listUncleaned(limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.uncleaned, { limit });
  }

  listEndedSince(since: number, afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.endedSince, { since, afterId, limit });
  }

  listActiveGrants(afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.activeGrants, { afterId, limit });
  }

  listCovering(groupId: string, principalId: string, excludeRequestId: string): Promise<AccessRequest[]> {
    return this.read(SQL.covering, { groupId, principalId, exclude: excludeRequestId });
  }

  listHolders(groupId: string, principalId: string, excludeRequestId: string, endedSince: number): Promise<AccessRequest[]> {
    return this.holders.call({ groupId, principalId, exclude: excludeRequestId, endedSince });
  }

  private async holdersGroup(asked: Holders[]): Promise<PromiseSettledResult<AccessRequest[]>[]> {
    if (asked.length === 1) return Promise.allSettled(asked.map((one) => this.read(SQL.holders, one)));
    const result = await this.pool.query<HydratedRow & { n: string }>(SQL.holdersMany.bind(arraysOf(asked)));
    const held = asked.map((): AccessRequest[] => []);
    for (const row of result.rows) held[Number(row.n) - 1]?.push(requestOf(row));
    return held.map((value) => ({ status: 'fulfilled', value }));
  }

  async countByState(state: RequestState): Promise<number> {
    const result = await this.pool.query<{ n: number }>(SQL.countByState.bind({ state }));
    return result.rows[0]?.n ?? 0;
  }

  listDue(deadline: Deadline, now: number, limit: number): Promise<AccessRequest[]> {
    switch (deadline.kind) {
      case 'pending_timeout':
        return this.read(SQL.pendingDue, { now, limit });
      case 'expiry':
        return this.read(SQL.expiryDue, { now, limit });
      case 'expiry_warning':
        return this.read(SQL.warningDue, { endsBy: now + deadline.warningMs, limit });
      case 'break_glass_realert':
        return this.read(SQL.realertDue, { now, limit });
      case 'reminder':
        return this.read(SQL.reminderDue, { now, limit });
      case 'escalation':
        return this.read(SQL.escalationDue, { now, limit });
    }
  }

  listUnreviewedBreakGlass(limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.unreviewed, { limit });
  }

  listPendingExtensions(limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.pendingExtensions, { limit });
  }

  async nextDeadline(warningMs: number): Promise<number | undefined> {
    const result = await this.pool.query<{ at: number | null }>(SQL.nextDeadline.bind({ warningMs }));
    return result.rows[0]?.at ?? undefined;
  }

  private async read<Values>(sql: Statement<Values>, values: Values): Promise<AccessRequest[]> {
    const result = await this.pool.query<HydratedRow>(sql.bind(values));
    return result.rows.map(requestOf);
  }

  private async write<Values>(sql: Statement<Values>, values: Values): Promise<boolean> {
    const result = await this.pool.query<{ written: boolean }>(sql.bind(values));
    const written = result.rows[0]?.written === true;
    if (written) this.options.onWritten?.();
    return written;
  }
}

/**
 * Runs a decision's statements (read the request, apply the change; alone and several at once) once on `client`,
 * changing nothing, so that its connection has them parsed and planned, and the tables they touch described,
 * before a burst of clicks needs them. Every write of `apply` hangs on the request row it locks by id: with every
 * value null it finds no row and writes nothing.
 */
export async function prepareDecision(client: PostgresClient): Promise<void> {
  await client.query(SQL.find.bind({ id: '' }));
  await client.query(SQL.apply.bind(Object.fromEntries(SQL.apply.names.map((name) => [name, null])) as unknown as ApplyValues));
  // The statements of several at once (grouped-calls.ts), with no request: they read and write nothing.
  await client.query(SQL.findMany.bind({ ids: [] }));
  await client.query(SQL.applyMany.bind(Object.fromEntries(SQL.applyMany.names.map((name) => [name, []])) as unknown as ApplyManyValues));
}

function recordValues(requestId: string, change: Transition, now: number): RecordValues {
  const { jobs } = change;
  return {
    requestId,
    now,
    jobKinds: jobs.map((job) => job.kind),
    jobEvents: jobs.map((job) => job.event ?? null),
    ...auditValues(requestId, change, now),
  };
}

function auditValues(requestId: string, change: Transition, now: number): AuditValues {
  const { audit } = change;
  const detail = JSON.stringify(audit.detail);
  const fields = { at: now, requestId, actor: audit.actor, action: audit.action, stateBefore: audit.from, stateAfter: audit.to, detail };
  return { actor: audit.actor, action: audit.action, stateBefore: audit.from, stateAfter: audit.to, detail, body: auditBody(fields) };
}

interface AddedDecision {
  approverId: string;
  kind: 'approve' | 'deny';
  comment: string | null;
  at: number;
}

/** The decisions the change adds: its new approvals, then its denial. */
function addedDecisions(previous: RequestFields, next: RequestFields): AddedDecision[] {
  const added = next.approvals
    .slice(previous.approvals.length)
    .map((approval): AddedDecision => ({ approverId: approval.approverId, kind: 'approve', comment: null, at: approval.at }));
  const denied: AddedDecision[] =
    next.denial && !previous.denial
      ? [{ approverId: next.denial.by, kind: 'deny', comment: next.denial.comment ?? null, at: next.denial.at }]
      : [];
  return [...added, ...denied];
}

/** The decisions as the statements take them, one array per column. */
function decisionColumns(decisions: readonly AddedDecision[]): DecisionValues {
  return {
    approverIds: decisions.map((decision) => decision.approverId),
    decisionKinds: decisions.map((decision) => decision.kind),
    comments: decisions.map((decision) => decision.comment),
    decidedAts: decisions.map((decision) => decision.at),
  };
}

/** The values of `applyMany`: each change as `apply` writes it, and its decisions and jobs numbered by change. */
function applyManyValues(calls: readonly ApplyCall[]): ApplyManyValues {
  const changes = calls.map(({ previous, change, now, lease }): ManyChangeValues => {
    const before = fieldsOf(previous);
    const after = fieldsOf(change.request);
    return {
      requestId: previous.id,
      expectedVersion: previous.version,
      expectedState: previous.state,
      now,
      leaseId: lease?.id ?? null,
      leaseAttempts: lease?.attempts ?? null,
      ...requestRow(change.request),
      ...auditValues(previous.id, change, now),
      ...grantValues(before, after),
      ...grantEndValues(before, after, now),
    };
  });
  const decisions = calls.flatMap(({ previous, change }, index) =>
    addedDecisions(fieldsOf(previous), fieldsOf(change.request)).map((decision) => ({ change: index + 1, ...decision })),
  );
  const jobs = calls.flatMap(({ change }, index) => change.jobs.map((job) => ({ change: index + 1, job })));
  return {
    ...arraysOf(changes),
    decisionChanges: decisions.map((decision) => decision.change),
    ...decisionColumns(decisions),
    jobChanges: jobs.map(({ change }) => change),
    jobKinds: jobs.map(({ job }) => job.kind),
    jobEvents: jobs.map(({ job }) => job.event ?? null),
  };
}

/** The grant the change records, or nulls. */
function grantValues(previous: RequestFields, next: RequestFields): GrantValues {
  const grant = next.grant && !previous.grant ? next.grant : undefined;
  return {
    grantKind: grant?.kind ?? null,
    grantGroupId: grant?.groupId ?? null,
    grantPrincipalId: grant?.principalId ?? null,
    grantReference: grant?.reference ?? null,
    grantedAt: grant ? (next.grantedAt ?? null) : null,
    grantEndsAt: grant ? (next.endsAt ?? null) : null,
    // An extension moves the end of a grant already recorded (a trigger copies it onto the request).
    grantMovedEndsAt: !grant && previous.grant && next.endsAt !== previous.endsAt ? (next.endsAt ?? null) : null,
  };
}

/** When and why the grant ended, if the change ends it, or nulls; then what the end did, if that changed. */
function grantEndValues(previous: RequestFields, next: RequestFields, now: number): GrantEndValues {
  const removalOutcome = next.removal !== previous.removal ? (next.removal ?? null) : null;
  if (next.state !== 'ended' || previous.state === 'ended') return { endedAt: null, endReason: null, removalOutcome };
  return { endedAt: next.endedAt ?? now, endReason: next.endReason ?? null, removalOutcome };
}
