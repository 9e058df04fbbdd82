import { describe, expect, it } from 'vitest';
import { SqliteJobQueue } from '../../../src/adapters/sqlite/job-queue.js';
import { SqliteRequestRepository } from '../../../src/adapters/sqlite/request-repository.js';
import { type AccessRequest, approve, confirmGrant, openRequest, SYSTEM } from '../../../src/domain/access-request.js';
import { confirmEnd, requestEnd, warnOfExpiry } from '../../../src/domain/ending.js';
import { sqliteJobs } from '../../support/audit-and-jobs.js';
import { openMigratedDatabase } from '../../support/database.js';
import { APPROVER_1, makeTarget, REQUESTER, T0 } from '../../support/fixtures.js';

const target = makeTarget();
const MINUTE = 60_000;

const OPEN = {
  id: 'req_A',
  requesterId: REQUESTER,
  principalId: 'p-1',
  target,
  reason: 'Investigating INC-42',
  durationMinutes: 60,
  pendingTimeoutMinutes: 30,
  now: T0,
};

async function setUp() {
  const db = openMigratedDatabase();
  const requests = new SqliteRequestRepository(db);
  const jobs = new SqliteJobQueue(db);
  const opened = openRequest(OPEN);
  await requests.create(opened, T0);
  return { db, requests, jobs, opened };
}

/** Approves the request at T0+1 and confirms its grant at T0+2, storing both transitions. */
async function activate(requests: SqliteRequestRepository, pending: AccessRequest) {
  const approved = approve(pending, target, APPROVER_1, T0 + 1);
  if (!approved.ok) throw new Error('refused');
  await requests.apply(pending, approved, T0 + 1);
  const active = confirmGrant(approved.request, { kind: 'pim_group', groupId: target.grant.groupId, principalId: 'p-1' }, T0 + 2);
  if (!active.ok) throw new Error('refused');
  await requests.apply(approved.request, active, T0 + 2);
  return active;
}

describe('SqliteJobQueue', () => {
  it('hands every leased job back at start, to run at once: with one process, their holder is gone', async () => {
    const { jobs } = await setUp();
    const [held] = await jobs.claimDue(T0, 1, 60_000);
    expect(await jobs.claimDue(T0 + 1000, 10, 60_000)).toEqual([]);
    expect(jobs.releaseLeases(T0 + 1000)).toBe(1);
    expect((await jobs.claimDue(T0 + 1000, 10, 60_000)).map((job) => job.id)).toEqual([held?.id]);
  });

  it('leases due jobs, hides them while leased, and hands them out again when the lease runs out', async () => {
    const { jobs } = await setUp();
    const [first] = await jobs.claimDue(T0, 10, 30_000);
    expect(first).toMatchObject({ kind: 'notify', event: 'requested', state: 'running', attempts: 1 });
    expect(await jobs.claimDue(T0 + 29_999, 10, 30_000)).toEqual([]);
    expect(await jobs.nextRunAt()).toBe(T0 + 30_000);
    expect(await jobs.claimDue(T0 + 30_000, 10, 30_000)).toMatchObject([{ id: first?.id, attempts: 2 }]);
  });

  it('hands out due revocations before anything else', async () => {
    const { requests, jobs, opened } = await setUp();
    const active = await activate(requests, opened.request);
    const ending = requestEnd(active.request, 'expired', SYSTEM, T0 + 60 * MINUTE + 2);
    if (!ending.ok) throw new Error('refused');
    await requests.apply(active.request, ending, T0 + 60 * MINUTE + 2);
    expect((await jobs.claimDue(T0 + 60 * MINUTE + 2, 1, 30_000)).map((job) => job.kind)).toEqual(['revoke']);
  });

  it('hands out Entra removals before the Boundary sign-outs of grants that already ended in Entra', async () => {
    const { requests, jobs, opened } = await setUp();
    // req_A ends first; Entra confirms it, and its Boundary step is queued.
    const first = await activate(requests, opened.request);
    const ending = requestEnd(first.request, 'released', REQUESTER, T0 + 10);
    if (!ending.ok) throw new Error('refused');
    await requests.apply(first.request, ending, T0 + 10);
    const [entra] = await jobs.claimDue(T0 + 10, 1, 30_000, ['revoke']);
    const ended = confirmEnd(ending.request, T0 + 11, { outcome: 'removed' }, true);
    if (!entra || !ended.ok) throw new Error('refused');
    await requests.apply(ending.request, ended, T0 + 11, { completeJob: entra });

    // req_B's end is due later, yet its Entra removal goes first.
    const second = openRequest({ ...OPEN, id: 'req_B', now: T0 });
    await requests.create(second, T0);
    const active = await activate(requests, second.request);
    const later = requestEnd(active.request, 'released', REQUESTER, T0 + 20);
    if (!later.ok) throw new Error('refused');
    await requests.apply(active.request, later, T0 + 20);
    const claimed = await jobs.claimDue(T0 + 20, 2, 30_000, ['revoke', 'sign_out']);
    expect(claimed.map((job) => `${job.kind} ${job.requestId}`)).toEqual(['revoke req_B', 'sign_out req_A']);
  });

  it('claims only the kinds asked for', async () => {
    const { jobs } = await setUp();
    expect(await jobs.claimDue(T0, 10, 30_000, ['grant', 'revoke'])).toEqual([]);
    expect((await jobs.claimDue(T0, 10, 30_000, ['notify'])).map((job) => job.kind)).toEqual(['notify']);
  });

  it('retries at the given time with the error, completes, and buries', async () => {
    const { jobs } = await setUp();
    const [job] = await jobs.claimDue(T0, 10, 30_000);
    if (!job) throw new Error('no job');
    await jobs.retry(job, T0 + 5000, 'slack down', T0);
    expect(await jobs.claimDue(T0 + 4999, 10, 30_000)).toEqual([]);
    const [again] = await jobs.claimDue(T0 + 5000, 10, 30_000);
    expect(again).toMatchObject({ id: job.id, lastError: 'slack down', attempts: 2 });
    expect(await jobs.bury(again ?? job, 'gave up', T0 + 6000)).toBe(true);
    expect(await jobs.claimDue(T0 + 99 * MINUTE, 10, 30_000)).toEqual([]);
    expect(await jobs.nextRunAt()).toBeUndefined();
  });

  it('completes a job in the same transaction as the transition that records its effect', async () => {
    const { db, requests, jobs, opened } = await setUp();
    const approved = approve(opened.request, target, APPROVER_1, T0 + 1);
    if (!approved.ok) throw new Error('refused');
    await requests.apply(opened.request, approved, T0 + 1);
    const grantJob = (await jobs.claimDue(T0 + 2, 10, 30_000)).find((job) => job.kind === 'grant');
    if (!grantJob) throw new Error('no grant job');
    const active = confirmGrant(approved.request, { kind: 'pim_group', groupId: target.grant.groupId, principalId: 'p-1' }, T0 + 3);
    if (!active.ok) throw new Error('refused');

    // A stale write (the request changed under it) neither records the transition nor completes the job.
    expect(await requests.apply(opened.request, active, T0 + 3, { completeJob: grantJob })).toBe(false);
    expect(sqliteJobs(db, 'req_A').find((job) => job.id === grantJob.id)?.state).toBe('running');
    expect(await requests.apply(approved.request, active, T0 + 3, { completeJob: grantJob })).toBe(true);
    expect(sqliteJobs(db, 'req_A').find((job) => job.id === grantJob.id)?.state).toBe('done');
  });
});

