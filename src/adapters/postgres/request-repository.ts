// Requests in PostgreSQL, shared by several replicas. Each write is one statement, so one round trip and one
// implicit transaction: the compare-and-set on the request's version, its decisions and grant, its jobs, the
// job it settles, its audit event and the wake-up of the other replicas. Every writer of every replica appends
// to the one audit chain under the lock of its head; taken inside the statement, that lock is held for the
// rest of the statement and its commit, never across a round trip to the bot.

import {
  type AuditRecord,
  checkTimedChanges,
  type Deadline,
  type DecidedChange,
  type JobLease,
  type RequestRepository,
  type StoredJob,
} from '../../application/ports.js';
import type { AccessRequest, RequestState, Transition } from '../../domain/access-request.js';
import { auditBody } from '../sql/audit-chain.js';
import {
  type AuditRow,
  type DecisionRow,
  type GrantRow,
  type JobRow,
  type RequestRow,
  toAuditRecord,
  toRequest,
  toStoredJob,
} from '../sql/rows.js';
import { type PostgresPool, prepared } from './database.js';
import { JOBS_CHANNEL } from './job-notifications.js';

type HydratedRow = { request: RequestRow; decisions: DecisionRow[]; grant_row: GrantRow | null };

// One statement reads a request with its decisions and grant, so all three come from the same snapshot. Rows
// come as JSON, as every prepared statement's do (see `prepared`).
function hydrated(fromWhere: string): string {
  return `SELECT row_to_json(r) AS request,
      COALESCE((SELECT json_agg(d ORDER BY d.decided_at, d.row_order) FROM decisions d WHERE d.request_id = r.id), '[]') AS decisions,
      (SELECT row_to_json(g) FROM grants g WHERE g.request_id = r.id) AS grant_row
    ${fromWhere}`;
}

/**
 * The hash of an audit event, in SQL: the same text and hash as `auditHash`, from the event's seq, the rest of
 * its hashed text from the bot (`auditBody`) and the hash before it.
 */
function chainHash(seq: string, body: string, previousHash: string): string {
  return `encode(sha256(convert_to('[' || (${seq}) || ',' || ${body} || ',"' || ${previousHash} || '"]', 'UTF8')), 'hex')`;
}

/**
 * The end of every write, and its first eleven parameters: the jobs it queues, its audit event chained under
 * the head's lock, and one notification for the other replicas, all only if `source` (the CTE that wrote the
 * request, returning its id) wrote a row. The hash is computed here, from the seq and previous hash read under
 * the lock and the rest of the hashed text from the bot ($10, `auditBody`): the same hash as `auditHash`.
 * $1 request id, $2 now, $3 job kinds, $4 job events, $5–$9 actor, action, states before and after, detail,
 * $10 the hashed body, $11 the notification channel.
 */
function recorded(source: string): string {
  return `queued AS (
    INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at)
    SELECT job.kind, ${source}.id, job.event, $2, $2, $2
    FROM ${source}, unnest($3::text[], $4::text[]) WITH ORDINALITY AS job(kind, event, n) ORDER BY job.n),
  head AS (
    SELECT seq, hash FROM audit_chain_head WHERE EXISTS (SELECT 1 FROM ${source}) FOR UPDATE),
  -- Read through scalar subqueries, so that a missing head (a database never migrated) makes seq null and
  -- fails the whole statement, rather than writing the change without its audit event.
  appended AS (
    INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
    SELECT chain.seq + 1, $2, $1, $5, $6, $7, $8, $9, chain.hash, ${chainHash('chain.seq + 1', '$10', 'chain.hash')}
    FROM ${source}, (SELECT (SELECT seq FROM head) AS seq, (SELECT hash FROM head) AS hash) chain
    RETURNING seq, hash),
  moved AS (
    UPDATE audit_chain_head SET seq = appended.seq, hash = appended.hash FROM appended RETURNING audit_chain_head.seq)
  SELECT EXISTS (SELECT 1 FROM moved) AS written, (SELECT pg_notify($11, '') FROM moved) IS NOT NULL AS woken`;
}

