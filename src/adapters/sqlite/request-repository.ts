import type { AuditRecord, Deadline, JobLease, RequestRepository, StoredJob } from '../../application/ports.js';
import type {
  AccessRequest,
  AuditEntry,
  CleanupResult,
  EndReason,
  GrantRecord,
  JobOrder,
  RequestState,
  Transition,
} from '../../domain/access-request.js';
import { isNewsKind, type NewsKind } from '../../domain/news.js';
import type { GrantKind } from '../../domain/policy.js';
import { auditHash, GENESIS_HASH } from './audit-chain.js';
import type { SqliteDatabase } from './database.js';

interface RequestRow {
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
  principal_name: string | null;
  requester_email: string | null;
  signed_out_at: number | null;
  signed_out_tokens: number | null;
  signed_out_sessions: number | null;
  signed_out_other_accounts: number | null;
}

interface DecisionRow {
  approver_id: string;
  decision: 'approve' | 'deny';
  comment: string | null;
  decided_at: number;
}

interface GrantRow {
  kind: GrantKind;
  group_id: string;
  principal_id: string;
  reference: string | null;
  granted_at: number;
  ends_at: number;
  ended_at: number | null;
  end_reason: EndReason | null;
}

interface AuditRow {
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

interface JobRow {
  id: number;
  kind: StoredJob['kind'];
  request_id: string;
  event: string | null;
  state: StoredJob['state'];
  attempts: number;
  run_at: number;
  last_error: string | null;
}

function toRequest(row: RequestRow, decisions: DecisionRow[], grant: GrantRow | undefined): AccessRequest {
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
  };
}

// The column is text; a value no release ever wrote means a corrupt row or a rollback across a new kind of news.
function readNewsKind(value: string, jobId: number): NewsKind {
  if (!isNewsKind(value)) throw new Error(`job ${jobId} carries unknown news "${value}"`);
  return value;
}

export function toStoredJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    kind: row.kind,
    requestId: row.request_id,
    event: row.event === null ? null : readNewsKind(row.event, row.id),
    state: row.state,
    attempts: row.attempts,
    runAt: row.run_at,
    lastError: row.last_error,
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

class LeaseLost extends Error {}

