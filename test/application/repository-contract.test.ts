// One contract for the request store and the job queue, held by the SQLite and PostgreSQL adapters and the
// hand-written fake alike, so the stores cannot drift apart, nor the fake the use-case tests rely on from them.

import { describe, expect, it } from 'vitest';
import { PostgresJobQueue } from '../../src/adapters/postgres/job-queue.js';
import { PostgresRequestRepository } from '../../src/adapters/postgres/request-repository.js';
import { SqliteJobQueue } from '../../src/adapters/sqlite/job-queue.js';
import { SqliteRequestRepository } from '../../src/adapters/sqlite/request-repository.js';
import type { JobQueue, RequestRepository } from '../../src/application/ports.js';
import {
  type AccessRequest,
  approve,
  confirmGrant,
  failGrant,
  fieldsOf,
  jobPriority,
  journalGrantCall,
  openRequest,
  type RequestFields,
  recordCleanup,
  type Transition,
  type TransitionResult,
  timeOut,
} from '../../src/domain/access-request.js';
import { acknowledgeBreakGlass, breakGlass, realertBreakGlass } from '../../src/domain/break-glass.js';
import { confirmEnd, endHeldElsewhere, recordLingeringAccess, requestEnd, warnOfExpiry } from '../../src/domain/ending.js';
import { approveExtension, askExtension, denyExtension } from '../../src/domain/extension.js';
import { escalateRequest, remindApprovers } from '../../src/domain/reminders.js';
import { openMigratedDatabase } from '../support/database.js';
import { FakeRequestRepository } from '../support/fakes.js';
import { APPROVER_1, APPROVER_2, fields, makeTarget, OUTSIDER, REQUESTER, T0 } from '../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../support/postgres.js';

const MINUTE = 60_000;
const target = makeTarget();
const PERSON = '33333333-3333-4333-8333-333333333333';

/**
 * `leasesRunOut` ends every lease held now by the store's own clock. PostgreSQL leases by the database's clock,
 * whatever `now` a replica passes, so there the leases are moved into the past; SQLite and the fake lease by the
 * `now` they are given, which the tests move past the lease.
 */
type Store = { requests: RequestRepository; jobs: JobQueue; leasesRunOut: () => Promise<void> };
const byTheCallersClock = async () => {};
const stores: [string, () => Store | Promise<Store>][] = [
  [
    'the in-memory fake',
    () => {
      const fake = new FakeRequestRepository();
      return { requests: fake, jobs: fake, leasesRunOut: byTheCallersClock };
    },
  ],
  [
    'SQLite',
    () => {
      const db = openMigratedDatabase();
      return { requests: new SqliteRequestRepository(db), jobs: new SqliteJobQueue(db), leasesRunOut: byTheCallersClock };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const { pool } = await migratedDatabaseForThisTest();
      return {
        requests: new PostgresRequestRepository(pool),
        jobs: new PostgresJobQueue(pool, 'replica-contract'),
        leasesRunOut: async () => {
          await pool.query(
            "UPDATE jobs SET locked_until = (extract(epoch from statement_timestamp()) * 1000)::bigint - 1 WHERE state = 'running'",
          );
        },
      };
    },
  ],
];

function must(result: TransitionResult) {
  if (!result.ok) throw new Error(`transition refused: ${result.code}`);
  return result;
}