/** The request columns a change writes, with their types, in the order of `requestColumns`. */
const CHANGED_COLUMNS = [
  ['state', 'text'],
  ['version', 'integer'],
  ['decided_at', 'bigint'],
  ['duration_minutes', 'integer'],
  ['required_approvals', 'integer'],
  ['cancelled_at', 'bigint'],
  ['failure', 'text'],
  ['ending_reason', 'text'],
  ['ending_by', 'text'],
  ['ending_at', 'bigint'],
  ['expiry_warned_at', 'bigint'],
  ['grant_sent_at', 'bigint'],
  ['grant_kind', 'text'],
  ['grant_group_id', 'text'],
  ['cleanup_at', 'bigint'],
  ['cleanup_result', 'text'],
  ['kept_by', 'text'],
  ['signed_out_at', 'bigint'],
  ['signed_out_tokens', 'integer'],
  ['signed_out_sessions', 'integer'],
  ['signed_out_other_accounts', 'integer'],
  ['held_by', 'text'],
] as const;

/** The SET list of a change: each changed column from `value(column, index)`. */
function setChanged(value: (column: string, index: number) => string): string {
  return CHANGED_COLUMNS.map(([column], index) => `${column} = ${value(column, index)}`).join(', ');
}

const SQL = {
  create: `WITH created AS (
    INSERT INTO requests (id, requester_id, principal_id, principal_name, requester_email, target_id, reason, duration_minutes,
      required_approvals, state, version, created_at, pending_until, updated_at)
    VALUES ($1, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $2)
    RETURNING id),
  ${recorded('created')}`,
  // The request's row is locked first (by key alone, so that no cached plan ever looks for it any other way),
  // and goes on only while its version is still the one the change was decided on: from then on the settled
  // job and the update both hold or neither does. A job whose lease ran out belongs to another pass now: its
  // outcome must not be recorded twice, so then nothing is written.
  apply: `WITH latest AS MATERIALIZED (
    SELECT id, version, state FROM requests WHERE id = $1 FOR UPDATE),
  locked AS (
    SELECT id FROM latest WHERE version = $12 AND state = $13),
  settled AS (
    UPDATE jobs SET state = 'done', locked_until = NULL, lease_owner = NULL, updated_at = $2
    WHERE id = $14 AND attempts = $15 AND state = 'running' AND EXISTS (SELECT 1 FROM locked)
    RETURNING id),
  changed AS (
    UPDATE requests SET ${setChanged((_, index) => `$${16 + index}`)}, updated_at = $2 -- $16–$37
    WHERE id IN (SELECT id FROM locked) AND ($14::bigint IS NULL OR EXISTS (SELECT 1 FROM settled))
    RETURNING id),
  decided AS (
    INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at)
    SELECT changed.id, decision.approver_id, decision.decision, decision.comment, decision.decided_at
    FROM changed, unnest($38::text[], $39::text[], $40::text[], $41::bigint[]) WITH ORDINALITY
      AS decision(approver_id, decision, comment, decided_at, n)
    ORDER BY decision.n),
  granted AS (
    INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
    SELECT changed.id, $42, $43, $44, $45, $46, $47 FROM changed WHERE $42::text IS NOT NULL),
  grant_ended AS (
    UPDATE grants SET ended_at = COALESCE(ended_at, $48), end_reason = COALESCE(end_reason, $49), removal = COALESCE($50, removal)
    WHERE request_id IN (SELECT id FROM changed) AND ($48::bigint IS NOT NULL AND ended_at IS NULL OR $50::text IS NOT NULL)),
  ${recorded('changed')}`,
  // `apply` for many requests at once (timed changes: no decisions, grant or settled job). The rows are locked
  // in id order, so two of these never wait on each other in a cycle; each is changed only while its version is
  // still the one its change was decided on. The audit events of the changed ones are chained under one lock of
  // the head, in the order given: `chain` numbers them on from the head, each hash computed from the one before
  // it exactly as `recorded` computes one.
  applyAll: `WITH RECURSIVE given AS MATERIALIZED (
    SELECT * FROM unnest($3::text[], $4::integer[], $5::text[], -- then $6–$27, the changed columns
      ${CHANGED_COLUMNS.map(([, type], index) => `$${6 + index}::${type}[]`).join(', ')},
      $28::text[], $29::text[], $30::text[], $31::text[], $32::text[], $33::text[]) WITH ORDINALITY
      AS c(id, was_version, was_state, ${CHANGED_COLUMNS.map(([column]) => column).join(', ')},
        actor, action, state_before, state_after, detail, body, n)),
  latest AS MATERIALIZED (
    SELECT id, version, state FROM requests WHERE id = ANY($3::text[]) ORDER BY id FOR UPDATE),
  changed AS (
    UPDATE requests SET ${setChanged((column) => `c.${column}`)}, updated_at = $1
    FROM given c JOIN latest ON latest.id = c.id AND latest.version = c.was_version AND latest.state = c.was_state
    WHERE requests.id = c.id
    RETURNING requests.id),
  written AS MATERIALIZED (
    SELECT c.*, row_number() OVER (ORDER BY c.n) AS k FROM given c WHERE c.id IN (SELECT id FROM changed)),
  queued AS (
    INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at)
    SELECT job.kind, written.id, job.event, $1, $1, $1
    FROM unnest($34::integer[], $35::text[], $36::text[]) WITH ORDINALITY AS job(change, kind, event, m)
      JOIN written ON written.n = job.change
    ORDER BY job.m),
  head AS (
    SELECT seq, hash FROM audit_chain_head WHERE EXISTS (SELECT 1 FROM written) FOR UPDATE),
  -- As in \`recorded\`, a missing head makes seq null, and the insert fails the whole statement.
  chain (k, seq, prev_hash, hash) AS (
    SELECT 0::bigint, (SELECT seq FROM head), NULL::text, (SELECT hash FROM head)
    UNION ALL
    SELECT written.k, chain.seq + 1, chain.hash, ${chainHash('chain.seq + 1', 'written.body', 'chain.hash')}
    FROM chain JOIN written ON written.k = chain.k + 1),
  appended AS (
    INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
    SELECT chain.seq, $1, written.id, written.actor, written.action, written.state_before, written.state_after,
      written.detail, chain.prev_hash, chain.hash
    FROM chain JOIN written ON written.k = chain.k ORDER BY chain.k
    RETURNING seq, hash),
  moved AS (
    UPDATE audit_chain_head SET seq = last.seq, hash = last.hash
    FROM (SELECT seq, hash FROM appended ORDER BY seq DESC LIMIT 1) last RETURNING audit_chain_head.seq)
  SELECT COALESCE((SELECT json_agg(id) FROM changed), '[]') AS written,
    (SELECT pg_notify($2, '') FROM moved) IS NOT NULL AS woken`,
  find: hydrated('FROM requests r WHERE r.id = $1'),
  byRequester: hydrated('FROM requests r WHERE r.requester_id = $1 ORDER BY r.created_at DESC, r.row_order DESC LIMIT $2'),
  byState: hydrated('FROM requests r WHERE r.state = $1 ORDER BY r.created_at, r.row_order LIMIT $2'),
  countByState: 'SELECT COUNT(*) AS n FROM requests WHERE state = $1',
  uncleaned: hydrated(`FROM requests r
    WHERE r.state = 'failed' AND r.grant_sent_at IS NOT NULL AND r.cleanup_at IS NULL ORDER BY r.created_at, r.row_order LIMIT $1`),
  // The grant is looked up by its key from each request, never joined: right after a burst of ends, before
  // autovacuum analyzes the tables, the planner takes the ended requests and grants for one row each, and joined
  // them by scanning every ended grant for each ended request (1.8 s for 5,000, seconds more per page as they grew).
  endedSince: hydrated(`FROM requests r
    WHERE r.state = 'ended' AND r.id > $2 AND (SELECT g.ended_at FROM grants g WHERE g.request_id = r.id) >= $1
    ORDER BY r.id LIMIT $3`),
  activeGrants: hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.id > $1 ORDER BY r.id LIMIT $2`),
  covering: `${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ended_at IS NULL
        AND lower(g.group_id) = lower($1) AND lower(g.principal_id) = lower($2) AND r.id <> $3`)}
    UNION ALL ${hydrated(`FROM requests r
      WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
        AND lower(r.grant_group_id) = lower($1) AND lower(r.principal_id) = lower($2) AND r.id <> $3`)}`,
  holders: `${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'active' AND g.ended_at IS NULL
        AND lower(g.group_id) = lower($1) AND lower(g.principal_id) = lower($2) AND r.id <> $3`)}
    UNION ALL ${hydrated(`FROM requests r
      WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
        AND lower(r.grant_group_id) = lower($1) AND lower(r.principal_id) = lower($2) AND r.id <> $3`)}
    UNION ALL ${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'ended' AND g.ended_at IS NOT NULL AND (r.kept_by = $3 OR g.ended_at >= $4)
        AND lower(g.group_id) = lower($1) AND lower(g.principal_id) = lower($2) AND r.id <> $3`)}`,
  pendingDue: hydrated(`FROM requests r WHERE r.state = 'pending' AND r.pending_until <= $1 ORDER BY r.pending_until LIMIT $2`),
  // The deadlines read requests.ends_at (the grant's end, copied by a trigger) through the partial indexes of
  // migration 0005: each is a few index steps however many grants are active or ending.
  expiryDue: hydrated(`FROM requests r
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.ends_at <= $1 ORDER BY r.ends_at LIMIT $2`),
  warningDue: hydrated(`FROM requests r
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.expiry_warned_at IS NULL AND r.ends_at <= $1
    ORDER BY r.ends_at LIMIT $2`),
  nextDeadline: `SELECT LEAST(
      (SELECT MIN(pending_until) FROM requests WHERE state = 'pending'),
      (SELECT MIN(ends_at) FROM requests WHERE state = 'active' AND ending_reason IS NULL),
      (SELECT MIN(ends_at) - $1::bigint FROM requests
        WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL)) AS at`,
  auditFor: 'SELECT * FROM audit_events WHERE request_id = $1 ORDER BY seq',
  jobsFor: 'SELECT * FROM jobs WHERE request_id = $1 ORDER BY id',
};

