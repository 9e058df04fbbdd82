import type { Deadline, DecidedChange, JobLease, RequestRepository } from '../../application/ports.js';
import { applyInTurn } from '../../application/timed-changes.js';
import {
  type AccessRequest,
  type AuditEntry,
  fieldsOf,
  type JobOrder,
  type RequestState,
  type Transition,
} from '../../domain/access-request.js';
import { auditHash, GENESIS_HASH } from '../sql/audit-chain.js';
import { CHANGED_COLUMNS, REQUEST_COLUMNS, type RequestRow, requestRow } from '../sql/request-columns.js';
import { type DecisionRow, type GrantRow, toRequest } from '../sql/rows.js';
import type { SqliteDatabase } from './database.js';

class LeaseLost extends Error {}

// A column's value is named after the column (snake_case); the statements' other values are camelCase, so no
// value is ever taken for another.
const INSERT_REQUEST = `INSERT INTO requests (${REQUEST_COLUMNS.map(({ name }) => name).join(', ')}, updated_at)
  VALUES (${REQUEST_COLUMNS.map(({ name }) => `@${name}`).join(', ')}, @now)`;
const UPDATE_REQUEST = `UPDATE requests SET ${CHANGED_COLUMNS.map(({ name }) => `${name} = @${name}`).join(', ')}, updated_at = @now
  WHERE id = @expectedId AND version = @expectedVersion AND state = @expectedState`;

export class SqliteRequestRepository implements RequestRepository {
  private readonly statements;
  // Made once: better-sqlite3 builds four wrapped functions with their own properties for each transaction()
  // call, which a transaction per change made some 6 KB of garbage per write in a burst of removals.
  private readonly transactions;

