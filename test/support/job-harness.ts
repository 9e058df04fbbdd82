// The use cases wired to hand-written fakes, and helpers that run them the way the bot's worker would.

import { decideRequest } from '../../src/application/decide-request.js';
import { runJob } from '../../src/application/jobs/index.js';
import { recordRequest } from '../../src/application/record-request.js';
import { FakeApproverDirectory, FakeApproverProblems } from './fake-approver-directory.js';
import {
  FakeAccessProvider,
  FakeClock,
  FakeEntraDirectory,
  FakeNotifier,
  FakeRequestRepository,
  FakeSlackProfiles,
  SequentialIds,
} from './fakes.js';
import { ADMIN, APPROVER_1, APPROVER_2, makePolicy, REQUESTER, T0 } from './fixtures.js';

export const PRINCIPAL = '11111111-1111-4111-8111-111111111111';

/**
 * Gives each Slack user an email and an Entra account of their own, as a directory sync would: the bot counts an
 * approval only from someone it can tell apart from the requester in Entra.
 */
export function knowPeople(profiles: FakeSlackProfiles, directory: FakeEntraDirectory, slackIds: string[]): void {
  for (const [index, slackId] of slackIds.entries()) {
    const email = `${slackId.toLowerCase()}@contoso.example`;
    profiles.people.set(slackId, { email });
    directory.users.set(email, { principalId: `aaaaaaaa-aaaa-4aaa-8aaa-${String(index + 1).padStart(12, '0')}`, userPrincipalName: email });
  }
}

export function setUpJobs(policy = makePolicy()) {
  const store = new FakeRequestRepository();
  const deps = {
    requests: store,
    jobs: store,
    policy,
    clock: new FakeClock(T0),
    ids: new SequentialIds(),
    access: new FakeAccessProvider(),
    notifier: new FakeNotifier(),
    profiles: new FakeSlackProfiles(),
    directory: new FakeEntraDirectory(),
    approverDirectory: new FakeApproverDirectory(),
    problems: new FakeApproverProblems(),
  };
  knowPeople(deps.profiles, deps.directory, [APPROVER_1, APPROVER_2, ADMIN]);
  return { deps, store };
}

export type JobDepsForTests = ReturnType<typeof setUpJobs>['deps'];

/** Runs every job due now, as the worker would, until none is left; returns "kind:result" per run. */
export async function drain(deps: JobDepsForTests): Promise<string[]> {
  const outcomes: string[] = [];
  for (;;) {
    const due = await deps.jobs.claimDue(deps.clock.now(), 10, 30_000);
    if (due.length === 0) return outcomes;
    for (const job of due) outcomes.push(`${job.kind}:${(await runJob(deps, job)).result}`);
  }
}

/** A pending request from REQUESTER for prod-ssh; returns its id. */
export async function submitted(deps: JobDepsForTests, durationMinutes = 60, targetId = 'prod-ssh'): Promise<string> {
  const outcome = await recordRequest(deps, {
    requesterId: REQUESTER,
    principalId: PRINCIPAL,
    targetId,
    reason: 'Investigating incident INC-42',
    durationMinutes,
  });
  if (!outcome.ok) throw new Error(outcome.code);
  return outcome.request.id;
}

/** A request approved by APPROVER_1 (its grant job queued); returns its id. */
export async function approved(deps: JobDepsForTests, durationMinutes = 60, targetId = 'prod-ssh'): Promise<string> {
  const id = await submitted(deps, durationMinutes, targetId);
  const outcome = await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' });
  if (!outcome.ok) throw new Error(outcome.code);
  return id;
}