describe('deadlines in the store', () => {
  it('lists pending requests past their timeout, and active grants past their warning and their end', async () => {
    const { requests, opened } = await setUp();
    expect(await requests.nextDeadline(10 * MINUTE)).toBe(T0 + 30 * MINUTE);
    expect(await requests.listDue({ kind: 'pending_timeout' }, T0 + 30 * MINUTE - 1, 10)).toEqual([]);
    expect((await requests.listDue({ kind: 'pending_timeout' }, T0 + 30 * MINUTE, 10)).map((request) => request.id)).toEqual(['req_A']);

    const active = await activate(requests, opened.request);
    const endsAt = T0 + 2 + 60 * MINUTE;

    expect(await requests.nextDeadline(10 * MINUTE)).toBe(endsAt - 10 * MINUTE);
    expect(await requests.listDue({ kind: 'expiry_warning', warningMs: 10 * MINUTE }, endsAt - 10 * MINUTE, 10)).toHaveLength(1);
    const warned = warnOfExpiry(active.request, 10, endsAt - 10 * MINUTE);
    if (!warned.ok) throw new Error('refused');
    await requests.apply(active.request, warned, endsAt - 10 * MINUTE);
    expect(await requests.listDue({ kind: 'expiry_warning', warningMs: 10 * MINUTE }, endsAt, 10)).toEqual([]);
    expect(await requests.nextDeadline(10 * MINUTE)).toBe(endsAt);
    expect((await requests.listDue({ kind: 'expiry' }, endsAt, 10)).map((request) => request.id)).toEqual(['req_A']);

    const ending = requestEnd(warned.request, 'expired', SYSTEM, endsAt);
    if (!ending.ok) throw new Error('refused');
    await requests.apply(warned.request, ending, endsAt);
    expect(await requests.listDue({ kind: 'expiry' }, endsAt, 10)).toEqual([]);
    expect(await requests.nextDeadline(10 * MINUTE)).toBeUndefined();
    expect(await requests.find('req_A')).toMatchObject({ principalId: 'p-1', expiryWarnedAt: endsAt - 10 * MINUTE });
  });
});
