// The change record kept for a grant whose target has `change_record` (a ServiceNow standard change): opened once
// the request is approved, moved to Implement, and closed at the end with the outcome. Where it stands is
// recorded on the request, one step at a time, so that a retry after a crash goes on from the last step.

import {
  type AccessRequest,
  type EndReason,
  type JobOrder,
  move,
  notify,
  type Refusal,
  SYSTEM,
  type TransitionResult,
  wrongState,
} from './access-request.js';

/** Where a change stands in its state model (a standard change skips assess and authorize). */
export type ChangeState = 'new' | 'assess' | 'authorize' | 'scheduled' | 'implement' | 'review' | 'closed' | 'canceled';

/** How the grant behind a change ended, which the change's close code and notes record. */
export type ChangeOutcome = EndReason | 'failed';

/** The change opened for a request, as the bot last saw it. */
export interface RecordedChange {
  sysId: string;
  /** What people quote: CHG0030001. */
  number: string;
  state: ChangeState;
}

/** The states a change passes before the work is under way. */
const BEFORE_IMPLEMENT: readonly ChangeState[] = ['new', 'assess', 'authorize', 'scheduled'];

/** The requests a change record follows: approved, and whatever came of the approval. */
type Followed = Extract<AccessRequest, { state: 'approved' | 'active' | 'ended' | 'failed' }>;

function isFollowed(request: AccessRequest): request is Followed {
  return request.state === 'approved' || request.state === 'active' || request.state === 'ended' || request.state === 'failed';
}

/** The change recorded on the request, if any. */
export function changeOf(request: AccessRequest): RecordedChange | undefined {
  return isFollowed(request) ? request.change : undefined;
}

/** What the bot last failed to do with the request's change, while it keeps trying. */
export function changeProblemOf(request: AccessRequest): string | undefined {
  return isFollowed(request) ? request.changeProblem : undefined;
}

/** The outcome the change is closed with, once the request has one. */
export function changeOutcomeOf(request: AccessRequest): ChangeOutcome | undefined {
  if (request.state === 'ended') return request.endReason;
  return request.state === 'failed' ? 'failed' : undefined;
}

/** The next thing to do with the request's change; `wanted`: the request's target keeps change records. */
export type ChangeStep =
  | { kind: 'open' }
  | { kind: 'implement'; change: RecordedChange }
  | { kind: 'close'; change: RecordedChange; outcome: ChangeOutcome }
  | { kind: 'none'; why: string };

export function nextChangeStep(request: AccessRequest, wanted: boolean): ChangeStep {
  if (!isFollowed(request)) return { kind: 'none', why: `the request is ${request.state}` };
  const { change } = request;
  if (!change) return wanted ? { kind: 'open' } : { kind: 'none', why: 'its target keeps no change record' };
  if (change.state === 'closed' || change.state === 'canceled') return { kind: 'none', why: `change ${change.number} is ${change.state}` };
  const outcome = changeOutcomeOf(request);
  if (outcome) return { kind: 'close', change, outcome };
  if (BEFORE_IMPLEMENT.includes(change.state)) return { kind: 'implement', change };
  return { kind: 'none', why: `change ${change.number} is in ${change.state}` };
}

/** Records where the change stands: opened (people are told its number), moved (the card shows it), or closed (people are told). */
export function recordChange(request: AccessRequest, change: RecordedChange): TransitionResult {
  if (!isFollowed(request)) return wrongState(request);
  const before = request.change;
  if (before && before.sysId === change.sysId && before.state === change.state && before.number === change.number) {
    return { ok: false, code: 'already_recorded' } satisfies Refusal;
  }
  const { changeProblem: _solved, ...rest } = request;
  // A move in between only brings the card up to date.
  const jobs: JobOrder[] = !before
    ? [notify('change_opened')]
    : change.state === 'closed' || change.state === 'canceled'
      ? [notify('change_closed')]
      : [notify('changed')];
  const action = before ? 'change_moved' : 'change_opened';
  return move(request, { ...rest, change }, { action, actor: SYSTEM, detail: { ...change } }, jobs);
}

/**
 * ServiceNow failed the change's next step; the job keeps trying. People hear of it once per job: the approvers
 * in the thread, and the requester too while their grant waits for a required change.
 */
export function reportChangeTrouble(request: AccessRequest, problem: string): TransitionResult {
  if (!isFollowed(request)) return wrongState(request);
  return move(request, { ...request, changeProblem: problem }, { action: 'change_record_failing', actor: SYSTEM, detail: { problem } }, [
    notify('change_failing'),
  ]);
}
