// Changes a replica makes at the same moment go to PostgreSQL together, in one statement (grouped-calls.ts): each
// must be stored exactly as it is when written alone, and fail or be refused alone.

import { describe, expect, it } from 'vitest';
import { chainPending } from '../../../src/adapters/postgres/audit-chainer.js';
import { verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { PostgresJobQueue } from '../../../src/adapters/postgres/job-queue.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import type { JobRow } from '../../../src/adapters/sql/rows.js';
import {
  type AccessRequest,
  approve,
  confirmGrant,
  deny,
  journalGrantCall,
  type Transition,
  type TransitionResult,
} from '../../../src/domain/access-request.js';
import { confirmEnd, requestEnd } from '../../../src/domain/ending.js';
import { askExtension } from '../../../src/domain/extension.js';
import { postgresAuditTrail } from '../../support/audit-and-jobs.js';
import { APPROVER_1, APPROVER_2, AWKWARD_TEXT, makeTarget, opening, REQUESTER, T0 } from '../../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';

const target = makeTarget({ extension: { maxTotalMinutes: 480, approval: 'auto' } });
const membership = { kind: target.grant.kind, groupId: target.grant.groupId, principalId: 'entra-requester' };
const COUNT = 12;

// A grant's whole life, each step from the request as it stands; a denied request refuses the steps after.
const LIFE: ((request: AccessRequest, now: number, index: number) => TransitionResult)[] = [
  (request, now, index) =>
    index % 3 === 2 ? deny(request, target, APPROVER_2, now, AWKWARD_TEXT) : approve(request, target, APPROVER_1, now),
  (request, now) => journalGrantCall(request, target.grant, now),
  (request, now) => confirmGrant(request, { ...membership, reference: `pim-${request.id}` }, now),
  (request, now) => askExtension(request, target, REQUESTER, { minutes: 30, reason: AWKWARD_TEXT }, now),
  (request, now) => requestEnd(request, 'released', REQUESTER, now),
  (request, now) => confirmEnd(request, now, { outcome: 'removed' }),
];

async function openAll(requests: PostgresRequestRepository): Promise<AccessRequest[]> {
  const opened = Array.from({ length: COUNT }, (_, index) =>
    opening(`req_${String(index).padStart(2, '0')}`, target, { principalId: membership.principalId }),
  );
  for (const transition of opened) await requests.create(transition, T0);
  return opened.map((transition) => transition.request);
}

/** Everything stored about a request: the request, its audit events and its jobs. */
async function storedAbout(pool: PostgresPool, requests: PostgresRequestRepository, id: string) {
  const jobs = await pool.query<JobRow>('SELECT kind, event, state, run_at FROM jobs WHERE request_id = $1 ORDER BY id', [id]);
  const events = (await postgresAuditTrail(pool, id)).map(({ chained: _chained, ...event }) => event);
  return { request: await requests.find(id), events, jobs: jobs.rows };
}

/** The statements sent through `pool` while `work` runs. */
async function statementsDuring(pool: PostgresPool, work: () => Promise<unknown>): Promise<number> {
  const query = pool.query.bind(pool);
  let sent = 0;
  pool.query = ((...args: Parameters<typeof query>) => {
    sent++;
    return query(...args);
  }) as typeof pool.query;
  try {
    await work();
  } finally {
    pool.query = query;
  }
  return sent;
}

describe('changes and reads made at the same moment on PostgreSQL', () => {
  it('are stored as each is alone, through a grant’s whole life, in fewer statements than changes', async () => {
    const alone = await migratedDatabaseForThisTest();
    const together = await migratedDatabaseForThisTest();
    const aloneStore = new PostgresRequestRepository(alone.pool);
    const togetherStore = new PostgresRequestRepository(together.pool);
    let aloneRequests = await openAll(aloneStore);
    let togetherRequests = await openAll(togetherStore);
    let changes = 0;
    let statements = 0;

    for (const [step, next] of LIFE.entries()) {
      const now = (index: number) => T0 + 60_000 * (step + 1) + index;
      const decided = aloneRequests.map((request, index) => next(request, now(index), index));
      const ok = decided.flatMap((result, index) => (result.ok ? [{ index, change: result }] : []));
      for (const { index, change } of ok)
        expect(await aloneStore.apply(aloneRequests[index] as AccessRequest, change, now(index))).toBe(true);
      const previous = togetherRequests;
      const written: boolean[] = [];
      statements += await statementsDuring(together.pool, async () => {
        written.push(
          ...(await Promise.all(ok.map(({ index, change }) => togetherStore.apply(previous[index] as AccessRequest, change, now(index))))),
        );
      });
      changes += ok.length;
      expect(written).toEqual(ok.map(() => true));
      const apply = (requests: AccessRequest[]) =>
        requests.map((request, index) => ok.find((change) => change.index === index)?.change.request ?? request);
      aloneRequests = apply(aloneRequests);
      togetherRequests = apply(togetherRequests);
    }

    for (const request of aloneRequests) {
      expect(await storedAbout(together.pool, togetherStore, request.id)).toEqual(await storedAbout(alone.pool, aloneStore, request.id));
    }
    expect(aloneRequests.filter((request) => request.state === 'ended')).toHaveLength(8);
    expect(aloneRequests.filter((request) => request.state === 'denied')).toHaveLength(4);
    expect(statements).toBeLessThan(changes / 2);
    await chainPending(together.pool);
    expect(await verifyAuditChain(together.pool)).toEqual({ ok: true, rows: COUNT + changes });
  });

  it('write a request once when two changes of it are made at once, and refuse a change whose job lease ran out', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(database.pool);
    const opened = await openAll(requests);
    const leases = await new PostgresJobQueue(database.pool, 'replica-a').claimDue(T0, COUNT, 30_000);
    const leaseOf = (request: AccessRequest) => {
      const lease = leases.find((job) => job.requestId === request.id);
      if (!lease) throw new Error(`no lease for ${request.id}`);
      return lease;
    };
    const [twice, stale, ...others] = opened;
    if (!twice || !stale) throw new Error('no requests');
    const approval = (request: AccessRequest, approver: string) => must(approve(request, target, approver, T0 + 10));
    const staleLease = leaseOf(stale);

    const [first, second, staleWritten, ...othersWritten] = await Promise.all([
      requests.apply(twice, approval(twice, APPROVER_1), T0 + 10),
      requests.apply(twice, approval(twice, APPROVER_2), T0 + 10),
      requests.apply(stale, approval(stale, APPROVER_1), T0 + 10, { completeJob: { ...staleLease, attempts: staleLease.attempts + 1 } }),
      ...others.map((request) => requests.apply(request, approval(request, APPROVER_1), T0 + 10, { completeJob: leaseOf(request) })),
    ]);

    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect((await requests.find(twice.id))?.approvals).toHaveLength(1);
    expect(staleWritten).toBe(false);
    expect((await requests.find(stale.id))?.state).toBe('pending');
    expect(othersWritten.every(Boolean)).toBe(true);
    const settled = await database.pool.query<{ request_id: string; state: string }>(
      "SELECT request_id, state FROM jobs WHERE state <> 'queued' ORDER BY request_id",
    );
    // The request changed twice at once settles no job: its own stays leased, as does the stale one's.
    expect(settled.rows).toEqual([
      { request_id: twice.id, state: 'running' },
      { request_id: stale.id, state: 'running' },
      ...others.map((request) => ({ request_id: request.id, state: 'done' })),
    ]);
  });

  it('fail one change the database refuses alone, and write the others made with it', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(database.pool);
    const [refused, ...others] = await openAll(requests);
    if (!refused) throw new Error('no request');
    const approval = (request: AccessRequest) => must(approve(request, target, APPROVER_1, T0 + 10));
    // A job of a kind the jobs table does not take: the database refuses the whole statement it is in.
    const unknownJob: Transition = { ...approval(refused), jobs: [{ kind: 'no_such_kind' as never }] };

    const outcomes = await Promise.allSettled([
      ...others.slice(0, 4).map((request) => requests.apply(request, approval(request), T0 + 10)),
      requests.apply(refused, unknownJob, T0 + 10),
      ...others.slice(4).map((request) => requests.apply(request, approval(request), T0 + 10)),
    ]);

    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(1);
    expect(outcomes[4]).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringContaining('jobs_kind_check') }),
    });
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value)).toHaveLength(others.length);
    expect((await requests.find(refused.id))?.state).toBe('pending');
    for (const request of others) expect((await requests.find(request.id))?.state).toBe('approved');
  });
});

