// The statements of the PostgreSQL request store, and the values each names. Each write is one statement, so
// one round trip and one implicit transaction: the compare-and-set on the request's version, its decisions and
// grant, its jobs, the job it settles and its audit event. The event waits in audit_pending, unchained, until a
// chainer links it onto the audit chain (audit-chainer.ts): a write takes no lock but its request's row, so the
// writes of different requests, on any replica, never wait for each other.

import type { AccessRequest, RequestState } from '../../domain/access-request.js';
import { CHANGED_COLUMNS, REQUEST_COLUMNS, type RequestColumnName, type RequestRow } from '../sql/request-columns.js';
import { type DecisionRow, type GrantRow, toRequest } from '../sql/rows.js';
import { type Placeholders, statement } from './statement.js';

/** A change's audit event: actor, action, states before and after, detail, and the hashed body (`auditBody`). */
export type AuditValues = { actor: string; action: string; stateBefore: string | null; stateAfter: string; detail: string; body: string };

/** What every single write records with the request: its jobs and its audit event. */
export type RecordValues = AuditValues & {
  requestId: string;
  now: number;
  jobKinds: string[];
  jobEvents: (string | null)[];
};

/** The compare-and-set key: the version and state the change was decided on. */
export type ExpectedValues = { requestId: string; expectedVersion: number; expectedState: RequestState };

/** The decisions a change adds, one array each (the names are never a column's, which are snake_case). */
export type DecisionValues = { approverIds: string[]; decisionKinds: string[]; comments: (string | null)[]; decidedAts: number[] };

/** The grant a change records, or nulls. */
export type GrantValues = {
  grantKind: string | null;
  grantGroupId: string | null;
  grantPrincipalId: string | null;
  grantReference: string | null;
  grantedAt: number | null;
  grantEndsAt: number | null;
  /** The new end of a grant already recorded (an extension), or null. */
  grantMovedEndsAt: number | null;
};

/** When and why a change ends the grant, or nulls; then what the end did, if that changed. */
export type GrantEndValues = { endedAt: number | null; endReason: string | null; removalOutcome: string | null };

export type ApplyValues = RecordValues &
  ExpectedValues &
  RequestRow & { leaseId: number | null; leaseAttempts: number | null } & DecisionValues &
  GrantValues &
  GrantEndValues;

type Arrays<Values> = { [Name in keyof Values]: Values[Name][] };

/** One change of `applyMany`: everything `apply` writes for one request but its decisions and jobs, and its own time. */
export type ManyChangeValues = ExpectedValues &
  RequestRow &
  AuditValues &
  GrantValues &
  GrantEndValues & { now: number; leaseId: number | null; leaseAttempts: number | null };

/**
 * `applyMany`'s values: one array per name of a single change; then the decisions and the jobs, each with the
 * number of its change (from 1, in the order of the changes).
 */
export type ApplyManyValues = Arrays<ManyChangeValues> &
  DecisionValues & {
    decisionChanges: number[];
    jobChanges: number[];
    jobKinds: string[];
    jobEvents: (string | null)[];
  };

/** A request as one statement reads it: its row, its decisions and its grant (the columns `requestColumns` names). */
export type HydratedRow = { request: RequestRow; decisions: DecisionRow[]; grant_row: GrantRow | null };

export function requestOf(row: HydratedRow): AccessRequest {
  return toRequest(row.request, row.decisions, row.grant_row ?? undefined);
}

/**
 * The columns of HydratedRow for the request row `alias`: the row, its decisions and its grant, read in one
 * statement, so all three come from the same snapshot. Rows come as JSON, as every prepared statement's do (see
 * `prepared`).
 */
export function requestColumns(alias: string): string {
  return `row_to_json(${alias}) AS request,
      COALESCE((SELECT json_agg(d ORDER BY d.decided_at, d.row_order) FROM decisions d WHERE d.request_id = ${alias}.id), '[]') AS decisions,
      (SELECT row_to_json(g) FROM grants g WHERE g.request_id = ${alias}.id) AS grant_row`;
}

function hydrated(fromWhere: string): string {
  return `SELECT ${requestColumns('r')} ${fromWhere}`;
}

/**
 * The end of every single write: the jobs it queues and its audit event, both only if `source` (the CTE that
 * wrote the request, returning its id) wrote a row. The event is stored with the request's new version and the
 * hashed text of its fields as the bot wrote it (`body`), for the chainer to hash.
 */