export class SqliteRequestRepository implements RequestRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insertRequest: db.prepare(`INSERT INTO requests
        (id, requester_id, principal_id, principal_name, requester_email, target_id, reason, duration_minutes, required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES (@id, @requesterId, @principalId, @principalName, @email, @targetId, @reason, @durationMinutes, @requiredApprovals, @state, @version, @createdAt, @pendingUntil, @createdAt)`),
      updateRequest: db.prepare(`UPDATE requests SET state = @state, version = @version, decided_at = @decidedAt,
        duration_minutes = @durationMinutes, required_approvals = @requiredApprovals,
        cancelled_at = @cancelledAt, failure = @failure, ending_reason = @endingReason, ending_by = @endingBy, ending_at = @endingAt,
        expiry_warned_at = @expiryWarnedAt, grant_sent_at = @grantSentAt, grant_kind = @grantKind, grant_group_id = @grantGroupId,
        cleanup_at = @cleanupAt, cleanup_result = @cleanupResult, kept_by = @keptBy, signed_out_at = @signedOutAt,
        signed_out_tokens = @signedOutTokens, signed_out_sessions = @signedOutSessions, signed_out_other_accounts = @signedOutOther,
        updated_at = @now
        WHERE id = @id AND version = @expectedVersion AND state = @expectedState`),
      selectRequest: db.prepare('SELECT * FROM requests WHERE id = ?'),
      selectDecisions: db.prepare(
        'SELECT approver_id, decision, comment, decided_at FROM decisions WHERE request_id = ? ORDER BY decided_at, rowid',
      ),
      selectGrant: db.prepare('SELECT * FROM grants WHERE request_id = ?'),
      insertDecision: db.prepare('INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at) VALUES (?, ?, ?, ?, ?)'),
      insertGrant: db.prepare(`INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      endGrant: db.prepare('UPDATE grants SET ended_at = ?, end_reason = ? WHERE request_id = ? AND ended_at IS NULL'),
      lastAudit: db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      insertAudit:
        db.prepare(`INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
        VALUES (@seq, @at, @requestId, @actor, @action, @stateBefore, @stateAfter, @detail, @prevHash, @hash)`),
      insertJob: db.prepare(`INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
      byRequester: db.prepare('SELECT * FROM requests WHERE requester_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      byState: db.prepare('SELECT * FROM requests WHERE state = ? ORDER BY created_at, rowid LIMIT ?'),
      countByState: db.prepare('SELECT COUNT(*) AS n FROM requests WHERE state = ?'),
      endedSince: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
        WHERE r.state = 'ended' AND g.ended_at >= ? ORDER BY g.ended_at LIMIT ?`),
      covering: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
          WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ended_at IS NULL
            AND lower(g.group_id) = lower(@groupId) AND lower(g.principal_id) = lower(@principalId) AND r.id <> @exclude
        UNION ALL SELECT r.* FROM requests r
          WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
            AND lower(r.grant_group_id) = lower(@groupId) AND lower(r.principal_id) = lower(@principalId) AND r.id <> @exclude`),
      auditFor: db.prepare('SELECT * FROM audit_events WHERE request_id = ? ORDER BY seq'),
      jobsFor: db.prepare('SELECT * FROM jobs WHERE request_id = ? ORDER BY id'),
      completeJob: db.prepare(`UPDATE jobs SET state = 'done', locked_until = NULL, updated_at = ?
        WHERE id = ? AND attempts = ? AND state = 'running'`),
      pendingDue: db.prepare("SELECT * FROM requests WHERE state = 'pending' AND pending_until <= ? ORDER BY pending_until LIMIT ?"),
      expiryDue: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
        WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ends_at <= ? ORDER BY g.ends_at LIMIT ?`),
      warningDue: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
        WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.expiry_warned_at IS NULL AND g.ends_at - ? <= ? ORDER BY g.ends_at LIMIT ?`),
      nextDeadline: db.prepare(`SELECT MIN(at) AS at FROM (
          SELECT MIN(pending_until) AS at FROM requests WHERE state = 'pending'
          UNION ALL SELECT MIN(g.ends_at) FROM requests r JOIN grants g ON g.request_id = r.id WHERE r.state = 'active' AND r.ending_reason IS NULL
          UNION ALL SELECT MIN(g.ends_at - @warning) FROM requests r JOIN grants g ON g.request_id = r.id
            WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.expiry_warned_at IS NULL)`),
    };
  }

  create(opened: Transition, now: number): void {
    const request = opened.request;
    this.db
      .transaction(() => {
        this.statements.insertRequest.run({
          id: request.id,
          requesterId: request.requesterId,
          principalId: request.principalId ?? null,
          principalName: request.principalName ?? null,
          email: request.email ?? null,
          targetId: request.targetId,
          reason: request.reason,
          durationMinutes: request.durationMinutes,
          requiredApprovals: request.requiredApprovals,
          state: request.state,
          version: request.version,
          createdAt: request.createdAt,
          pendingUntil: request.pendingUntil,
        });
        this.record(request.id, opened.audit, opened.jobs, now);
      })
      .immediate();
  }

  find(id: string): AccessRequest | undefined {
    const row = this.statements.selectRequest.get(id) as RequestRow | undefined;
    return row && this.hydrate(row);
  }

  apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): boolean {
    const next = change.request;
    const write = this.db.transaction(() => {
      const updated = this.statements.updateRequest.run({
        id: previous.id,
        expectedVersion: previous.version,
        expectedState: previous.state,
        state: next.state,
        version: next.version,
        decidedAt: next.decidedAt ?? null,
        cancelledAt: next.cancelledAt ?? null,
        failure: next.failure ?? null,
        endingReason: next.ending?.reason ?? null,
        endingBy: next.ending?.by ?? null,
        endingAt: next.ending?.at ?? null,
        expiryWarnedAt: next.expiryWarnedAt ?? null,
        durationMinutes: next.durationMinutes,
        requiredApprovals: next.requiredApprovals,
        grantSentAt: next.grantCall?.sentAt ?? null,
        grantKind: next.grantCall?.kind ?? null,
        grantGroupId: next.grantCall?.groupId ?? null,
        cleanupAt: next.cleanup?.at ?? null,
        cleanupResult: next.cleanup?.result ?? null,
        keptBy: next.keptBy ?? null,
        signedOutAt: next.signOut?.at ?? null,
        signedOutTokens: next.signOut?.tokensRevoked ?? null,
        signedOutSessions: next.signOut?.sessionsEnded ?? null,
        signedOutOther: next.signOut?.otherAccounts ?? null,
        now,
      });
      if (updated.changes !== 1) return false;

      for (const approval of next.approvals.slice(previous.approvals.length)) {
        this.statements.insertDecision.run(next.id, approval.approverId, 'approve', null, approval.at);
      }
      if (next.denial && !previous.denial) {
        this.statements.insertDecision.run(next.id, next.denial.by, 'deny', next.denial.comment ?? null, next.denial.at);
      }
      if (next.grant && !previous.grant) {
        const { grant } = next;
        this.statements.insertGrant.run(
          next.id,
          grant.kind,
          grant.groupId,
          grant.principalId,
          grant.reference ?? null,
          next.grantedAt,
          next.endsAt,
        );
      }
      if (next.state === 'ended' && previous.state !== 'ended') {
        this.statements.endGrant.run(next.endedAt ?? now, next.endReason ?? null, next.id);
      }
      this.record(next.id, change.audit, change.jobs, now);
      const lease = options.completeJob;
      // A job whose lease ran out belongs to another pass now: its outcome must not be recorded twice.
      if (lease && this.statements.completeJob.run(now, lease.id, lease.attempts).changes !== 1) throw new LeaseLost();
      return true;
    });
    try {
      return write.immediate();
    } catch (error) {
      // Thrown inside the transaction so that nothing of the change is kept.
      if (error instanceof LeaseLost) return false;
      throw error;
    }
  }

  listByRequester(requesterId: string, limit: number): AccessRequest[] {
    return (this.statements.byRequester.all(requesterId, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  listByState(state: RequestState, limit: number): AccessRequest[] {
    return (this.statements.byState.all(state, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  listEndedSince(since: number, limit: number): AccessRequest[] {
    return (this.statements.endedSince.all(since, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  listCovering(groupId: string, principalId: string, excludeRequestId: string): AccessRequest[] {
    const rows = this.statements.covering.all({ groupId, principalId, exclude: excludeRequestId }) as RequestRow[];
    return rows.map((row) => this.hydrate(row));
  }

  countByState(state: RequestState): number {
    return (this.statements.countByState.get(state) as { n: number }).n;
  }

  listDue(deadline: Deadline, now: number, limit: number): AccessRequest[] {
    const rows =
      deadline.kind === 'pending_timeout'
        ? this.statements.pendingDue.all(now, limit)
        : deadline.kind === 'expiry'
          ? this.statements.expiryDue.all(now, limit)
          : this.statements.warningDue.all(deadline.warningMs, now, limit);
    return (rows as RequestRow[]).map((row) => this.hydrate(row));
  }

  nextDeadline(warningMs: number): number | undefined {
    const row = this.statements.nextDeadline.get({ warning: warningMs }) as { at: number | null };
    return row.at ?? undefined;
  }

  auditTrail(requestId: string): AuditRecord[] {
    return (this.statements.auditFor.all(requestId) as AuditRow[]).map(toAuditRecord);
  }

  jobs(requestId: string): StoredJob[] {
    return (this.statements.jobsFor.all(requestId) as JobRow[]).map(toStoredJob);
  }

  private hydrate(row: RequestRow): AccessRequest {
    const decisions = this.statements.selectDecisions.all(row.id) as DecisionRow[];
    const grant = this.statements.selectGrant.get(row.id) as GrantRow | undefined;
    return toRequest(row, decisions, grant);
  }

  private record(requestId: string, audit: AuditEntry, jobs: readonly JobOrder[], now: number): void {
    const last = this.statements.lastAudit.get() as { seq: number; hash: string } | undefined;
    const fields = {
      seq: (last?.seq ?? 0) + 1,
      at: now,
      requestId,
      actor: audit.actor,
      action: audit.action,
      stateBefore: audit.from,
      stateAfter: audit.to,
      detail: JSON.stringify(audit.detail),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    this.statements.insertAudit.run({ ...fields, hash: auditHash(fields) });
    for (const job of jobs) this.statements.insertJob.run(job.kind, requestId, job.event ?? null, now, now, now);
  }
}
