// Requests in PostgreSQL, shared by several replicas; the statements and what each write holds are in
// request-statements.ts.

import type { Deadline, DecidedChange, JobLease, RequestRepository } from '../../application/ports.js';
import { checkTimedChanges } from '../../application/timed-changes.js';
import { type AccessRequest, fieldsOf, type RequestFields, type RequestState, type Transition } from '../../domain/access-request.js';
import { auditBody } from '../sql/audit-chain.js';
import { requestRow } from '../sql/request-columns.js';
import type { PostgresClient, PostgresPool } from './database.js';
import {
  type ApplyValues,
  type AuditValues,
  type DecisionValues,
  type GrantEndValues,
  type GrantValues,
  type HydratedRow,
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

export class PostgresRequestRepository implements RequestRepository {
  constructor(
    private readonly pool: PostgresPool,
    private readonly options: RequestRepositoryOptions = {},
  ) {}

  async create(opened: Transition, now: number): Promise<void> {
    await this.write(SQL.create, { ...recordValues(opened.request.id, opened, now), ...requestRow(opened.request) });
  }

  async find(id: string): Promise<AccessRequest | undefined> {
    const [request] = await this.read(SQL.find, { id });
    return request;
  }

  apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    const next = change.request;
    const lease = options.completeJob;
    return this.write(SQL.apply, {
      ...recordValues(previous.id, change, now),
      expectedVersion: previous.version,
      expectedState: previous.state,
      leaseId: lease?.id ?? null,
      leaseAttempts: lease?.attempts ?? null,
      ...requestRow(next),
      ...decisionValues(fieldsOf(previous), fieldsOf(next)),
      ...grantValues(fieldsOf(previous), fieldsOf(next)),
      ...grantEndValues(fieldsOf(previous), fieldsOf(next), now),
    });
  }

  async applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]> {
    checkTimedChanges(changes);
    if (changes.length === 0) return [];
    const jobs = changes.flatMap(({ change }, index) => change.jobs.map((job) => ({ change: index + 1, job })));
    const result = await this.pool.query<{ written: string[] }>(
      SQL.applyAll.bind({
        ...arraysOf(
          changes.map(({ previous, change }) => ({
            requestId: previous.id,
            expectedVersion: previous.version,
            expectedState: previous.state,
            ...requestRow(change.request),
            ...auditValues(previous.id, change, now),
          })),
        ),
        now,
        jobChanges: jobs.map(({ change }) => change),
        jobKinds: jobs.map(({ job }) => job.kind),
        jobEvents: jobs.map(({ job }) => job.event ?? null),
      }),
    );
    const written = new Set(result.rows[0]?.written ?? []);
    if (written.size > 0) this.options.onWritten?.();
    return changes.map(({ previous }) => written.has(previous.id));
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
    return this.read(SQL.holders, { groupId, principalId, exclude: excludeRequestId, endedSince });
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
 * Runs a decision's statements (read the request, apply the change) once on `client`, changing nothing, so that
 * its connection has them parsed and planned, and the tables they touch described, before a burst of clicks
 * needs them. Every write of `apply` hangs on the request row it locks by id: with every value null it finds no
 * row and writes nothing.
 */
export async function prepareDecision(client: PostgresClient): Promise<void> {
  await client.query(SQL.find.bind({ id: '' }));
  await client.query(SQL.apply.bind(Object.fromEntries(SQL.apply.names.map((name) => [name, null])) as unknown as ApplyValues));
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

/** The decisions the change adds: its new approvals, then its denial. */
function decisionValues(previous: RequestFields, next: RequestFields): DecisionValues {
  const added = next.approvals
    .slice(previous.approvals.length)
    .map((approval) => ({ approverId: approval.approverId, kind: 'approve', comment: null, at: approval.at }));
  const denied =
    next.denial && !previous.denial
      ? [{ approverId: next.denial.by, kind: 'deny', comment: next.denial.comment ?? null, at: next.denial.at }]
      : [];
  const decisions = [...added, ...denied];
  return {
    approverIds: decisions.map((decision) => decision.approverId),
    decisionKinds: decisions.map((decision) => decision.kind),
    comments: decisions.map((decision) => decision.comment),
    decidedAts: decisions.map((decision) => decision.at),
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