describe('the holders of memberships read at the same moment on PostgreSQL', () => {
  it('are read as each is alone', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(database.pool);
    const opened = await openAll(requests);
    // Requests 0-3 granted, 4-5 called and not yet confirmed, 6-8 ended, the others still pending.
    const stepsOf = (index: number) => (index < 4 ? 3 : index < 6 ? 2 : index < 9 ? LIFE.length : 0);
    for (const [index, request] of opened.entries()) {
      let current = request;
      for (const [step, next] of LIFE.slice(0, stepsOf(index)).entries()) {
        const now = T0 + 60_000 * (step + 1) + index;
        const change = must(next(current, now, 0));
        expect(await requests.apply(current, change, now)).toBe(true);
        current = change.request;
      }
    }
    const asked = opened.flatMap((request) =>
      [0, T0 + 60_000 * 6 + 7, Number.MAX_SAFE_INTEGER].map((endedSince) => ({ ...membership, exclude: request.id, endedSince })),
    );
    asked.push({ ...membership, principalId: 'someone-else', exclude: 'req_00', endedSince: 0 });
    const ids = (held: AccessRequest[]) => held.map((request) => request.id).sort();

    const alone: string[][] = [];
    for (const one of asked) alone.push(ids(await requests.listHolders(one.groupId, one.principalId, one.exclude, one.endedSince)));
    const together = await statementsDuring(database.pool, async () => {
      const held = await Promise.all(asked.map((one) => requests.listHolders(one.groupId, one.principalId, one.exclude, one.endedSince)));
      expect(held.map(ids)).toEqual(alone);
    });

    expect(together).toBeLessThan(asked.length / 2);
    expect(alone[0]).toEqual(['req_01', 'req_02', 'req_03', 'req_04', 'req_05', 'req_06', 'req_07', 'req_08']);
    expect(alone.at(-1)).toEqual([]);
  });
});

function must(result: TransitionResult): Transition {
  if (!result.ok) throw new Error(`transition refused: ${result.code}`);
  return result;
}