function recorded(source: string, v: Placeholders<RecordValues & Pick<RequestRow, 'version'>>): string {
  return `queued AS (
    INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at)
    SELECT job.kind, ${source}.id, job.event, ${v.now}, ${v.now}, ${v.now}
    FROM ${source}, unnest(${v.jobKinds}::text[], ${v.jobEvents}::text[]) WITH ORDINALITY AS job(kind, event, n) ORDER BY job.n),
  pended AS (
    INSERT INTO audit_pending (at, request_id, request_version, actor, action, state_before, state_after, detail, body)
    SELECT ${v.now}, ${source}.id, ${v.version}, ${v.actor}, ${v.action}, ${v.stateBefore}, ${v.stateAfter}, ${v.detail}, ${v.body}
    FROM ${source})
  SELECT EXISTS (SELECT 1 FROM ${source}) AS written`;
}

const names = (columns: readonly { name: RequestColumnName }[]) => columns.map(({ name }) => name).join(', ');

/** The SET list of a change: each changed column from `value(column)`. */
function setChanged(value: (column: RequestColumnName) => string): string {
  return CHANGED_COLUMNS.map(({ name }) => `${name} = ${value(name)}`).join(', ');
}

const create = statement<RecordValues & RequestRow>(
  (v) => `WITH created AS (
    INSERT INTO requests (${names(REQUEST_COLUMNS)}, updated_at)
    VALUES (${REQUEST_COLUMNS.map(({ name }) => v[name]).join(', ')}, ${v.now})
    RETURNING id),
  ${recorded('created', v)}`,
);

// The request's row is locked first (by key alone, so that no cached plan ever looks for it any other way),
// and goes on only while its version is still the one the change was decided on: from then on the settled
// job and the update both hold or neither does. A job whose lease ran out belongs to another pass now: its
// outcome must not be recorded twice, so then nothing is written. The lock is FOR NO KEY UPDATE (what the
// update takes anyway, the key never changes): it keeps out other changes of the request, but not the key
// check of a row that refers to it, such as the chainer's insert of an earlier event of the same request.
const apply = statement<ApplyValues>(
  (v) => `WITH latest AS MATERIALIZED (
    SELECT id, version, state FROM requests WHERE id = ${v.requestId} FOR NO KEY UPDATE),
  locked AS (
    SELECT id FROM latest WHERE version = ${v.expectedVersion} AND state = ${v.expectedState}),
  settled AS (
    UPDATE jobs SET state = 'done', locked_until = NULL, lease_owner = NULL, updated_at = ${v.now}
    WHERE id = ${v.leaseId} AND attempts = ${v.leaseAttempts} AND state = 'running' AND EXISTS (SELECT 1 FROM locked)
    RETURNING id),
  changed AS (
    UPDATE requests SET ${setChanged((column) => v[column])}, updated_at = ${v.now}
    WHERE id IN (SELECT id FROM locked) AND (${v.leaseId}::bigint IS NULL OR EXISTS (SELECT 1 FROM settled))
    RETURNING id),
  decided AS (
    INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at)
    SELECT changed.id, decision.approver_id, decision.decision, decision.comment, decision.decided_at
    FROM changed, unnest(${v.approverIds}::text[], ${v.decisionKinds}::text[], ${v.comments}::text[], ${v.decidedAts}::bigint[])
      WITH ORDINALITY AS decision(approver_id, decision, comment, decided_at, n)
    ORDER BY decision.n),
  granted AS (
    INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
    SELECT changed.id, ${v.grantKind}, ${v.grantGroupId}, ${v.grantPrincipalId}, ${v.grantReference}, ${v.grantedAt}, ${v.grantEndsAt}
    FROM changed WHERE ${v.grantKind}::text IS NOT NULL),
  -- The trigger of migration 0005 copies the moved end onto the request, where the deadline indexes read it.
  grant_moved AS (
    UPDATE grants SET ends_at = ${v.grantMovedEndsAt}
    WHERE request_id IN (SELECT id FROM changed) AND ${v.grantMovedEndsAt}::bigint IS NOT NULL AND ended_at IS NULL),
  grant_ended AS (
    UPDATE grants SET ended_at = COALESCE(ended_at, ${v.endedAt}), end_reason = COALESCE(end_reason, ${v.endReason}),
      removal = COALESCE(${v.removalOutcome}, removal)
    WHERE request_id IN (SELECT id FROM changed)
      AND (${v.endedAt}::bigint IS NOT NULL AND ended_at IS NULL OR ${v.removalOutcome}::text IS NOT NULL)),
  ${recorded('changed', v)}`,
);

