// The ServiceNow change record of a grant whose target has `change_record`: opened once the request is approved
// (found again by the request id after a crash or a lost answer), moved to Implement, and closed at the end with
// the outcome. Each step is recorded on the request before the next is taken, so a retry goes on from the last
// one. A failure never gives up: it is retried, people are told once per job, and a refusal is retried slowly
// (the admins hear of it from the adapter's watch) until someone fixes the configuration.

import type { AccessRequest } from '../../domain/access-request.js';
import {
  type ChangeOutcome,
  type ChangeStep,
  nextChangeStep,
  type RecordedChange,
  recordChange,
  reportChangeTrouble,
} from '../../domain/change-record.js';
import { formatDuration } from '../../domain/duration.js';
import { findTarget, type Target } from '../../domain/policy.js';
import { applyTransition } from '../apply-transition.js';
import type { ChangeMove, ChangeOpening, ChangeOrder, ChangeRecords, OutsideFailure, StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, retry } from './job-outcome.js';

// A refusal (bad credentials, a missing template) needs a person: it is tried again once a minute, not at once.
const REFUSED_RETRY_MS = 60_000;
// Open, implement, close: a run takes at most these steps.
const MAX_STEPS = 3;

export async function runChangeRecord(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  let current = request;
  for (let taken = 0; taken <= MAX_STEPS; taken++) {
    const target = findTarget(deps.policy, current.targetId);
    const step = nextChangeStep(current, target?.changeRecord !== undefined);
    if (step.kind === 'none') return { ...(await finish(deps, job, `change record: ${step.why}`)), after: current };
    if (!deps.changes) {
      const failure = refused('ServiceNowNotConfigured', 'ServiceNow is not configured; set SERVICENOW_INSTANCE_URL');
      return troubled(deps, job, current, failure);
    }
    const answer = await take(deps.changes, step, current, target);
    if (!answer.ok) {
      const canceled = answer.kind === 'permanent' && answer.code === 'ChangeCanceled' && 'change' in step ? step.change : undefined;
      if (!canceled) return troubled(deps, job, current, answer);
      // A person canceled the change in ServiceNow: nothing more to do with it.
      return recordAndFinish(deps, job, current, { ...canceled, state: 'canceled' });
    }
    const change: RecordedChange = { sysId: answer.sysId, number: answer.number, state: answer.state };
    const recorded = await applyTransition(deps, current.id, (fresh) => recordChange(fresh, change), { read: current });
    if (!recorded.ok && recorded.code !== 'already_recorded') {
      return { ...(await finish(deps, job, `change record: the request moved on (${recorded.code})`)), after: current };
    }
    if (!recorded.ok) return { ...(await finish(deps, job, `change ${change.number} is in ${change.state}`)), after: current };
    current = recorded.request;
  }
  return { ...(await finish(deps, job, 'change record: no step left')), after: current };
}

async function take(
  changes: ChangeRecords,
  step: Exclude<ChangeStep, { kind: 'none' }>,
  request: AccessRequest,
  target: Target | undefined,
): Promise<ChangeOpening | ChangeMove> {
  switch (step.kind) {
    case 'open': {
      // nextChangeStep opens a change only for a target that keeps change records.
      const templateId = target?.changeRecord?.templateId ?? '';
      return changes.openChange(changeOrder(request, target, templateId));
    }
    case 'implement':
      return changes.moveToImplement(step.change.sysId);
    case 'close':
      return changes.closeChange(step.change.sysId, { outcome: step.outcome, notes: closingNotes(request, step.outcome) });
  }
}

async function recordAndFinish(deps: JobDeps, job: StoredJob, request: AccessRequest, change: RecordedChange): Promise<JobOutcome> {
  const recorded = await applyTransition(deps, request.id, (fresh) => recordChange(fresh, change), { completeJob: job, read: request });
  if (recorded.ok) return { result: 'done', detail: `change ${change.number} is ${change.state}`, after: recorded.request };
  return { ...(await finish(deps, job, `change ${change.number} is ${change.state}`)), after: request };
}

/** Tells people on the first failure of this job, then tries again: soon after a failure, slowly after a refusal. */
async function troubled(deps: JobDeps, job: StoredJob, request: AccessRequest, failure: OutsideFailure): Promise<JobOutcome> {
  let after = request;
  if (job.attempts === 1) {
    const told = await applyTransition(deps, request.id, (fresh) => reportChangeTrouble(fresh, failure.message), { read: request });
    if (told.ok) after = told.request;
  }
  const retried = await retry(deps, job, failure, failure.kind === 'permanent' ? REFUSED_RETRY_MS : 0);
  return { ...retried, after };
}

function refused(code: string, message: string): OutsideFailure {
  return { ok: false, kind: 'permanent', code, message };
}

/** The change as ServiceNow shows it: who asked for what, for how long and why, and who approved it. */
export function changeOrder(request: AccessRequest, target: Target | undefined, templateId: string): ChangeOrder {
  const who = request.principalName ?? request.email ?? request.requesterId;
  const name = target?.name ?? request.targetId;
  const group = target ? `; Entra group ${target.grant.groupId} (${target.grant.kind})` : '';
  const approvers = request.approvals.map((approval) => `Slack user ${approval.approverId}`).join(', ') || 'none recorded';
  return {
    templateId,
    correlationId: request.id,
    shortDescription: `Just-in-time access for ${who} to ${name} (${formatDuration(request.durationMinutes)})`,
    description: [
      `Requester: ${who} (Slack user ${request.requesterId})`,
      `Target: ${name} (${request.targetId})${group}`,
      `Duration: ${formatDuration(request.durationMinutes)}`,
      `Reason: ${request.reason}`,
      `Approved by: ${approvers}`,
      `Request: ${request.id} (jit-access-bot)`,
    ].join('\n'),
  };
}

/** What the close notes add to the outcome's own sentence: the request, and what became of the access. */
function closingNotes(request: AccessRequest, outcome: ChangeOutcome): string {
  if (request.state === 'failed') return `Request ${request.id}: ${request.failure}`;
  if (request.state !== 'ended') return `Request ${request.id}: ${outcome}`;
  const stays = request.removal === 'kept' || request.removal === 'held' ? ' The group membership stays for another grant.' : '';
  return `Request ${request.id}: access ended (${request.endReason}) after being granted for ${formatDuration(Math.round((request.endedAt - request.grantedAt) / 60_000))}.${stays}`;
}
