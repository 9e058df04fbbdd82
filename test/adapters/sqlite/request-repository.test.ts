import { describe, expect, it } from 'vitest';
import { auditHash } from '../../../src/adapters/sql/audit-chain.js';
import { SqliteRequestRepository } from '../../../src/adapters/sqlite/request-repository.js';
import { approve, cancel, confirmGrant, deny, fieldsOf, openRequest, SYSTEM } from '../../../src/domain/access-request.js';
import { confirmEnd, requestEnd } from '../../../src/domain/ending.js';
import { sqliteAuditTrail, sqliteJobs } from '../../support/audit-and-jobs.js';
import { openMigratedDatabase, tempDatabaseFile } from '../../support/database.js';
import { APPROVER_1, APPROVER_2, makeTarget, REQUESTER, T0 } from '../../support/fixtures.js';

const target = makeTarget();
const grant = {
  kind: 'pim_group' as const,
  groupId: target.grant.groupId,
  principalId: '33333333-3333-3333-3333-333333333333',
  reference: 'sched-1',
};

function opened(id = 'req_A') {
  return openRequest({
    id,
    requesterId: REQUESTER,
    target,
    reason: 'Investigating incident INC-42',
    durationMinutes: 60,
    pendingTimeoutMinutes: 240,
    now: T0,
  });
}