// `apply` for several requests at once, each as `apply` writes it alone: the writes that several jobs and
// listeners of a replica make at the same moment (fifty Approve clicks), and a sweep's batch of timed changes,
// go as one statement, one round trip and one commit. A request is in it at most once (the caller sees to that).
// The rows are locked in id order, so two of these never wait on each other in a cycle; each change is written
// only while its version is still the one it was decided on, and only with the job it settles, if it settles
// one. The audit events are stored in the order the changes are given, and so chained in that order.
const applyMany = statement<ApplyManyValues>(
  (v) => `WITH given AS MATERIALIZED (
    SELECT * FROM unnest(${v.requestId}::text[], ${v.expectedVersion}::integer[], ${v.expectedState}::text[],
      ${v.now}::bigint[], ${v.leaseId}::bigint[], ${v.leaseAttempts}::integer[],
      ${CHANGED_COLUMNS.map(({ name, type }) => `${v[name]}::${type}[]`).join(', ')},
      ${v.grantKind}::text[], ${v.grantGroupId}::text[], ${v.grantPrincipalId}::text[], ${v.grantReference}::text[],
      ${v.grantedAt}::bigint[], ${v.grantEndsAt}::bigint[], ${v.grantMovedEndsAt}::bigint[],
      ${v.endedAt}::bigint[], ${v.endReason}::text[], ${v.removalOutcome}::text[],
      ${v.actor}::text[], ${v.action}::text[], ${v.stateBefore}::text[], ${v.stateAfter}::text[], ${v.detail}::text[], ${v.body}::text[])
      WITH ORDINALITY AS c(id, was_version, was_state, at, lease_id, lease_attempts, ${names(CHANGED_COLUMNS)},
        new_grant_kind, new_grant_group, new_grant_principal, new_grant_reference, new_granted_at, new_grant_ends_at, moved_ends_at,
        end_at, end_reason, removal_outcome, actor, action, state_before, state_after, detail, body, n)),
  latest AS MATERIALIZED (
    SELECT id, version, state FROM requests WHERE id = ANY(${v.requestId}::text[]) ORDER BY id FOR NO KEY UPDATE),
  locked AS MATERIALIZED (
    SELECT c.* FROM given c JOIN latest ON latest.id = c.id AND latest.version = c.was_version AND latest.state = c.was_state),
  settled AS (
    UPDATE jobs SET state = 'done', locked_until = NULL, lease_owner = NULL, updated_at = c.at
    FROM locked c WHERE jobs.id = c.lease_id AND jobs.attempts = c.lease_attempts AND jobs.state = 'running'
    RETURNING c.id),
  changed AS (
    UPDATE requests SET ${setChanged((column) => `c.${column}`)}, updated_at = c.at
    FROM locked c WHERE requests.id = c.id AND (c.lease_id IS NULL OR c.id IN (SELECT id FROM settled))
    RETURNING requests.id),
  written AS MATERIALIZED (
    SELECT c.* FROM given c WHERE c.id IN (SELECT id FROM changed)),
  decided AS (
    INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at)
    SELECT written.id, decision.approver_id, decision.decision, decision.comment, decision.decided_at
    FROM unnest(${v.decisionChanges}::integer[], ${v.approverIds}::text[], ${v.decisionKinds}::text[], ${v.comments}::text[],
      ${v.decidedAts}::bigint[]) WITH ORDINALITY AS decision(change, approver_id, decision, comment, decided_at, m)
      JOIN written ON written.n = decision.change
    ORDER BY decision.m),
  granted AS (
    INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
    SELECT id, new_grant_kind, new_grant_group, new_grant_principal, new_grant_reference, new_granted_at, new_grant_ends_at
    FROM written WHERE new_grant_kind IS NOT NULL ORDER BY n),
  -- The trigger of migration 0005 copies the moved end onto the request, where the deadline indexes read it.
  grant_moved AS (
    UPDATE grants SET ends_at = w.moved_ends_at
    FROM written w WHERE grants.request_id = w.id AND w.moved_ends_at IS NOT NULL AND grants.ended_at IS NULL),
  grant_ended AS (
    UPDATE grants SET ended_at = COALESCE(grants.ended_at, w.end_at), end_reason = COALESCE(grants.end_reason, w.end_reason),
      removal = COALESCE(w.removal_outcome, grants.removal)
    FROM written w
    WHERE grants.request_id = w.id AND (w.end_at IS NOT NULL AND grants.ended_at IS NULL OR w.removal_outcome IS NOT NULL)),
  queued AS (
    INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at)
    SELECT job.kind, written.id, job.event, written.at, written.at, written.at
    FROM unnest(${v.jobChanges}::integer[], ${v.jobKinds}::text[], ${v.jobEvents}::text[]) WITH ORDINALITY AS job(change, kind, event, m)
      JOIN written ON written.n = job.change
    ORDER BY job.m),
  pended AS (
    INSERT INTO audit_pending (at, request_id, request_version, actor, action, state_before, state_after, detail, body)
    SELECT written.at, written.id, written.version, written.actor, written.action, written.state_before, written.state_after,
      written.detail, written.body
    FROM written ORDER BY written.n)
  SELECT COALESCE((SELECT json_agg(id) FROM changed), '[]') AS written`,
);

