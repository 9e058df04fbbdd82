// The PostgreSQL job queue's leases run by the database's clock, whatever the clocks of the replicas say: each
// queue below is a replica with a clock of its own (the `now` it passes), and they are far apart.

import { describe, expect, it } from 'vitest';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { PostgresJobQueue } from '../../../src/adapters/postgres/job-queue.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import { approve, confirmGrant, journalGrantCall } from '../../../src/domain/access-request.js';
import { APPROVER_1, makeTarget, opening, T0 } from '../../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../../support/postgres.js';
import { waitFor } from '../../support/wait-for.js';

const LEASE = 30_000;
const PERSON = '33333333-3333-4333-8333-333333333333';
// The replica whose clock runs ahead reads this much later than the other.
const AHEAD = T0 + 10 * 60_000;
const BEHIND = T0;

/** Opens `count` requests, each of which queues one job (the message to the approvers), due at T0. */
async function queueJobs(pool: PostgresPool, count: number): Promise<void> {
  const requests = new PostgresRequestRepository(pool);
  for (let index = 0; index < count; index++) await requests.create(opening(`req_${index}`), T0);
}

async function twoReplicas() {
  const database = await migratedDatabaseForThisTest();
  return {
    pool: database.pool,
    ahead: new PostgresJobQueue(database.openPool(), 'replica-ahead'),
    behind: new PostgresJobQueue(database.openPool(), 'replica-behind'),
  };
}

describe('PostgresJobQueue leases, by the database clock', () => {
  it('lets neither of two replicas whose clocks are ten minutes apart take a live lease of the other', async () => {
    const { pool, ahead, behind } = await twoReplicas();
    await queueJobs(pool, 3);
    const [heldBehind] = await behind.claimDue(BEHIND, 1, LEASE);
    const [heldAhead] = await ahead.claimDue(AHEAD, 1, LEASE);
    if (!heldBehind || !heldAhead) throw new Error('no job');

    // Each sees only the job nobody holds.
    const [free] = await ahead.claimDue(AHEAD, 10, LEASE);
    expect(free).toMatchObject({ attempts: 1, takenOver: false });
    expect([heldBehind.id, heldAhead.id]).not.toContain(free?.id);
    expect(await behind.claimDue(BEHIND, 10, LEASE)).toEqual([]);
    expect(await ahead.claimDue(AHEAD, 10, LEASE)).toEqual([]);

    expect(await behind.heartbeat([heldBehind], BEHIND, LEASE)).toBe(1);
    expect(await ahead.heartbeat([heldAhead], AHEAD, LEASE)).toBe(1);
    expect(await ahead.claimDue(AHEAD, 10, LEASE)).toEqual([]);
    expect(await behind.complete(heldBehind, BEHIND)).toBe(true);
    expect(await ahead.complete(heldAhead, AHEAD)).toBe(true);
  });

  it('hands a lease whose holder stopped beating to a replica whose clock is behind, once the database clock passes its end', async () => {
    const { pool, ahead, behind } = await twoReplicas();
    await queueJobs(pool, 1);
    const [held] = await ahead.claimDue(AHEAD, 1, 200);
    if (!held) throw new Error('no job');

    // By its own clock the lease ends ten minutes from now; by the database's, within a fifth of a second.
    const [taken] = await waitFor(async () => {
      const claimed = await behind.claimDue(BEHIND, 1, LEASE);
      return claimed.length > 0 && claimed;
    });
    expect(taken).toMatchObject({ id: held.id, attempts: 2, takenOver: true });
    expect(await ahead.heartbeat([held], AHEAD, LEASE)).toBe(0);
    expect(await ahead.complete(held, AHEAD)).toBe(false);
    expect(await behind.complete(taken ?? held, BEHIND)).toBe(true);
  });

  it('tells a replica when the lease of another runs out, in the clock of the replica that asks', async () => {
    const { pool, ahead, behind } = await twoReplicas();
    await queueJobs(pool, 1);
    await ahead.claimDue(AHEAD, 1, LEASE);

    const next = await behind.nextRunAt(BEHIND);
    expect(next).toBeGreaterThan(BEHIND);
    expect(next).toBeLessThanOrEqual(BEHIND + LEASE);
  });

  it('hands each claimed job its request as `find` reads it, decisions and grant included, so the job need not read it again', async () => {
    const database = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(database.pool);
    const jobs = new PostgresJobQueue(database.pool, 'replica');
    const target = makeTarget();
    const opened = opening('req_A', target, { principalId: PERSON });
    await requests.create(opened, T0);
    let request = opened.request;
    const grant = { kind: target.grant.kind, groupId: target.grant.groupId, principalId: PERSON };
    const steps = [
      (r: typeof request) => approve(r, target, APPROVER_1, T0 + 1000),
      (r: typeof request) => journalGrantCall(r, target.grant, T0 + 2000),
      (r: typeof request) => confirmGrant(r, grant, T0 + 3000),
    ];
    for (const [index, decide] of steps.entries()) {
      const change = decide(request);
      if (!change.ok) throw new Error(change.code);
      expect(await requests.apply(request, change, T0 + 1000 * (index + 1))).toBe(true);
      request = change.request;
    }

    const claimed = await jobs.claimDue(T0 + 3000, 100, LEASE);

    expect(claimed.length).toBeGreaterThan(0);
    const stored = await requests.find('req_A');
    expect(stored).toMatchObject({ state: 'active', approvals: [{ approverId: APPROVER_1 }], grant: { principalId: PERSON } });
    for (const job of claimed) expect(job.request).toEqual(stored);
  });
});