function must<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`transition refused: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

describe('SqliteRequestRepository', () => {
  it('stores a request and reads back exactly what was stored, through its whole life', async () => {
    const db = openMigratedDatabase();
    const repository = new SqliteRequestRepository(db);
    const created = opened();
    await repository.create(created, T0);
    expect(await repository.find('req_A')).toEqual(created.request);

    const approved = must(approve(created.request, target, APPROVER_1, T0 + 1000));
    expect(await repository.apply(created.request, approved, T0 + 1000)).toBe(true);
    expect(await repository.find('req_A')).toEqual(approved.request);

    const active = must(confirmGrant(approved.request, grant, T0 + 2000));
    expect(await repository.apply(approved.request, active, T0 + 2000)).toBe(true);
    expect(await repository.find('req_A')).toEqual(active.request);

    const ending = must(requestEnd(active.request, 'expired', SYSTEM, fieldsOf(active.request).endsAt ?? 0));
    expect(await repository.apply(active.request, ending, T0 + 3_602_000)).toBe(true);
    const ended = must(confirmEnd(ending.request, T0 + 3_603_000, { outcome: 'removed' }));
    expect(await repository.apply(ending.request, ended, T0 + 3_603_000)).toBe(true);
    expect(await repository.find('req_A')).toEqual(ended.request);

    expect(sqliteAuditTrail(db, 'req_A').map((event) => [event.action, event.stateBefore, event.stateAfter])).toEqual([
      ['requested', null, 'pending'],
      ['approved', 'pending', 'approved'],
      ['granted', 'approved', 'active'],
      ['end_requested', 'active', 'active'],
      ['ended', 'active', 'ended'],
    ]);
    expect(sqliteJobs(db, 'req_A').map((job) => [job.kind, job.event])).toEqual([
      ['notify', 'requested'],
      ['grant', null],
      ['notify', 'approved'],
      ['notify', 'granted'],
      ['revoke', null],
      ['notify', 'ended'],
    ]);
  });

  it('keeps a denial with its comment', async () => {
    const repository = new SqliteRequestRepository(openMigratedDatabase());
    const created = opened();
    await repository.create(created, T0);
    const denied = must(deny(created.request, target, APPROVER_2, T0 + 5, 'Use the read replica'));
    await repository.apply(created.request, denied, T0 + 5);
    expect(await repository.find('req_A')).toEqual(denied.request);
  });

  it('writes nothing when the stored request changed since it was read', async () => {
    const db = openMigratedDatabase();
    const repository = new SqliteRequestRepository(db);
    const created = opened();
    await repository.create(created, T0);
    const cancelled = must(cancel(created.request, REQUESTER, T0 + 1));
    const approved = must(approve(created.request, target, APPROVER_1, T0 + 2));
    expect(await repository.apply(created.request, cancelled, T0 + 1)).toBe(true);
    expect(await repository.apply(created.request, approved, T0 + 2)).toBe(false);

    expect((await repository.find('req_A'))?.state).toBe('cancelled');
    expect(sqliteAuditTrail(db, 'req_A').map((event) => event.action)).toEqual(['requested', 'cancelled']);
    expect(sqliteJobs(db, 'req_A').map((job) => job.kind)).toEqual(['notify', 'notify']);
  });

  it('gives two racing approvals on two connections exactly one approved transition and one grant job', async () => {
    const file = tempDatabaseFile();
    const first = new SqliteRequestRepository(openMigratedDatabase(file));
    const secondDb = openMigratedDatabase(file);
    const second = new SqliteRequestRepository(secondDb);
    await first.create(opened(), T0);

    // Both approvers load the card's request before either writes.
    const seenByFirst = await first.find('req_A');
    const seenBySecond = await second.find('req_A');
    if (!seenByFirst || !seenBySecond) throw new Error('request not stored');
    const byFirst = must(approve(seenByFirst, target, APPROVER_1, T0 + 10));
    const bySecond = must(approve(seenBySecond, target, APPROVER_2, T0 + 10));

    expect([await first.apply(seenByFirst, byFirst, T0 + 10), await second.apply(seenBySecond, bySecond, T0 + 10)]).toEqual([true, false]);
    expect(sqliteAuditTrail(secondDb, 'req_A').filter((event) => event.action === 'approved')).toHaveLength(1);
    expect(sqliteJobs(secondDb, 'req_A').filter((job) => job.kind === 'grant')).toHaveLength(1);
    expect((await second.find('req_A'))?.approvals).toEqual([{ approverId: APPROVER_1, at: T0 + 10 }]);
  });

  it('chains every audit event to the one before, and refuses edits and deletions', async () => {
    const db = openMigratedDatabase();
    const repository = new SqliteRequestRepository(db);
    await repository.create(opened('req_A'), T0);
    await repository.create(opened('req_B'), T0 + 1);
    const [a, b] = [...sqliteAuditTrail(db, 'req_A'), ...sqliteAuditTrail(db, 'req_B')];
    if (!a || !b) throw new Error('audit events missing');

    expect(a.prevHash).toBe('0'.repeat(64));
    expect(b.prevHash).toBe(a.hash);
    expect(b.hash).toBe(
      auditHash({
        seq: b.seq,
        at: b.at,
        requestId: b.requestId,
        actor: b.actor,
        action: b.action,
        stateBefore: b.stateBefore,
        stateAfter: b.stateAfter,
        detail: JSON.stringify(b.detail),
        prevHash: b.prevHash,
      }),
    );
    expect(() => db.prepare("UPDATE audit_events SET actor = 'U0EVIL0001' WHERE seq = 1").run()).toThrow('the audit trail is append-only');
    expect(() => db.prepare('DELETE FROM audit_events WHERE seq = 1').run()).toThrow('the audit trail is append-only');
  });

  it('lists a requester’s requests newest first, and requests by state', async () => {
    const repository = new SqliteRequestRepository(openMigratedDatabase());
    for (const [index, id] of ['req_1', 'req_2', 'req_3'].entries()) {
      const created = openRequest({
        id,
        requesterId: REQUESTER,
        target,
        reason: 'Routine maintenance work',
        durationMinutes: 30,
        pendingTimeoutMinutes: 60,
        now: T0 + index,
      });
      await repository.create(created, T0 + index);
    }
    const req2 = await repository.find('req_2');
    if (!req2) throw new Error('missing');
    await repository.apply(req2, must(cancel(req2, REQUESTER, T0 + 10)), T0 + 10);

    expect((await repository.listByRequester(REQUESTER, 2)).map((request) => request.id)).toEqual(['req_3', 'req_2']);
    expect((await repository.listByState('pending', 10)).map((request) => request.id)).toEqual(['req_1', 'req_3']);
    expect(await repository.listByRequester(APPROVER_1, 10)).toEqual([]);
  });
});
