import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SqliteRequestRepository } from '../../../src/adapters/sqlite/request-repository.js';
import { openRequest } from '../../../src/domain/access-request.js';
import { openMigratedDatabase, tempDatabaseFile } from '../../support/database.js';
import { makeTarget, REQUESTER } from '../../support/fixtures.js';
import { RACE_APPROVERS } from '../../support/race.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('../../support/approve-all-worker.ts', import.meta.url));
const REQUESTS = 40;

describe('approvals racing in separate processes on one database', () => {
  it('reach quorum exactly once per request: two approvals, one approved transition, one grant job', async () => {
    const file = tempDatabaseFile();
    const db = openMigratedDatabase(file);
    const repository = new SqliteRequestRepository(db);
    const target = makeTarget({ approvers: { channel: 'C0APPROVALS', users: RACE_APPROVERS, required: 2 } });
    const now = Date.now();
    for (let index = 0; index < REQUESTS; index++) {
      await repository.create(
        openRequest({
          id: `req_${index}`,
          requesterId: REQUESTER,
          target,
          reason: 'Racing approvals test',
          durationMinutes: 60,
          pendingTimeoutMinutes: 60,
          now,
        }),
        now,
      );
    }

    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(
      RACE_APPROVERS.map((approver) => run(process.execPath, ['--import', 'tsx', worker, file, approver, String(REQUESTS), startAt])),
    );
    const outcomes = results.map((result) => JSON.parse(result.stdout) as Record<string, number>);
    const total = (key: string) => outcomes.reduce((sum, outcome) => sum + (outcome[key] ?? 0), 0);
    // Per request: one approver records the first approval (pending), one completes quorum (approved), one is late.
    expect({ pending: total('pending'), approved: total('approved'), late: total('wrong_state') }).toEqual({
      pending: REQUESTS,
      approved: REQUESTS,
      late: REQUESTS,
    });

    const perRequest = db
      .prepare(`SELECT r.state,
          (SELECT COUNT(*) FROM decisions d WHERE d.request_id = r.id) AS approvals,
          (SELECT COUNT(*) FROM audit_events a WHERE a.request_id = r.id AND a.action = 'approved') AS approvedEvents,
          (SELECT COUNT(*) FROM jobs j WHERE j.request_id = r.id AND j.kind = 'grant') AS grantJobs
        FROM requests r`)
      .all();
    expect(perRequest).toHaveLength(REQUESTS);
    for (const row of perRequest) expect(row).toEqual({ state: 'approved', approvals: 2, approvedEvents: 1, grantJobs: 1 });
  }, 60_000);
});