type Membership = { groupId: string; principalId: string; exclude: string };
/** What `listHolders` asks: a membership, the request left out, and since when an ended grant still counts. */
export type Holders = Membership & { endedSince: number };

/**
 * The bot's other grants of a membership, other than `exclude`: active, called and not yet confirmed, or ended
 * since `endedSince` or kept for `exclude`; each value an SQL expression.
 */
function holdersOf(v: Placeholders<Holders>): string {
  return `${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'active' AND g.ended_at IS NULL
        AND lower(g.group_id) = lower(${v.groupId}) AND lower(g.principal_id) = lower(${v.principalId}) AND r.id <> ${v.exclude}`)}
    UNION ALL ${hydrated(`FROM requests r
      WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
        AND lower(r.grant_group_id) = lower(${v.groupId}) AND lower(r.principal_id) = lower(${v.principalId}) AND r.id <> ${v.exclude}`)}
    UNION ALL ${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'ended' AND g.ended_at IS NOT NULL AND (r.kept_by = ${v.exclude} OR g.ended_at >= ${v.endedSince})
        AND lower(g.group_id) = lower(${v.groupId}) AND lower(g.principal_id) = lower(${v.principalId}) AND r.id <> ${v.exclude}`)}`;
}

export const SQL = {
  create,
  apply,
  applyMany,
  find: statement<{ id: string }>((v) => hydrated(`FROM requests r WHERE r.id = ${v.id}`)),
  findMany: statement<{ ids: string[] }>((v) => hydrated(`FROM requests r WHERE r.id = ANY(${v.ids}::text[])`)),
  byRequester: statement<{ requesterId: string; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.requester_id = ${v.requesterId} ORDER BY r.created_at DESC, r.row_order DESC LIMIT ${v.limit}`),
  ),
  byState: statement<{ state: RequestState; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.state = ${v.state} ORDER BY r.created_at, r.row_order LIMIT ${v.limit}`),
  ),
  countByState: statement<{ state: RequestState }>((v) => `SELECT COUNT(*) AS n FROM requests WHERE state = ${v.state}`),
  uncleaned: statement<{ limit: number }>((v) =>
    hydrated(`FROM requests r
    WHERE r.state = 'failed' AND r.grant_sent_at IS NOT NULL AND r.cleanup_at IS NULL ORDER BY r.created_at, r.row_order LIMIT ${v.limit}`),
  ),
  // The grant is looked up by its key from each request, never joined: right after a burst of ends, before
  // autovacuum analyzes the tables, the planner takes the ended requests and grants for one row each, and joined
  // them by scanning every ended grant for each ended request, seconds a page (measured: BENCHMARKS.md, What
  // changed because of these measurements).
  endedSince: statement<{ since: number; afterId: string; limit: number }>((v) =>
    hydrated(`FROM requests r
    WHERE r.state = 'ended' AND r.id > ${v.afterId} AND (SELECT g.ended_at FROM grants g WHERE g.request_id = r.id) >= ${v.since}
    ORDER BY r.id LIMIT ${v.limit}`),
  ),
  activeGrants: statement<{ afterId: string; limit: number }>((v) =>
    hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.id > ${v.afterId} ORDER BY r.id LIMIT ${v.limit}`),
  ),
  covering: statement<Membership>(
    (v) => `${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ended_at IS NULL
        AND lower(g.group_id) = lower(${v.groupId}) AND lower(g.principal_id) = lower(${v.principalId}) AND r.id <> ${v.exclude}`)}
    UNION ALL ${hydrated(`FROM requests r
      WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
        AND lower(r.grant_group_id) = lower(${v.groupId}) AND lower(r.principal_id) = lower(${v.principalId}) AND r.id <> ${v.exclude}`)}`,
  ),
  holders: statement<Holders>((v) => holdersOf(v)),
  // `holders` of several memberships at once, each row with the number of its membership (from 1). Each is
  // looked up by itself (LATERAL), through the indexes `holders` uses.
  holdersMany: statement<{ [Name in keyof Holders]: Holders[Name][] }>(
    (v) => `SELECT asked.n, held.request, held.decisions, held.grant_row
    FROM unnest(${v.groupId}::text[], ${v.principalId}::text[], ${v.exclude}::text[], ${v.endedSince}::bigint[])
      WITH ORDINALITY AS asked(group_id, principal_id, exclude, ended_since, n)
    CROSS JOIN LATERAL (${holdersOf({ groupId: 'asked.group_id', principalId: 'asked.principal_id', exclude: 'asked.exclude', endedSince: 'asked.ended_since' })}) held`,
  ),
  pendingDue: statement<{ now: number; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.state = 'pending' AND r.pending_until <= ${v.now} ORDER BY r.pending_until LIMIT ${v.limit}`),
  ),
  // The deadlines read requests.ends_at (the grant's end, copied by a trigger) through the partial indexes of
  // migration 0005: each is a few index steps however many grants are active or ending.
  expiryDue: statement<{ now: number; limit: number }>((v) =>
    hydrated(`FROM requests r
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.ends_at <= ${v.now} ORDER BY r.ends_at LIMIT ${v.limit}`),
  ),
  warningDue: statement<{ endsBy: number; limit: number }>((v) =>
    hydrated(`FROM requests r
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.expiry_warned_at IS NULL AND r.ends_at <= ${v.endsBy}
    ORDER BY r.ends_at LIMIT ${v.limit}`),
  ),
  realertDue: statement<{ now: number; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.break_glass_realert_at IS NOT NULL AND r.break_glass_realert_at <= ${v.now}
    ORDER BY r.break_glass_realert_at LIMIT ${v.limit}`),
  ),
  // Read through the partial indexes of migration 0013, which hold only the requests still waiting with one to come.
  reminderDue: statement<{ now: number; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.state = 'pending' AND r.remind_at IS NOT NULL AND r.remind_at <= ${v.now}
    ORDER BY r.remind_at LIMIT ${v.limit}`),
  ),
  escalationDue: statement<{ now: number; limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.state = 'pending' AND r.escalate_at IS NOT NULL AND r.escalate_at <= ${v.now}
    ORDER BY r.escalate_at LIMIT ${v.limit}`),
  ),
  unreviewed: statement<{ limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.break_glass_at IS NOT NULL AND r.break_glass_reviewed_at IS NULL
    ORDER BY r.break_glass_at LIMIT ${v.limit}`),
  ),
  pendingExtensions: statement<{ limit: number }>((v) =>
    hydrated(`FROM requests r WHERE r.state = 'active' AND r.extension_asked_at IS NOT NULL AND r.extension_result IS NULL
    ORDER BY r.extension_asked_at LIMIT ${v.limit}`),
  ),
  nextDeadline: statement<{ warningMs: number }>(
    (v) => `SELECT LEAST(
      (SELECT MIN(pending_until) FROM requests WHERE state = 'pending'),
      (SELECT MIN(break_glass_realert_at) FROM requests WHERE break_glass_realert_at IS NOT NULL),
      (SELECT MIN(remind_at) FROM requests WHERE state = 'pending' AND remind_at IS NOT NULL),
      (SELECT MIN(escalate_at) FROM requests WHERE state = 'pending' AND escalate_at IS NOT NULL),
      (SELECT MIN(ends_at) FROM requests WHERE state = 'active' AND ending_reason IS NULL),
      (SELECT MIN(ends_at) - ${v.warningMs}::bigint FROM requests
        WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL)) AS at`,
  ),
};