describe.each(stores)('the request store contract: %s', (_name, makeStore) => {
  async function step(
    store: Store,
    request: AccessRequest,
    decide: (request: AccessRequest) => TransitionResult,
    at: number,
  ): Promise<AccessRequest> {
    const change = must(decide(request));
    expect(await store.requests.apply(request, change, at)).toBe(true);
    return change.request;
  }

  async function opened(store: Store, id: string, principalId = PERSON, on = target, at = T0): Promise<AccessRequest> {
    const transition = openRequest({
      id,
      requesterId: REQUESTER,
      principalId,
      target: on,
      reason: 'Investigating INC-42',
      durationMinutes: 60,
      pendingTimeoutMinutes: 240,
      now: at,
    });
    await store.requests.create(transition, at);
    return transition.request;
  }

  async function activeGrant(store: Store, id: string, principalId = PERSON): Promise<AccessRequest> {
    let request = await opened(store, id, principalId);
    request = await step(store, request, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    request = await step(store, request, (r) => journalGrantCall(r, target.grant, T0 + 2000), T0 + 2000);
    const grant = { kind: target.grant.kind, groupId: target.grant.groupId, principalId };
    return step(store, request, (r) => confirmGrant(r, grant, T0 + 3000), T0 + 3000);
  }

  it('reads back every field it stored, the journal and the cleanup included', async () => {
    const store = await makeStore();
    let request = await opened(store, 'req_A');
    request = await step(store, request, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    request = await step(store, request, (r) => journalGrantCall(r, target.grant, T0 + 2000), T0 + 2000);
    expect(await store.requests.find('req_A')).toEqual(request);
    request = await step(store, request, (r) => failGrant(r, 'lost, then 403', T0 + 3000, { mayHaveGranted: true }), T0 + 3000);
    request = await step(store, request, (r) => recordCleanup(r, 'removed', T0 + 4000), T0 + 4000);
    expect(await store.requests.find('req_A')).toEqual(request);
    expect(request).toMatchObject({ grantCall: { sentAt: T0 + 2000 }, cleanup: { at: T0 + 4000, result: 'removed' } });
  });

  it('reads back every field a request can hold, each one set, whether written when it was opened or by a change', async () => {
    const store = await makeStore();
    // Required: a field added to RequestFields fails to compile here until this test sets it too. No transition
    // writes all of them at once (no state holds them all), but the store keeps and reads back whatever it is given.
    const everything: Required<RequestFields> = {
      id: 'req_A',
      requesterId: REQUESTER,
      principalId: PERSON,
      principalName: 'person@contoso.example',
      email: 'person@example.com',
      targetId: target.id,
      reason: 'Investigating INC-42',
      durationMinutes: 90,
      requiredApprovals: 2,
      state: 'ended',
      version: 3,
      createdAt: T0,
      pendingUntil: T0 + 240 * MINUTE,
      approvals: [{ approverId: APPROVER_1, at: T0 + 1000 }],
      incident: { id: 'Q1INCIDENT', number: 1234, title: 'Checkout latency above 2 s' },
      autoApprovedBy: 'PagerDuty on-call (schedule PSCHED01)',
      denial: { by: APPROVER_2, at: T0 + 1100, comment: 'Use the read replica' },
      cancelledAt: T0 + 1200,
      decidedAt: T0 + 1300,
      grantCall: { sentAt: T0 + 2000, kind: target.grant.kind, groupId: target.grant.groupId },
      cleanup: { at: T0 + 2100, result: 'covered' },
      keptBy: 'req_K',
      heldBy: 'sched-admin',
      removal: 'held',
      signOut: { at: T0 + 2200, tokensRevoked: 2, sessionsEnded: 3, otherAccounts: 1 },
      grant: { kind: target.grant.kind, groupId: target.grant.groupId, principalId: PERSON, reference: 'sched-1' },
      grantedAt: T0 + 3000,
      endsAt: T0 + 3000 + 90 * MINUTE,
      ending: { reason: 'revoked', by: APPROVER_1, at: T0 + 4000 },
      endedAt: T0 + 5000,
      endReason: 'revoked',
      failure: 'lost, then 403',
      expiryWarnedAt: T0 + 3500,
      change: { sysId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', number: 'CHG0030001', state: 'closed' },
      changeProblem: 'ServiceNow answered 503',
      extendedMinutes: 30,
      extension: {
        minutes: 30,
        reason: 'The <migration> & its "checks"',
        askedAt: T0 + 3600,
        approvals: [{ approverId: APPROVER_2, at: T0 + 3700 }],
        decision: { result: 'denied', by: APPROVER_1, at: T0 + 3800, comment: 'Tomorrow' },
      },
      breakGlass: { at: T0, realertAt: T0 + 60 * MINUTE, review: { by: APPROVER_2, at: T0 + 4500 } },
      remindAt: T0 + 45 * MINUTE,
      remindersSent: 1,
      escalateAt: T0 + 60 * MINUTE,
      escalatedAt: T0 + 61 * MINUTE,
    };
    const written = (request: RequestFields, from: RequestFields | null): Transition => ({
      ok: true,
      request: request as AccessRequest,
      audit: { action: 'stored', actor: 'system', from: from?.state ?? null, to: request.state, detail: {} },
      jobs: [],
    });
    // The request's own row, every column set at once when it is opened.
    const { approvals, denial, grant, grantedAt, endsAt, endedAt, endReason, removal, ...row } = everything;
    // Opened as cancelled: the one state that needs none of the fields kept elsewhere (decisions, the grant).
    const opened = { ...row, state: 'cancelled' as const, id: 'req_B', approvals: [] };
    await store.requests.create(written(opened, null), T0);
    expect(await store.requests.find('req_B')).toEqual(opened);

    // Every field, its decisions and grant among them, set by changes; the end comes after the grant, as it always does.
    const pending = { ...row, state: 'pending' as const, version: 1, approvals: [] };
    await store.requests.create(written(pending, null), T0);
    const active = { ...row, state: 'active' as const, version: 2, approvals, denial, grant, grantedAt, endsAt };
    expect(await store.requests.apply(pending as AccessRequest, written(active, pending), T0 + 3000)).toBe(true);
    expect(await store.requests.find('req_A')).toEqual(active);
    expect(await store.requests.apply(active as AccessRequest, written(everything, active), T0 + 5000)).toBe(true);
    expect(await store.requests.find('req_A')).toEqual(everything);
  });

  it('writes nothing when the stored request changed since it was read (compare-and-set)', async () => {
    const store = await makeStore();
    const request = await opened(store, 'req_A');
    await step(store, request, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    const stale = must(approve(request, { ...target, approvers: { ...target.approvers, users: ['U0OTHER'] } }, 'U0OTHER', T0 + 1000));
    expect(await store.requests.apply(request, stale, T0 + 1000)).toBe(false);
    expect((await store.requests.find('req_A'))?.approvals.map((a) => a.approverId)).toEqual([APPROVER_1]);
  });

  it('writes the timed changes of many requests at once, each by compare-and-set on its own', async () => {
    const store = await makeStore();
    const due = T0 + 240 * MINUTE;
    const requests = [await opened(store, 'req_A'), await opened(store, 'req_B'), await opened(store, 'req_C')];
    await step(store, requests[1] as AccessRequest, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    const changes = requests.map((previous) => ({ previous, change: must(timeOut(previous, due)) }));

    expect(await store.requests.applyAll(changes, due)).toEqual([true, false, true]);
    const stored = await Promise.all(['req_A', 'req_B', 'req_C'].map((id) => store.requests.find(id)));
    expect(stored.map((request) => request?.state)).toEqual(['timed_out', 'approved', 'timed_out']);
    const told = await store.jobs.claimDue(due, 10, MINUTE, ['notify']);
    expect(told.filter((job) => job.event === 'timed_out').map((job) => job.requestId)).toEqual(['req_A', 'req_C']);
    expect(await store.requests.applyAll([], due)).toEqual([]);
  });

  it('refuses to write at once a change that is not timed, and writes none of the others', async () => {
    const store = await makeStore();
    const [first, second] = [await opened(store, 'req_A'), await opened(store, 'req_B')];
    const changes = [
      { previous: first, change: must(timeOut(first, T0 + 240 * MINUTE)) },
      { previous: second, change: must(approve(second, target, APPROVER_1, T0 + 1000)) },
    ];
    await expect(store.requests.applyAll(changes, T0 + 240 * MINUTE)).rejects.toThrow(/timed changes only/);
    expect((await store.requests.find('req_A'))?.state).toBe('pending');
    expect((await store.requests.find('req_B'))?.approvals).toEqual([]);
  });

  it('finds the grants that hold or are removing a membership: active ones ending or not, approved ones sent, and recent or keeping ends', async () => {
    const store = await makeStore();
    const ids = (requests: AccessRequest[]) => requests.map((r) => r.id).sort();
    const holders = (exclude: string, since: number) => store.requests.listHolders(target.grant.groupId, PERSON, exclude, since);
    const first = await activeGrant(store, 'req_A');
    const second = await activeGrant(store, 'req_B', PERSON.toUpperCase());
    expect(ids(await holders('req_C', T0))).toEqual(['req_A', 'req_B']);
    expect(await store.requests.listHolders(target.grant.groupId, '44444444-4444-4444-8444-444444444444', 'x', T0)).toEqual([]);

    // Ending: still a holder (it is removing the membership).
    const ending = await step(store, first, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    expect(ids(await holders('req_C', T0))).toEqual(['req_A', 'req_B']);
    let waiting = await opened(store, 'req_C');
    waiting = await step(store, waiting, (r) => approve(r, target, APPROVER_1, T0 + 6000), T0 + 6000);
    expect(ids(await holders('req_X', T0))).toEqual(['req_A', 'req_B']);
    await step(store, waiting, (r) => journalGrantCall(r, target.grant, T0 + 7000), T0 + 7000);
    expect(ids(await holders('req_X', T0))).toEqual(['req_A', 'req_B', 'req_C']);

    // Ended: a holder for the request it kept the membership for, and for anyone asking about ends since then.
    await step(store, ending, (r) => confirmEnd(r, T0 + 8000, { outcome: 'kept', keptBy: 'req_C' }), T0 + 8000);
    expect(ids(await holders('req_C', T0 + 9000))).toEqual(['req_A', 'req_B']);
    expect(ids(await holders('req_X', T0 + 9000))).toEqual(['req_B', 'req_C']);
    expect(ids(await holders('req_X', T0 + 8000))).toEqual(['req_A', 'req_B', 'req_C']);
    const secondEnding = await step(store, second, (r) => requestEnd(r, 'released', REQUESTER, T0 + 9000), T0 + 9000);
    await step(store, secondEnding, (r) => confirmEnd(r, T0 + 10_000, { outcome: 'removed' }), T0 + 10_000);
    expect(ids(await holders('req_X', T0 + 11_000))).toEqual(['req_C']);
  });

  it('keeps what each end did to the membership, and a removal confirmed later', async () => {
    const store = await makeStore();
    const kept = await activeGrant(store, 'req_A');
    const removed = await activeGrant(store, 'req_B', '44444444-4444-4444-8444-444444444444');
    const held = await activeGrant(store, 'req_C', '55555555-5555-4555-8555-555555555555');
    const end = (request: AccessRequest) => step(store, request, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    const keptEnd = await step(store, await end(kept), (r) => confirmEnd(r, T0 + 6000, { outcome: 'kept', keptBy: 'req_Z' }), T0 + 6000);
    await step(store, await end(removed), (r) => confirmEnd(r, T0 + 6000, { outcome: 'absent' }), T0 + 6000);
    await step(store, await end(held), (r) => endHeldElsewhere(r, T0 + 6000, 'sched-admin'), T0 + 6000);
    expect(fields(await store.requests.find('req_A'))?.removal).toBe('kept');
    expect(fields(await store.requests.find('req_B'))?.removal).toBe('absent');
    expect(fields(await store.requests.find('req_C'))?.removal).toBe('held');

    const lingering = await step(store, keptEnd, (r) => recordLingeringAccess(r, true), T0 + 7000);
    expect(await store.requests.find('req_A')).toEqual(lingering);
    expect(lingering).toMatchObject({ removal: 'removed', endedAt: T0 + 6000, keptBy: 'req_Z' });
  });

  it('finds the other grants that hold the same membership: active ones not ending, and approved ones already sent', async () => {
    const store = await makeStore();
    const first = await activeGrant(store, 'req_A');
    await activeGrant(store, 'req_B', PERSON.toUpperCase());
    expect((await store.requests.listCovering(target.grant.groupId, PERSON, 'req_A')).map((r) => r.id)).toEqual(['req_B']);
    expect(await store.requests.listCovering(target.grant.groupId, '44444444-4444-4444-8444-444444444444', 'x')).toEqual([]);

    await step(store, first, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    expect(await store.requests.listCovering(target.grant.groupId, PERSON, 'req_B')).toEqual([]);

    let waiting = await opened(store, 'req_C');
    waiting = await step(store, waiting, (r) => approve(r, target, APPROVER_1, T0 + 6000), T0 + 6000);
    expect(await store.requests.listCovering(target.grant.groupId, PERSON, 'req_B')).toEqual([]);
    await step(store, waiting, (r) => journalGrantCall(r, target.grant, T0 + 7000), T0 + 7000);
    expect((await store.requests.listCovering(target.grant.groupId, PERSON, 'req_B')).map((r) => r.id)).toEqual(['req_C']);
  });

  it('pages through the active grants not ending, and the grants ended since a time, in id order', async () => {
    const store = await makeStore();
    await activeGrant(store, 'req_A');
    const second = await activeGrant(store, 'req_B', '44444444-4444-4444-8444-444444444444');
    await activeGrant(store, 'req_C', '55555555-5555-4555-8555-555555555555');
    const ending = await step(store, second, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    const ids = (requests: AccessRequest[]) => requests.map((request) => request.id);

    expect(ids(await store.requests.listActiveGrants('', 10))).toEqual(['req_A', 'req_C']);
    expect(ids(await store.requests.listActiveGrants('', 1))).toEqual(['req_A']);
    expect(ids(await store.requests.listActiveGrants('req_A', 1))).toEqual(['req_C']);
    expect(await store.requests.listActiveGrants('req_C', 10)).toEqual([]);

    expect(await store.requests.listEndedSince(T0, '', 10)).toEqual([]);
    await step(store, ending, (r) => confirmEnd(r, T0 + 6000, { outcome: 'removed' }), T0 + 6000);
    expect(ids(await store.requests.listEndedSince(T0 + 6000, '', 10))).toEqual(['req_B']);
    expect(await store.requests.listEndedSince(T0 + 6000, 'req_B', 10)).toEqual([]);
    expect(await store.requests.listEndedSince(T0 + 6001, '', 10)).toEqual([]);
  });

  it('keeps the request that covers an end', async () => {
    const store = await makeStore();
    const first = await activeGrant(store, 'req_A');
    const ending = await step(store, first, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    const ended = await step(store, ending, (r) => confirmEnd(r, T0 + 6000, { outcome: 'kept', keptBy: 'req_B' }), T0 + 6000);
    expect(await store.requests.find('req_A')).toEqual(ended);
    expect(fieldsOf(ended).keptBy).toBe('req_B');
  });

  it('keeps the assignment outside the bot that holds an ended grant’s membership, and a cleaned-up one’s', async () => {
    const store = await makeStore();
    const first = await activeGrant(store, 'req_A');
    const ending = await step(store, first, (r) => requestEnd(r, 'expired', 'system', T0 + 61 * MINUTE), T0 + 61 * MINUTE);
    const ended = await step(store, ending, (r) => endHeldElsewhere(r, T0 + 62 * MINUTE, 'sched-admin'), T0 + 62 * MINUTE);
    expect(await store.requests.find('req_A')).toEqual(ended);
    expect(ended).toMatchObject({ state: 'ended', heldBy: 'sched-admin' });

    let failed = await opened(store, 'req_B');
    failed = await step(store, failed, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    failed = await step(store, failed, (r) => journalGrantCall(r, target.grant, T0 + 2000), T0 + 2000);
    failed = await step(store, failed, (r) => failGrant(r, '403', T0 + 3000), T0 + 3000);
    failed = await step(store, failed, (r) => recordCleanup(r, 'standing', T0 + 4000, { heldBy: 'sched-other' }), T0 + 4000);
    expect(await store.requests.find('req_B')).toEqual(failed);
  });

  it('lists the failed requests whose grant call was sent and whose cleanup never ran, oldest first', async () => {
    const store = await makeStore();
    const fail = async (id: string, journal: boolean) => {
      let request = await opened(store, id);
      request = await step(store, request, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
      if (journal) request = await step(store, request, (r) => journalGrantCall(r, target.grant, T0 + 2000), T0 + 2000);
      return step(store, request, (r) => failGrant(r, '403', T0 + 3000), T0 + 3000);
    };
    const sent = await fail('req_A', true);
    await fail('req_B', false);
    const cleaned = await fail('req_C', true);
    await fail('req_D', true);
    await activeGrant(store, 'req_E');
    await step(store, cleaned, (r) => recordCleanup(r, 'absent', T0 + 4000), T0 + 4000);
    expect((await store.requests.listUncleaned(10)).map((r) => r.id)).toEqual(['req_A', 'req_D']);
    expect(await store.requests.listUncleaned(1)).toEqual([sent]);
  });

  it('lists grants due to end and the next deadline', async () => {
    const store = await makeStore();
    const active = await activeGrant(store, 'req_A');
    const endsAt = fieldsOf(active).endsAt ?? 0;
    expect(endsAt).toBe(T0 + 2000 + 60 * MINUTE);
    expect(await store.requests.listDue({ kind: 'expiry' }, endsAt - 1, 10)).toEqual([]);
    expect((await store.requests.listDue({ kind: 'expiry' }, endsAt, 10)).map((r) => r.id)).toEqual(['req_A']);
    expect(await store.requests.nextDeadline(10 * MINUTE)).toBe(endsAt - 10 * MINUTE);
  });

  it('moves the stored end of an extended grant, so the sweep, the warning and the next deadline read the new end', async () => {
    const store = await makeStore();
    const active = await activeGrant(store, 'req_A');
    const warned = await step(store, active, (r) => warnOfExpiry(r, 10, T0 + 55 * MINUTE), T0 + 55 * MINUTE);
    const endsAt = fieldsOf(warned).endsAt ?? 0;
    const rule = makeTarget({ extension: { maxTotalMinutes: 120, approval: 'auto' } });
    const extended = await step(
      store,
      warned,
      (r) => askExtension(r, rule, REQUESTER, { minutes: 30, reason: 'Still migrating' }, T0 + 56 * MINUTE),
      T0 + 56 * MINUTE,
    );
    expect(await store.requests.find('req_A')).toEqual(extended);
    expect(fields(extended)).toMatchObject({ endsAt: endsAt + 30 * MINUTE, extendedMinutes: 30 });
    expect(fields(extended)?.expiryWarnedAt).toBeUndefined();
    expect(await store.requests.listDue({ kind: 'expiry' }, endsAt, 10)).toEqual([]);
    expect((await store.requests.listDue({ kind: 'expiry' }, endsAt + 30 * MINUTE, 10)).map((r) => r.id)).toEqual(['req_A']);
    expect(await store.requests.nextDeadline(10 * MINUTE)).toBe(endsAt + 20 * MINUTE);
    expect(
      (await store.requests.listDue({ kind: 'expiry_warning', warningMs: 10 * MINUTE }, endsAt + 20 * MINUTE, 10)).map((r) => r.id),
    ).toEqual(['req_A']);
    const jobs = await store.jobs.claimDue(T0 + 57 * MINUTE, 100, 30_000, ['extend']);
    expect(jobs.map((job) => job.kind)).toEqual(['extend']);
  });

  it('lists a break-glass as unreviewed until someone reviews it, and as due to alert again once its hour is up', async () => {
    const store = await makeStore();
    const glassTarget = makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } });
    const input = { requesterId: REQUESTER, principalId: PERSON, target: glassTarget, reason: 'Outage', durationMinutes: 60 };
    const opening = { ...input, pendingTimeoutMinutes: 240 };
    const first = must(breakGlass({ ...opening, id: 'req_A', now: T0 }));
    const second = must(breakGlass({ ...opening, id: 'req_B', now: T0 + MINUTE }));
    await store.requests.create(first, T0);
    await store.requests.create(second, T0 + MINUTE);
    await opened(store, 'req_C');
    expect((await store.requests.listUnreviewedBreakGlass(10)).map((r) => r.id)).toEqual(['req_A', 'req_B']);
    expect(await store.requests.nextDeadline(10 * MINUTE)).toBe(T0 + 60 * MINUTE);
    expect((await store.requests.listDue({ kind: 'break_glass_realert' }, T0 + 60 * MINUTE, 10)).map((r) => r.id)).toEqual(['req_A']);

    const realerted = await step(store, first.request, (r) => realertBreakGlass(r, T0 + 60 * MINUTE), T0 + 60 * MINUTE);
    expect(await store.requests.find('req_A')).toEqual(realerted);
    expect(await store.requests.listDue({ kind: 'break_glass_realert' }, T0 + 60 * MINUTE, 10)).toEqual([]);
    const reviewer = { approver: true, admin: false };
    await step(store, second.request, (r) => acknowledgeBreakGlass(r, APPROVER_1, T0 + 2 * MINUTE, reviewer), T0 + 2 * MINUTE);
    expect((await store.requests.listUnreviewedBreakGlass(10)).map((r) => r.id)).toEqual(['req_A']);
    expect(fields(await store.requests.find('req_B'))?.breakGlass).toEqual({
      at: T0 + MINUTE,
      review: { by: APPROVER_1, at: T0 + 2 * MINUTE },
    });
  });

  it('lists a waiting request as due for its reminder and its escalation until each is done, and neither once it is decided', async () => {
    const store = await makeStore();
    const chased = makeTarget({
      approvers: { ...target.approvers, remindAfterMinutes: 15, escalate: { afterMinutes: 60, users: [OUTSIDER] } },
    });
    const first = await opened(store, 'req_A', PERSON, chased, T0);
    const second = await opened(store, 'req_B', PERSON, chased, T0 + MINUTE);
    await opened(store, 'req_C');
    const due = async (kind: 'reminder' | 'escalation', at: number) =>
      (await store.requests.listDue({ kind }, at, 10)).map((request) => request.id);
    expect(await store.requests.nextDeadline(10 * MINUTE)).toBe(T0 + 15 * MINUTE);
    expect(await due('reminder', T0 + 15 * MINUTE - 1)).toEqual([]);
    expect(await due('reminder', T0 + 16 * MINUTE)).toEqual(['req_A', 'req_B']);
    expect(await due('escalation', T0 + 60 * MINUTE - 1)).toEqual([]);

    const reminded = await step(store, first, (r) => remindApprovers(r, chased, T0 + 15 * MINUTE), T0 + 15 * MINUTE);
    expect(await store.requests.find('req_A')).toEqual(reminded);
    expect(fields(reminded)).toMatchObject({ remindersSent: 1, remindAt: T0 + 45 * MINUTE });
    expect(await due('reminder', T0 + 16 * MINUTE)).toEqual(['req_B']);
    await step(store, second, (r) => approve(r, chased, APPROVER_1, T0 + 17 * MINUTE), T0 + 17 * MINUTE);
    expect(await due('reminder', T0 + 2 * 60 * MINUTE)).toEqual(['req_A']);
    expect(await due('escalation', T0 + 2 * 60 * MINUTE)).toEqual(['req_A']);
    expect(await store.requests.nextDeadline(10 * MINUTE)).toBe(T0 + 45 * MINUTE);

    const escalated = await step(store, reminded, (r) => escalateRequest(r, chased, T0 + 60 * MINUTE), T0 + 60 * MINUTE);
    expect(await store.requests.find('req_A')).toEqual(escalated);
    expect(fields(escalated)).toMatchObject({ escalatedAt: T0 + 60 * MINUTE });
    expect(fields(escalated)?.escalateAt).toBeUndefined();
    expect(await due('escalation', T0 + 2 * 60 * MINUTE)).toEqual([]);
  });

  it('lists the extensions still waiting for the approvers, the one asked for first first, and none once decided', async () => {
    const store = await makeStore();
    const rule = makeTarget({ extension: { maxTotalMinutes: 240, approval: 'approvers' } });
    const ask = (request: AccessRequest, at: number) =>
      step(store, request, (r) => askExtension(r, rule, REQUESTER, { minutes: 30, reason: 'Still migrating' }, at), at);
    const later = await ask(await activeGrant(store, 'req_A'), T0 + 56 * MINUTE);
    const earlier = await ask(await activeGrant(store, 'req_B', '44444444-4444-4444-8444-444444444444'), T0 + 50 * MINUTE);
    await activeGrant(store, 'req_C', '55555555-5555-4555-8555-555555555555');
    const denied = await ask(await activeGrant(store, 'req_D', '66666666-6666-4666-8666-666666666666'), T0 + 40 * MINUTE);
    await step(store, denied, (r) => denyExtension(r, rule, APPROVER_1, T0 + 41 * MINUTE), T0 + 41 * MINUTE);
    const listed = async (limit: number) => (await store.requests.listPendingExtensions(limit)).map((request) => request.id);

    expect(await listed(10)).toEqual(['req_B', 'req_A']);
    expect(await listed(1)).toEqual(['req_B']);
    expect((await store.requests.listPendingExtensions(10))[0]).toEqual(earlier);
    await step(store, later, (r) => approveExtension(r, rule, APPROVER_1, T0 + 57 * MINUTE), T0 + 57 * MINUTE);
    expect(await listed(10)).toEqual(['req_B']);
  });

  it('leases due jobs revocations first, lets nobody else claim them until the lease runs out, and completes them', async () => {
    const store = await makeStore();
    const active = await activeGrant(store, 'req_A');
    await step(store, active, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    const claimed = await store.jobs.claimDue(T0 + 5000, 1, 30_000);
    expect(claimed.map((job) => job.kind)).toEqual(['revoke']);
    const [revoke] = claimed;
    if (!revoke) throw new Error('no job');
    expect((await store.jobs.claimDue(T0 + 5000, 100, 30_000)).map((job) => job.id)).not.toContain(revoke.id);
    await store.leasesRunOut();
    const again = (await store.jobs.claimDue(T0 + 35_000, 100, 30_000)).find((job) => job.id === revoke.id);
    expect(again?.attempts).toBe(2);
    expect(await store.jobs.complete(revoke, T0 + 36_000)).toBe(false);
    expect(await store.jobs.complete(again ?? revoke, T0 + 36_000)).toBe(true);
    expect((await store.jobs.claimDue(T0 + 99_000, 100, 30_000)).map((job) => job.id)).not.toContain(revoke.id);
  });

  it('hands out due jobs by kind, revocations, grants, Boundary sign-outs, then messages, oldest first within a kind', async () => {
    const store = await makeStore();
    const ended = await activeGrant(store, 'req_A');
    const ending = await step(store, ended, (r) => requestEnd(r, 'released', REQUESTER, T0 + 5000), T0 + 5000);
    await step(store, ending, (r) => confirmEnd(r, T0 + 6000, { outcome: 'removed' }, true), T0 + 6000);
    const waiting = await activeGrant(store, 'req_B', '44444444-4444-4444-8444-444444444444');
    await step(store, waiting, (r) => requestEnd(r, 'released', REQUESTER, T0 + 7000), T0 + 7000);
    const claimed = await store.jobs.claimDue(T0 + 9000, 100, 30_000);
    expect(new Set(claimed.map((job) => job.kind))).toEqual(new Set(['revoke', 'grant', 'sign_out', 'notify']));
    const sorted = [...claimed].sort((a, b) => jobPriority(a.kind) - jobPriority(b.kind) || a.runAt - b.runAt || a.id - b.id);
    expect(claimed.map((job) => job.id)).toEqual(sorted.map((job) => job.id));
    expect(claimed.filter((job) => job.kind === 'revoke').map((job) => job.requestId)).toEqual(['req_A', 'req_B']);
  });

  it('fences a lease: once another pass claimed the job again, the first claimer can neither settle it nor record its outcome', async () => {
    const store = await makeStore();
    let request = await opened(store, 'req_A');
    request = await step(store, request, (r) => approve(r, target, APPROVER_1, T0 + 1000), T0 + 1000);
    const [slow] = await store.jobs.claimDue(T0 + 1000, 1, 30_000, ['grant']);
    await store.leasesRunOut();
    const [takeover] = await store.jobs.claimDue(T0 + 31_000, 1, 30_000, ['grant']);
    if (!slow || !takeover) throw new Error('no job');
    expect(takeover.id).toBe(slow.id);
    const journaled = must(journalGrantCall(request, target.grant, T0 + 32_000));
    expect(await store.requests.apply(request, journaled, T0 + 32_000, { completeJob: slow })).toBe(false);
    expect(await store.requests.find('req_A')).toEqual(request);
    expect(await store.jobs.retry(slow, T0 + 40_000, 'late', T0 + 32_000)).toBe(false);
    expect(await store.jobs.complete(takeover, T0 + 33_000)).toBe(true);
  });

  it('keeps a lease while its holder beats, and hands the job over, marked taken over, once the beats stop', async () => {
    const store = await makeStore();
    await opened(store, 'req_A');
    const [held] = await store.jobs.claimDue(T0, 1, 30_000);
    if (!held) throw new Error('no job');
    expect(held.takenOver).toBe(false);
    expect(await store.jobs.heartbeat([held], T0 + 20_000, 30_000)).toBe(1);
    expect(await store.jobs.claimDue(T0 + 40_000, 10, 30_000)).toEqual([]);
    // PostgreSQL tells the lease's end as the time left on it by its own clock, so not to the millisecond.
    const next = await store.jobs.nextRunAt(T0 + 20_000);
    expect(next).toBeGreaterThan(T0 + 20_000);
    expect(next).toBeLessThanOrEqual(T0 + 50_000);
    await store.leasesRunOut();
    const [taken] = await store.jobs.claimDue(T0 + 50_000, 10, 30_000);
    expect(taken).toMatchObject({ id: held.id, attempts: 2, takenOver: true });
    // The first holder's lease is gone: its beats keep nothing, and it can no longer settle the job.
    expect(await store.jobs.heartbeat([held], T0 + 51_000, 30_000)).toBe(0);
    expect(await store.jobs.complete(held, T0 + 51_000)).toBe(false);
    expect(await store.jobs.complete(taken ?? held, T0 + 51_000)).toBe(true);
  });

  it('runs a retried job at its new time, and never again once buried', async () => {
    const store = await makeStore();
    await opened(store, 'req_A');
    const [notify] = await store.jobs.claimDue(T0, 1, 30_000);
    if (!notify) throw new Error('no job');
    await store.jobs.retry(notify, T0 + 10_000, 'slack said ratelimited', T0);
    expect(await store.jobs.nextRunAt(T0)).toBe(T0 + 10_000);
    expect(await store.jobs.claimDue(T0 + 9_999, 10, 30_000)).toEqual([]);
    const [retried] = await store.jobs.claimDue(T0 + 10_000, 10, 30_000);
    expect(retried).toMatchObject({ id: notify.id, attempts: 2, lastError: 'slack said ratelimited' });
    await store.jobs.bury(retried ?? notify, 'gave up', T0 + 10_000);
    expect(await store.jobs.nextRunAt(T0 + 10_000)).toBeUndefined();
  });
});
