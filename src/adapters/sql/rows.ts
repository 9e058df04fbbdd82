// The tables' rows as both stores return them (PostgreSQL's BIGINT read as numbers), and their mapping onto what
// the application sees. A request's own row is described in request-columns.ts.

import type { AuditRecord, StoredJob } from '../../application/ports.js';
import {
  type AccessRequest,
  type EndReason,
  type GrantRecord,
  parseRequest,
  type RemovalOutcome,
  type RequestFields,
} from '../../domain/access-request.js';
import { isNewsKind, type NewsKind } from '../../domain/news.js';
import type { GrantKind } from '../../domain/policy.js';
import { type RequestRow, readRequestRow } from './request-columns.js';

export interface DecisionRow {
  approver_id: string;
  decision: 'approve' | 'deny';
  comment: string | null;
  decided_at: number;
}

export interface GrantRow {
  kind: GrantKind;
  group_id: string;
  principal_id: string;
  reference: string | null;
  granted_at: number;
  ends_at: number;
  ended_at: number | null;
  end_reason: EndReason | null;
  removal: RemovalOutcome | null;
}

export interface AuditRow {
  seq: number;
  at: number;
  request_id: string | null;
  actor: string;
  action: string;
  state_before: string | null;
  state_after: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface JobRow {
  id: number;
  kind: StoredJob['kind'];
  request_id: string;
  event: string | null;
  state: StoredJob['state'];
  attempts: number;
  run_at: number;
  last_error: string | null;
}

/** A request from its row (see `REQUEST_COLUMNS`), its decisions in the order they were made, and its grant. */
export function toRequest(row: RequestRow, decisions: DecisionRow[], grant: GrantRow | undefined): AccessRequest {
  const denial = decisions.find((decision) => decision.decision === 'deny');
  const grantRecord: GrantRecord | undefined = grant && {
    kind: grant.kind,
    groupId: grant.group_id,
    principalId: grant.principal_id,
    ...(grant.reference !== null && { reference: grant.reference }),
  };
  // The row's parts hold every other field of a request (the repository contract reads each one back).
  return parseRequest({
    ...readRequestRow(row),
    approvals: decisions
      .filter((decision) => decision.decision === 'approve')
      .map((decision) => ({ approverId: decision.approver_id, at: decision.decided_at })),
    ...(denial && {
      denial: { by: denial.approver_id, at: denial.decided_at, ...(denial.comment !== null && { comment: denial.comment }) },
    }),
    ...(grant && grantRecord && { grant: grantRecord, grantedAt: grant.granted_at, endsAt: grant.ends_at }),
    ...(grant?.ended_at != null && { endedAt: grant.ended_at }),
    ...(grant?.end_reason != null && { endReason: grant.end_reason }),
    ...(grant?.removal != null && { removal: grant.removal }),
  } as RequestFields);
}

// The column is text; a value no release ever wrote means a corrupt row or a rollback across a new kind of news.
function readNewsKind(value: string, jobId: number): NewsKind {
  if (!isNewsKind(value)) throw new Error(`job ${jobId} carries unknown news "${value}"`);
  return value;
}

export function toStoredJob(row: JobRow, takenOver = false): StoredJob {
  return {
    id: row.id,
    kind: row.kind,
    requestId: row.request_id,
    event: row.event === null ? null : readNewsKind(row.event, row.id),
    state: row.state,
    attempts: row.attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    takenOver,
  };
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    requestId: row.request_id,
    actor: row.actor,
    action: row.action,
    stateBefore: row.state_before,
    stateAfter: row.state_after,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
