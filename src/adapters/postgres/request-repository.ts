// Requests in PostgreSQL, shared by several replicas. Each write is one transaction: the compare-and-set on
// the request's version, its decisions and grant, its jobs, the job it settles, and its audit event, which is
// appended last so that the chain head's lock, which every writer waits for, is held for the shortest time.

import type { AuditRecord, Deadline, JobLease, RequestRepository, StoredJob } from '../../application/ports.js';
import type { AccessRequest, AuditEntry, JobOrder, RequestState, Transition } from '../../domain/access-request.js';
import { auditHash } from '../sql/audit-chain.js';
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
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';
import { notifyJobWaiters } from './job-notifications.js';

class LeaseLost extends Error {}

type HydratedRow = RequestRow & { decisions: DecisionRow[]; grant_row: GrantRow | null };

// One statement reads a request with its decisions and grant, so all three come from the same snapshot.
function hydrated(fromWhere: string): string {
  return `SELECT r.*,
      COALESCE((SELECT json_agg(d ORDER BY d.decided_at, d.row_order) FROM decisions d WHERE d.request_id = r.id), '[]') AS decisions,
      (SELECT row_to_json(g) FROM grants g WHERE g.request_id = r.id) AS grant_row
    ${fromWhere}`;
}

const SQL = {
  insertRequest: `INSERT INTO requests
    (id, requester_id, principal_id, principal_name, requester_email, target_id, reason, duration_minutes, required_approvals,
     state, version, created_at, pending_until, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12)`,
  updateRequest: `UPDATE requests SET state = $4, version = $5, decided_at = $6, duration_minutes = $7, required_approvals = $8,
      cancelled_at = $9, failure = $10, ending_reason = $11, ending_by = $12, ending_at = $13, expiry_warned_at = $14,
      grant_sent_at = $15, grant_kind = $16, grant_group_id = $17, cleanup_at = $18, cleanup_result = $19, kept_by = $20,
      signed_out_at = $21, signed_out_tokens = $22, signed_out_sessions = $23, signed_out_other_accounts = $24, updated_at = $25,
      held_by = $26
    WHERE id = $1 AND version = $2 AND state = $3`,
  insertDecision: 'INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at) VALUES ($1, $2, $3, $4, $5)',
  insertGrant: `INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  endGrant: 'UPDATE grants SET ended_at = $1, end_reason = $2 WHERE request_id = $3 AND ended_at IS NULL',
  insertJob: 'INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4, $4)',
  completeJob: `UPDATE jobs SET state = 'done', locked_until = NULL, lease_owner = NULL, updated_at = $1
    WHERE id = $2 AND attempts = $3 AND state = 'running'`,
  lockChainHead: 'SELECT seq, hash FROM audit_chain_head FOR UPDATE',
  appendAudit: `WITH appended AS (
      INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq, hash)
    UPDATE audit_chain_head SET seq = appended.seq, hash = appended.hash FROM appended`,
  find: hydrated('FROM requests r WHERE r.id = $1'),
  byRequester: hydrated('FROM requests r WHERE r.requester_id = $1 ORDER BY r.created_at DESC, r.row_order DESC LIMIT $2'),
  byState: hydrated('FROM requests r WHERE r.state = $1 ORDER BY r.created_at, r.row_order LIMIT $2'),
  countByState: 'SELECT COUNT(*) AS n FROM requests WHERE state = $1',
  uncleaned: hydrated(`FROM requests r
    WHERE r.state = 'failed' AND r.grant_sent_at IS NOT NULL AND r.cleanup_at IS NULL ORDER BY r.created_at, r.row_order LIMIT $1`),
  endedSince: hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
    WHERE r.state = 'ended' AND g.ended_at >= $1 AND r.id > $2 ORDER BY r.id LIMIT $3`),
  activeGrants: hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
    WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.id > $1 ORDER BY r.id LIMIT $2`),
  covering: `${hydrated(`FROM requests r JOIN grants g ON g.request_id = r.id
      WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ended_at IS NULL
        AND lower(g.group_id) = lower($1) AND lower(g.principal_id) = lower($2) AND r.id <> $3`)}
    UNION ALL ${hydrated(`FROM requests r
      WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
        AND lower(r.grant_group_id) = lower($1) AND lower(r.principal_id) = lower($2) AND r.id <> $3`)}`,
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
    await inTransaction(this.pool, async (client) => {
      await client.query(SQL.insertRequest, [
        request.id,
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
      await record(client, request.id, opened.audit, opened.jobs, now);
    });
  }

  async find(id: string): Promise<AccessRequest | undefined> {
    const [request] = await this.read(SQL.find, [id]);
    return request;
  }

  async apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    try {
      return await inTransaction(this.pool, async (client) => {
        if (!(await compareAndSet(client, previous, change.request, now))) return false;
        await recordDecisionsAndGrant(client, previous, change.request, now);
        const lease = options.completeJob;
        // A job whose lease ran out belongs to another pass now: its outcome must not be recorded twice.
        if (lease && (await client.query(SQL.completeJob, [now, lease.id, lease.attempts])).rowCount !== 1) throw new LeaseLost();
        await record(client, previous.id, change.audit, change.jobs, now);
        return true;
      });
    } catch (error) {
      // Thrown inside the transaction so that nothing of the change is kept.
      if (error instanceof LeaseLost) return false;
      throw error;
    }
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

  async countByState(state: RequestState): Promise<number> {
    const result = await this.pool.query<{ n: number }>(SQL.countByState, [state]);
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
    const result = await this.pool.query<{ at: number | null }>(SQL.nextDeadline, [warningMs]);
    return result.rows[0]?.at ?? undefined;
  }

  async auditTrail(requestId: string): Promise<AuditRecord[]> {
    return (await this.pool.query<AuditRow>(SQL.auditFor, [requestId])).rows.map(toAuditRecord);
  }

  async jobs(requestId: string): Promise<StoredJob[]> {
    return (await this.pool.query<JobRow>(SQL.jobsFor, [requestId])).rows.map((row) => toStoredJob(row));
  }

  private async read(sql: string, values: unknown[]): Promise<AccessRequest[]> {
    const result = await this.pool.query<HydratedRow>(sql, values);
    return result.rows.map((row) => toRequest(row, row.decisions, row.grant_row ?? undefined));
  }
}

async function compareAndSet(client: PostgresClient, previous: AccessRequest, next: AccessRequest, now: number): Promise<boolean> {
  const updated = await client.query(SQL.updateRequest, [
    previous.id,
    previous.version,
    previous.state,
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
    now,
    next.heldBy ?? null,
  ]);
  return updated.rowCount === 1;
}

async function recordDecisionsAndGrant(client: PostgresClient, previous: AccessRequest, next: AccessRequest, now: number): Promise<void> {
  for (const approval of next.approvals.slice(previous.approvals.length)) {
    await client.query(SQL.insertDecision, [next.id, approval.approverId, 'approve', null, approval.at]);
  }
  if (next.denial && !previous.denial) {
    await client.query(SQL.insertDecision, [next.id, next.denial.by, 'deny', next.denial.comment ?? null, next.denial.at]);
  }
  if (next.grant && !previous.grant) {
    const { grant } = next;
    await client.query(SQL.insertGrant, [
      next.id,
      grant.kind,
      grant.groupId,
      grant.principalId,
      grant.reference ?? null,
      next.grantedAt,
      next.endsAt,
    ]);
  }
  if (next.state === 'ended' && previous.state !== 'ended') {
    await client.query(SQL.endGrant, [next.endedAt ?? now, next.endReason ?? null, next.id]);
  }
}

/**
 * Inserts the jobs, wakes the other replicas once the transaction commits (a changed request may move a
 * deadline, and new jobs are work to claim), and appends the audit event under the chain head's lock. The
 * append comes last: every writer of every replica waits for that lock, so it is held only from the append to
 * the commit.
 */
async function record(client: PostgresClient, requestId: string, audit: AuditEntry, jobs: readonly JobOrder[], now: number): Promise<void> {
  for (const job of jobs) await client.query(SQL.insertJob, [job.kind, requestId, job.event ?? null, now]);
  await notifyJobWaiters(client);
  const head = (await client.query<{ seq: number; hash: string }>(SQL.lockChainHead)).rows[0];
  if (!head) throw new Error('the audit chain head is missing: the database was not migrated');
  const fields = {
    seq: head.seq + 1,
    at: now,
    requestId,
    actor: audit.actor,
    action: audit.action,
    stateBefore: audit.from,
    stateAfter: audit.to,
    detail: JSON.stringify(audit.detail),
    prevHash: head.hash,
  };
  const hash = auditHash(fields);
  await client.query(SQL.appendAudit, [
    fields.seq,
    fields.at,
    fields.requestId,
    fields.actor,
    fields.action,
    fields.stateBefore,
    fields.stateAfter,
    fields.detail,
    fields.prevHash,
    hash,
  ]);
}