  constructor(db: SqliteDatabase) {
    this.transactions = {
      create: db.transaction((opened: Transition, now: number) => this.insert(opened, now)),
      apply: db.transaction((previous: AccessRequest, change: Transition, now: number, lease: JobLease | undefined) =>
        this.update(previous, change, now, lease),
      ),
    };
    this.statements = {
      insertRequest: db.prepare(INSERT_REQUEST),
      updateRequest: db.prepare(UPDATE_REQUEST),
      selectRequest: db.prepare('SELECT * FROM requests WHERE id = ?'),
      selectDecisions: db.prepare(
        'SELECT approver_id, decision, comment, decided_at FROM decisions WHERE request_id = ? ORDER BY decided_at, rowid',
      ),
      selectGrant: db.prepare('SELECT * FROM grants WHERE request_id = ?'),
      insertDecision: db.prepare('INSERT INTO decisions (request_id, approver_id, decision, comment, decided_at) VALUES (?, ?, ?, ?, ?)'),
      insertGrant: db.prepare(`INSERT INTO grants (request_id, kind, group_id, principal_id, reference, granted_at, ends_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      // The triggers of migration 0008 copy the moved end onto the request, where the deadline indexes read it.
      moveGrantEnd: db.prepare('UPDATE grants SET ends_at = ? WHERE request_id = ? AND ended_at IS NULL'),
      endGrant: db.prepare('UPDATE grants SET ended_at = ?, end_reason = ? WHERE request_id = ? AND ended_at IS NULL'),
      noteRemoval: db.prepare('UPDATE grants SET removal = ? WHERE request_id = ?'),
      lastAudit: db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      insertAudit:
        db.prepare(`INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
        VALUES (@seq, @at, @requestId, @actor, @action, @stateBefore, @stateAfter, @detail, @prevHash, @hash)`),
      insertJob: db.prepare(`INSERT INTO jobs (kind, request_id, event, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
      byRequester: db.prepare('SELECT * FROM requests WHERE requester_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      byState: db.prepare('SELECT * FROM requests WHERE state = ? ORDER BY created_at, rowid LIMIT ?'),
      countByState: db.prepare('SELECT COUNT(*) AS n FROM requests WHERE state = ?'),
      uncleaned: db.prepare(`SELECT * FROM requests
        WHERE state = 'failed' AND grant_sent_at IS NOT NULL AND cleanup_at IS NULL ORDER BY created_at, rowid LIMIT ?`),
      endedSince: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
        WHERE r.state = 'ended' AND g.ended_at >= ? AND r.id > ? ORDER BY r.id LIMIT ?`),
      activeGrants: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
        WHERE r.state = 'active' AND r.ending_reason IS NULL AND r.id > ? ORDER BY r.id LIMIT ?`),
      covering: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
          WHERE r.state = 'active' AND r.ending_reason IS NULL AND g.ended_at IS NULL
            AND lower(g.group_id) = lower(@groupId) AND lower(g.principal_id) = lower(@principalId) AND r.id <> @exclude
        UNION ALL SELECT r.* FROM requests r
          WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
            AND lower(r.grant_group_id) = lower(@groupId) AND lower(r.principal_id) = lower(@principalId) AND r.id <> @exclude`),
      holders: db.prepare(`SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
          WHERE r.state = 'active' AND g.ended_at IS NULL
            AND lower(g.group_id) = lower(@groupId) AND lower(g.principal_id) = lower(@principalId) AND r.id <> @exclude
        UNION ALL SELECT r.* FROM requests r
          WHERE r.state = 'approved' AND r.grant_sent_at IS NOT NULL
            AND lower(r.grant_group_id) = lower(@groupId) AND lower(r.principal_id) = lower(@principalId) AND r.id <> @exclude
        UNION ALL SELECT r.* FROM requests r JOIN grants g ON g.request_id = r.id
          WHERE r.state = 'ended' AND g.ended_at IS NOT NULL AND (r.kept_by = @exclude OR g.ended_at >= @since)
            AND lower(g.group_id) = lower(@groupId) AND lower(g.principal_id) = lower(@principalId) AND r.id <> @exclude`),
      completeJob: db.prepare(`UPDATE jobs SET state = 'done', locked_until = NULL, updated_at = ?
        WHERE id = ? AND attempts = ? AND state = 'running'`),
      pendingDue: db.prepare("SELECT * FROM requests WHERE state = 'pending' AND pending_until <= ? ORDER BY pending_until LIMIT ?"),
      // The deadlines read requests.ends_at (the grant's end, copied by a trigger) through the partial indexes of
      // migration 0008: each is a few index steps however many grants are active or ending. INDEXED BY: without
      // statistics SQLite prefers requests_by_state, which holds every active grant, and sorts them.
      expiryDue: db.prepare(`SELECT * FROM requests INDEXED BY requests_open_by_end
        WHERE state = 'active' AND ending_reason IS NULL AND ends_at <= ? ORDER BY ends_at LIMIT ?`),
      warningDue: db.prepare(`SELECT * FROM requests INDEXED BY requests_unwarned_by_end
        WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL AND ends_at <= ? ORDER BY ends_at LIMIT ?`),
      realertDue: db.prepare(`SELECT * FROM requests INDEXED BY requests_break_glass_realert
        WHERE break_glass_realert_at IS NOT NULL AND break_glass_realert_at <= ? ORDER BY break_glass_realert_at LIMIT ?`),
      reminderDue: db.prepare(`SELECT * FROM requests INDEXED BY requests_reminder_due
        WHERE state = 'pending' AND remind_at IS NOT NULL AND remind_at <= ? ORDER BY remind_at LIMIT ?`),
      escalationDue: db.prepare(`SELECT * FROM requests INDEXED BY requests_escalation_due
        WHERE state = 'pending' AND escalate_at IS NOT NULL AND escalate_at <= ? ORDER BY escalate_at LIMIT ?`),
      unreviewed: db.prepare(`SELECT * FROM requests INDEXED BY requests_break_glass_unreviewed
        WHERE break_glass_at IS NOT NULL AND break_glass_reviewed_at IS NULL ORDER BY break_glass_at LIMIT ?`),
      pendingExtensions: db.prepare(`SELECT * FROM requests INDEXED BY requests_pending_extension
        WHERE state = 'active' AND extension_asked_at IS NOT NULL AND extension_result IS NULL ORDER BY extension_asked_at LIMIT ?`),
      nextDeadline: db.prepare(`SELECT MIN(at) AS at FROM (
          SELECT MIN(pending_until) AS at FROM requests WHERE state = 'pending'
          UNION ALL SELECT MIN(break_glass_realert_at) FROM requests WHERE break_glass_realert_at IS NOT NULL
          UNION ALL SELECT MIN(remind_at) FROM requests WHERE state = 'pending' AND remind_at IS NOT NULL
          UNION ALL SELECT MIN(escalate_at) FROM requests WHERE state = 'pending' AND escalate_at IS NOT NULL
          UNION ALL SELECT ends_at FROM (SELECT ends_at FROM requests INDEXED BY requests_open_by_end
            WHERE state = 'active' AND ending_reason IS NULL ORDER BY ends_at LIMIT 1)
          UNION ALL SELECT ends_at - @warning FROM (SELECT ends_at FROM requests INDEXED BY requests_unwarned_by_end
            WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL ORDER BY ends_at LIMIT 1))`),
    };
  }

  async create(opened: Transition, now: number): Promise<void> {
    this.transactions.create.immediate(opened, now);
  }

  async find(id: string): Promise<AccessRequest | undefined> {
    const row = this.statements.selectRequest.get(id) as RequestRow | undefined;
    return row && this.hydrate(row);
  }

  async apply(previous: AccessRequest, change: Transition, now: number, options: { completeJob?: JobLease } = {}): Promise<boolean> {
    try {
      return this.transactions.apply.immediate(previous, change, now, options.completeJob);
    } catch (error) {
      // Thrown inside the transaction so that nothing of the change is kept.
      if (error instanceof LeaseLost) return false;
      throw error;
    }
  }

  private insert(opened: Transition, now: number): void {
    this.statements.insertRequest.run({ ...requestRow(opened.request), now });
    this.record(opened.request.id, opened.audit, opened.jobs, now);
  }

  private update(previous: AccessRequest, change: Transition, now: number, lease: JobLease | undefined): boolean {
    const next = fieldsOf(change.request);
    const prior = fieldsOf(previous);
    const updated = this.statements.updateRequest.run({
      ...requestRow(next),
      expectedId: previous.id,
      expectedVersion: previous.version,
      expectedState: previous.state,
      now,
    });
    if (updated.changes !== 1) return false;

    for (const approval of next.approvals.slice(previous.approvals.length)) {
      this.statements.insertDecision.run(next.id, approval.approverId, 'approve', null, approval.at);
    }
    if (next.denial && !prior.denial) {
      this.statements.insertDecision.run(next.id, next.denial.by, 'deny', next.denial.comment ?? null, next.denial.at);
    }
    if (next.grant && !prior.grant) {
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
    if (next.grant && prior.grant && next.endsAt !== undefined && next.endsAt !== prior.endsAt) {
      this.statements.moveGrantEnd.run(next.endsAt, next.id);
    }
    if (next.state === 'ended' && previous.state !== 'ended') {
      this.statements.endGrant.run(next.endedAt ?? now, next.endReason ?? null, next.id);
    }
    if (next.removal !== prior.removal) this.statements.noteRemoval.run(next.removal ?? null, next.id);
    this.record(next.id, change.audit, change.jobs, now);
    // A job whose lease ran out belongs to another pass now: its outcome must not be recorded twice.
    if (lease && this.statements.completeJob.run(now, lease.id, lease.attempts).changes !== 1) throw new LeaseLost();
    return true;
  }

  applyAll(changes: readonly DecidedChange[], now: number): Promise<boolean[]> {
    return applyInTurn(this, changes, now);
  }

  async listByRequester(requesterId: string, limit: number): Promise<AccessRequest[]> {
    return (this.statements.byRequester.all(requesterId, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listByState(state: RequestState, limit: number): Promise<AccessRequest[]> {
    return (this.statements.byState.all(state, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listUncleaned(limit: number): Promise<AccessRequest[]> {
    return (this.statements.uncleaned.all(limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listEndedSince(since: number, afterId: string, limit: number): Promise<AccessRequest[]> {
    return (this.statements.endedSince.all(since, afterId, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listActiveGrants(afterId: string, limit: number): Promise<AccessRequest[]> {
    return (this.statements.activeGrants.all(afterId, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listCovering(groupId: string, principalId: string, excludeRequestId: string): Promise<AccessRequest[]> {
    const rows = this.statements.covering.all({ groupId, principalId, exclude: excludeRequestId }) as RequestRow[];
    return rows.map((row) => this.hydrate(row));
  }

  async listHolders(groupId: string, principalId: string, excludeRequestId: string, endedSince: number): Promise<AccessRequest[]> {
    const rows = this.statements.holders.all({ groupId, principalId, exclude: excludeRequestId, since: endedSince }) as RequestRow[];
    return rows.map((row) => this.hydrate(row));
  }

  async countByState(state: RequestState): Promise<number> {
    return (this.statements.countByState.get(state) as { n: number }).n;
  }

  async listDue(deadline: Deadline, now: number, limit: number): Promise<AccessRequest[]> {
    return (this.dueRows(deadline, now, limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  private dueRows(deadline: Deadline, now: number, limit: number): unknown[] {
    switch (deadline.kind) {
      case 'pending_timeout':
        return this.statements.pendingDue.all(now, limit);
      case 'expiry':
        return this.statements.expiryDue.all(now, limit);
      case 'expiry_warning':
        return this.statements.warningDue.all(now + deadline.warningMs, limit);
      case 'break_glass_realert':
        return this.statements.realertDue.all(now, limit);
      case 'reminder':
        return this.statements.reminderDue.all(now, limit);
      case 'escalation':
        return this.statements.escalationDue.all(now, limit);
    }
  }

  async listUnreviewedBreakGlass(limit: number): Promise<AccessRequest[]> {
    return (this.statements.unreviewed.all(limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async listPendingExtensions(limit: number): Promise<AccessRequest[]> {
    return (this.statements.pendingExtensions.all(limit) as RequestRow[]).map((row) => this.hydrate(row));
  }

  async nextDeadline(warningMs: number): Promise<number | undefined> {
    const row = this.statements.nextDeadline.get({ warning: warningMs }) as { at: number | null };
    return row.at ?? undefined;
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
