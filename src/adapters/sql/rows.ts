// The tables' rows as both stores return them (PostgreSQL's BIGINT read as numbers), and their mapping onto what
// the application sees.

import type { AuditRecord, StoredJob } from '../../application/ports.js';
import type { AccessRequest, CleanupResult, EndReason, GrantRecord, RemovalOutcome, RequestState } from '../../domain/access-request.js';
import { isNewsKind, type NewsKind } from '../../domain/news.js';
import type { GrantKind } from '../../domain/policy.js';

export interface RequestRow {
  id: string;
  requester_id: string;
  target_id: string;
  reason: string;
  duration_minutes: number;
  required_approvals: number;
  state: RequestState;
  version: number;
  created_at: number;
  pending_until: number;
  decided_at: number | null;
  cancelled_at: number | null;
  failure: string | null;
  ending_reason: EndReason | null;
  ending_by: string | null;
  ending_at: number | null;
  principal_id: string | null;
  expiry_warned_at: number | null;
  grant_sent_at: number | null;
  grant_kind: GrantKind | null;
  grant_group_id: string | null;
  cleanup_at: number | null;
  cleanup_result: CleanupResult | null;
  kept_by: string | null;
  held_by: string | null;
  principal_name: string | null;
  requester_email: string | null;
  signed_out_at: number | null;
  signed_out_tokens: number | null;
  signed_out_sessions: number | null;
  signed_out_other_accounts: number | null;
}

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

export function toRequest(row: RequestRow, decisions: DecisionRow[], grant: GrantRow | undefined): AccessRequest {
  const denial = decisions.find((decision) => decision.decision === 'deny');
  const grantRecord: GrantRecord | undefined = grant && {
    kind: grant.kind,
    groupId: grant.group_id,
    principalId: grant.principal_id,
    ...(grant.reference !== null && { reference: grant.reference }),
  };
  return {
    id: row.id,
    requesterId: row.requester_id,
    ...(row.principal_id !== null && { principalId: row.principal_id }),
    targetId: row.target_id,
    reason: row.reason,
    durationMinutes: row.duration_minutes,
    requiredApprovals: row.required_approvals,
    state: row.state,
    version: row.version,
    createdAt: row.created_at,
    pendingUntil: row.pending_until,
    approvals: decisions
      .filter((decision) => decision.decision === 'approve')
      .map((decision) => ({ approverId: decision.approver_id, at: decision.decided_at })),
    ...(denial && {
      denial: { by: denial.approver_id, at: denial.decided_at, ...(denial.comment !== null && { comment: denial.comment }) },
    }),
    ...(row.decided_at !== null && { decidedAt: row.decided_at }),
    ...(row.cancelled_at !== null && { cancelledAt: row.cancelled_at }),
    ...(row.failure !== null && { failure: row.failure }),
    ...(row.expiry_warned_at !== null && { expiryWarnedAt: row.expiry_warned_at }),
    ...(row.grant_sent_at !== null &&
      row.grant_kind !== null &&
      row.grant_group_id !== null && { grantCall: { sentAt: row.grant_sent_at, kind: row.grant_kind, groupId: row.grant_group_id } }),
    ...(row.cleanup_at !== null && row.cleanup_result !== null && { cleanup: { at: row.cleanup_at, result: row.cleanup_result } }),
    ...(row.kept_by !== null && { keptBy: row.kept_by }),
    ...(row.held_by !== null && { heldBy: row.held_by }),
    ...(row.principal_name !== null && { principalName: row.principal_name }),
    ...(row.requester_email !== null && { email: row.requester_email }),
    ...(row.signed_out_at !== null && {
      signOut: {
        at: row.signed_out_at,
        tokensRevoked: row.signed_out_tokens ?? 0,
        sessionsEnded: row.signed_out_sessions ?? 0,
        otherAccounts: row.signed_out_other_accounts ?? 0,
      },
    }),
    ...(row.ending_reason !== null && { ending: { reason: row.ending_reason, by: row.ending_by ?? '', at: row.ending_at ?? 0 } }),
    ...(grant && grantRecord && { grant: grantRecord, grantedAt: grant.granted_at, endsAt: grant.ends_at }),
    ...(grant?.ended_at != null && { endedAt: grant.ended_at }),
    ...(grant?.end_reason != null && { endReason: grant.end_reason }),
    ...(grant?.removal != null && { removal: grant.removal }),
  };
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