export class PostgresRequestRepository implements RequestRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(opened: Transition, now: number): Promise<void> {
    const request = opened.request;
    await this.write(SQL.create, [
      ...recordValues(request.id, opened, now),
      request.requesterId,
      request.principalId ?? null,
      request.principalName ?? null,
      request.email ?? null,
      request.targetId,
      request.reason,
      request.durationMinutes,
      request.requiredApprovals,
      request.state,
      request.version,
      request.createdAt,
      request.pendingUntil,
    ]);
  }

  async find(id: string): Promise<AccessRequest | undefined> {
    const [request] = await this.read(SQL.find, [id]);
    return request;
  }

  apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    const next = change.request;
    const lease = options.completeJob;
    return this.write(SQL.apply, [
      ...recordValues(previous.id, change, now),
      previous.version,
      previous.state,
      lease?.id ?? null,
      lease?.attempts ?? null,
      ...requestColumns(next),
      ...decisionColumns(previous, next),
      ...grantColumns(previous, next),
      ...grantEndColumns(previous, next, now),
    ]);
  }

  async applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]> {
    checkTimedChanges(changes);
    if (changes.length === 0) return [];
    const column = <T>(of: (change: DecidedChange) => T[]) => {
      const rows = changes.map(of);
      return (rows[0] ?? []).map((_, index) => rows.map((row) => row[index]));
    };
    const jobs = changes.flatMap(({ change }, index) => change.jobs.map((job) => ({ change: index + 1, job })));
    const result = await this.pool.query<{ written: string[] }>(
      prepared(SQL.applyAll, [
        now,
        JOBS_CHANNEL,
        ...column(({ previous }) => [previous.id, previous.version, previous.state]),
        ...column(({ change }) => requestColumns(change.request)),
        ...column(({ previous, change }) => auditColumns(previous.id, change, now)),
        jobs.map(({ change }) => change),
        jobs.map(({ job }) => job.kind),
        jobs.map(({ job }) => job.event ?? null),
      ]),
    );
    const written = new Set(result.rows[0]?.written ?? []);
    return changes.map(({ previous }) => written.has(previous.id));
  }

  listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.byRequester, [requesterId, limit]);
  }

  listByState(state: RequestState, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.byState, [state, limit]);
  }

  listUncleaned(limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.uncleaned, [limit]);
  }

  listEndedSince(since: number, afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.endedSince, [since, afterId, limit]);
  }

  listActiveGrants(afterId: string, limit: number): Promise<AccessRequest[]> {
    return this.read(SQL.activeGrants, [afterId, limit]);
  }

  listCovering(groupId: string, principalId: string, excludeRequestId: string): Promise<AccessRequest[]> {
    return this.read(SQL.covering, [groupId, principalId, excludeRequestId]);
  }

  listHolders(groupId: string, principalId: string, excludeRequestId: string, endedSince: number): Promise<AccessRequest[]> {
    return this.read(SQL.holders, [groupId, principalId, excludeRequestId, endedSince]);
  }

  async countByState(state: RequestState): Promise<number> {
    const result = await this.pool.query<{ n: number }>(prepared(SQL.countByState, [state]));
    return result.rows[0]?.n ?? 0;
  }

  listDue(deadline: Deadline, now: number, limit: number): Promise<AccessRequest[]> {
    switch (deadline.kind) {
      case 'pending_timeout':
        return this.read(SQL.pendingDue, [now, limit]);
      case 'expiry':
        return this.read(SQL.expiryDue, [now, limit]);
      case 'expiry_warning':
        return this.read(SQL.warningDue, [now + deadline.warningMs, limit]);
    }
  }

  async nextDeadline(warningMs: number): Promise<number | undefined> {
    const result = await this.pool.query<{ at: number | null }>(prepared(SQL.nextDeadline, [warningMs]));
    return result.rows[0]?.at ?? undefined;
  }

  async auditTrail(requestId: string): Promise<AuditRecord[]> {
    return (await this.pool.query<AuditRow>(SQL.auditFor, [requestId])).rows.map(toAuditRecord);
  }

  async jobs(requestId: string): Promise<StoredJob[]> {
    return (await this.pool.query<JobRow>(SQL.jobsFor, [requestId])).rows.map((row) => toStoredJob(row));
  }

  private async read(sql: string, values: unknown[]): Promise<AccessRequest[]> {
    const result = await this.pool.query<HydratedRow>(prepared(sql, values));
    return result.rows.map((row) => toRequest(row.request, row.decisions, row.grant_row ?? undefined));
  }

  private async write(text: string, values: unknown[]): Promise<boolean> {
    const result = await this.pool.query<{ written: boolean }>(prepared(text, values));
    return result.rows[0]?.written === true;
  }
}

