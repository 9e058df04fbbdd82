// Run as its own process by concurrent-approvals.test.ts: one approver clicking Approve on every request.
// argv: database file, approver id, number of requests, start time (ms since epoch) to line the racers up.

import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteRequestRepository } from '../../src/adapters/sqlite/request-repository.js';
import { systemClock } from '../../src/adapters/system/system-clock.js';
import { decideRequest } from '../../src/application/decide-request.js';
import { FakeApproverDirectory, FakeApproverProblems } from './fake-approver-directory.js';
import { FakeEntraDirectory, FakeSlackProfiles } from './fakes.js';
import { makePolicy, makeTarget } from './fixtures.js';
import { knowPeople } from './job-harness.js';
import { RACE_APPROVERS } from './race.js';

const [file = '', approver = '', count = '0', startAt = '0'] = process.argv.slice(2);
const requests = new SqliteRequestRepository(openDatabase(file));
const policy = makePolicy([makeTarget({ approvers: { channel: 'C0APPROVALS', users: RACE_APPROVERS, required: 2 } })]);

while (Date.now() < Number(startAt)) {
  // Busy-wait so that every racer starts within the same millisecond or so.
}
const outcomes: Record<string, number> = {};
const profiles = new FakeSlackProfiles();
const directory = new FakeEntraDirectory();
const approverDirectory = new FakeApproverDirectory();
knowPeople(profiles, directory, RACE_APPROVERS);
for (let index = 0; index < Number(count); index++) {
  const outcome = await decideRequest(
    { requests, policy, clock: systemClock, profiles, directory, approverDirectory, problems: new FakeApproverProblems() },
    { requestId: `req_${index}`, actorId: approver, decision: 'approve' },
  );
  const key = outcome.ok ? outcome.request.state : outcome.code;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}
process.stdout.write(JSON.stringify(outcomes));
