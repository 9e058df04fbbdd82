// What the request use cases (record, decide, cancel) run on: hand-written fakes of their ports, the clock at T0,
// and both approvers and an outsider known to Slack and Entra.

import { FakeApproverDirectory, FakeApproverProblems } from './fake-approver-directory.js';
import { FakeClock, FakeEntraDirectory, FakeRequestRepository, FakeSlackProfiles, SequentialIds } from './fakes.js';
import { APPROVER_1, APPROVER_2, makePolicy, makeTarget, OUTSIDER, REQUESTER, T0 } from './fixtures.js';
import { knowPeople } from './job-harness.js';

export function setUpRequests(targets = [makeTarget()]) {
  const deps = {
    requests: new FakeRequestRepository(),
    policy: makePolicy(targets),
    clock: new FakeClock(T0),
    ids: new SequentialIds(),
    profiles: new FakeSlackProfiles(),
    directory: new FakeEntraDirectory(),
    approverDirectory: new FakeApproverDirectory(),
    problems: new FakeApproverProblems(),
  };
  knowPeople(deps.profiles, deps.directory, [APPROVER_1, APPROVER_2, OUTSIDER]);
  return deps;
}

/** A request the default target accepts. */
export const GOOD_REQUEST = {
  requesterId: REQUESTER,
  principalId: '11111111-1111-4111-8111-111111111111',
  targetId: 'prod-ssh',
  reason: 'Investigating incident INC-42',
  durationMinutes: 60,
};