function recordValues(requestId: string, change: Transition, now: number): unknown[] {
  const { jobs } = change;
  return [
    requestId,
    now,
    jobs.map((job) => job.kind),
    jobs.map((job) => job.event ?? null),
    ...auditColumns(requestId, change, now),
    JOBS_CHANNEL,
  ];
}

/** The change's audit event: actor, action, states before and after, detail, and the hashed body (`auditBody`). */
function auditColumns(requestId: string, change: Transition, now: number): unknown[] {
  const { audit } = change;
  const detail = JSON.stringify(audit.detail);
  const fields = { at: now, requestId, actor: audit.actor, action: audit.action, stateBefore: audit.from, stateAfter: audit.to, detail };
  return [audit.actor, audit.action, audit.from, audit.to, detail, auditBody(fields)];
}

/** The values of CHANGED_COLUMNS, in their order. */
function requestColumns(next: AccessRequest): unknown[] {
  return [
    next.state,
    next.version,
    next.decidedAt ?? null,
    next.durationMinutes,
    next.requiredApprovals,
    next.cancelledAt ?? null,
    next.failure ?? null,
    next.ending?.reason ?? null,
    next.ending?.by ?? null,
    next.ending?.at ?? null,
    next.expiryWarnedAt ?? null,
    next.grantCall?.sentAt ?? null,
    next.grantCall?.kind ?? null,
    next.grantCall?.groupId ?? null,
    next.cleanup?.at ?? null,
    next.cleanup?.result ?? null,
    next.keptBy ?? null,
    next.signOut?.at ?? null,
    next.signOut?.tokensRevoked ?? null,
    next.signOut?.sessionsEnded ?? null,
    next.signOut?.otherAccounts ?? null,
    next.heldBy ?? null,
  ];
}

/** The decisions the change adds, as four arrays (approver, decision, comment, when). */
function decisionColumns(previous: AccessRequest, next: AccessRequest): unknown[] {
  const added = next.approvals
    .slice(previous.approvals.length)
    .map((approval) => [approval.approverId, 'approve', null, approval.at] as const);
  const denied = next.denial && !previous.denial ? [[next.denial.by, 'deny', next.denial.comment ?? null, next.denial.at] as const] : [];
  const decisions = [...added, ...denied];
  return [0, 1, 2, 3].map((column) => decisions.map((decision) => decision[column]));
}

/** The grant the change records, or nulls. */
function grantColumns(previous: AccessRequest, next: AccessRequest): unknown[] {
  const grant = next.grant && !previous.grant ? next.grant : undefined;
  if (!grant) return [null, null, null, null, null, null];
  return [grant.kind, grant.groupId, grant.principalId, grant.reference ?? null, next.grantedAt, next.endsAt];
}

/** When and why the grant ended, if the change ends it, or nulls; then what the end did, if that changed. */
function grantEndColumns(previous: AccessRequest, next: AccessRequest, now: number): unknown[] {
  const removal = next.removal !== previous.removal ? (next.removal ?? null) : null;
  if (next.state !== 'ended' || previous.state === 'ended') return [null, null, removal];
  return [next.endedAt ?? now, next.endReason ?? null, removal];
}
