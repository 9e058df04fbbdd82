// The grant job: journals the call, then makes it, to the journaled group only; waits while an end of the same
// membership is under way; tells "already exists" that is the bot's own from access the person held before.

import {
  type AccessRequest,
  type ApprovedRequest,
  confirmGrant,
  failGrant,
  type GrantFailure,
  type GrantRecord,
  grantedMinutes,
  journalGrantCall,
  sameGrantCall,
} from '../../domain/access-request.js';
import { grantCapMinutes } from '../../domain/break-glass.js';
import { minutesToMs } from '../../domain/duration.js';
import { grantCallOf, grantedSpec, holderRole } from '../../domain/membership.js';
import { findTarget, type Target } from '../../domain/policy.js';
import { applyTransition } from '../apply-transition.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, record, retry } from './job-outcome.js';

// An approved grant that cannot be made within this long fails with a clear message instead of hanging.
export const GRANT_DEADLINE_MS = 15 * 60_000;

// While a removal of the same membership is under way, a grant waits this long and asks again.
const REMOVAL_WAIT_MS = 2_000;
// While a required change record is not open yet, a grant waits this long and looks again.
const CHANGE_WAIT_MS = 2_000;
// Ends recorded this long before a call still count as possibly seen by its "already exists": replicas' clocks
// may differ by a little.
const ANSWER_MARGIN_MS = 5_000;

/** One attempt at a grant: the request as the job read it, its target, and how this attempt fails. */
interface GrantAttempt {
  deps: JobDeps;
  job: StoredJob;
  request: ApprovedRequest;
  target: Target;
  principalId: string;
  /** An earlier attempt's call was journaled: it may have landed before its answer was lost. */
  mayHaveGranted: boolean;
  fail: (cause: string, outcome?: GrantFailure) => Promise<JobOutcome>;
}

// An incident title is the requester's words as PagerDuty keeps them: kept short, so the reason stays readable.
const INCIDENT_TITLE_IN_JUSTIFICATION = 120;

/** What Entra's audit log shows next to the assignment: the reason, the PagerDuty incident, and the request. */
export function justificationOf(request: AccessRequest): string {
  const { incident } = request;
  const title =
    incident && incident.title.length > INCIDENT_TITLE_IN_JUSTIFICATION
      ? `${incident.title.slice(0, INCIDENT_TITLE_IN_JUSTIFICATION - 1)}…`
      : incident?.title;
  const about = incident ? ` (PagerDuty incident #${incident.number}: ${title})` : '';
  return `${request.reason}${about} (jit-access-bot ${request.id})`;
}

export async function runGrant(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (request.state !== 'approved') return finish(deps, job, `nothing to grant: the request is ${request.state}`);
  const target = findTarget(deps.policy, request.targetId);
  // A journaled call may have landed before the answer was lost; the cleanup job removes what it created.
  const fail = (cause: string, outcome: GrantFailure = {}): Promise<JobOutcome> =>
    record(deps, job, (current, now) => failGrant(current, cause, now, outcome), `grant failed: ${cause}`);
  const mayHaveGranted = request.grantCall !== undefined;
  if (!target) return fail('the target was removed from the policy before the grant', { mayHaveGranted });
  const principalId = request.principalId;
  if (!principalId) return fail('the requester has no Entra account on record');
  if (deps.clock.now() - (request.decidedAt ?? request.createdAt) > GRANT_DEADLINE_MS) {
    const last = job.lastError ? ` (last error: ${job.lastError})` : '';
    return fail(`the grant could not be made within ${GRANT_DEADLINE_MS / 60_000} minutes of the approval${last}`, { mayHaveGranted });
  }
  // The journal decides, not today's policy: a retry never goes to a group the first call did not.
  if (request.grantCall && !sameGrantCall(request.grantCall, target.grant)) {
    return fail(
      `the policy moved this target to another group (or grant kind) after the grant call was sent; the bot removes what that call may have created in group ${request.grantCall.groupId}. Ask again to get the access the policy gives now`,
      { mayHaveGranted: true },
    );
  }
  // A required change record holds the grant until it exists. A call already sent may have landed: it goes on.
  if (target.changeRecord?.required && !request.grantCall) {
    const { change, changeProblem } = request;
    if (change?.state === 'canceled') {
      return fail(`ServiceNow change ${change.number} was canceled, and this target grants access only under an open change`);
    }
    if (!change) {
      const why = changeProblem ? ` (ServiceNow: ${changeProblem})` : '';
      const message = `waiting for the ServiceNow change record this target requires before access is granted${why}`;
      return retry(deps, job, { ok: false, kind: 'transient', message, retryAfterMs: CHANGE_WAIT_MS });
    }
  }
  if (target.grant.kind === 'pim_group' && target.grant.requireEligibility) {
    // The policy may have started to require eligibility, or PIM may have dropped it, since the request was made.
    const eligible = await deps.access.isEligible(target.grant.groupId, principalId);
    if (!eligible.ok) return eligible.kind === 'transient' ? retry(deps, job, eligible) : fail(eligible.message, { mayHaveGranted });
    if (!eligible.present) return fail('the requester is no longer eligible for this group in PIM', { mayHaveGranted });
  }
  return sendGrant({ deps, job, request, target, principalId, mayHaveGranted, fail });
}

/** Journals the call (once), sends it to the journaled group, and records what Entra answered. */
async function sendGrant(attempt: GrantAttempt): Promise<JobOutcome> {
  const { deps, job, request, target, principalId } = attempt;
  // Journal the call before it is sent. A retry keeps the first entry: its time is where the grant's clock starts.
  const journaled = request.grantCall
    ? { ok: true as const, request }
    : await applyTransition(deps, request.id, (current, now) => journalGrantCall(current, target.grant, now), { read: request });
  if (!journaled.ok) return finish(deps, job, `nothing to grant: ${journaled.code}`);
  const call = grantCallOf(journaled.request) ?? { sentAt: deps.clock.now(), kind: target.grant.kind, groupId: target.grant.groupId };
  const membership = { kind: call.kind, groupId: call.groupId, principalId };

  // Written before this look, the journal shows this grant to any end of the same membership that looks after
  // it (it then keeps the membership); an end that looked before is seen here, and the grant waits for it.
  const attemptAt = deps.clock.now();
  const removing = await removalUnderWay(deps, membership, request.id, Number.MAX_SAFE_INTEGER);
  if (removing) return waitForRemoval(deps, job, removing);

  const cap = grantCapMinutes(target, request);
  const durationMinutes = grantedMinutes(request, cap);
  const justification = justificationOf(request);
  const order = {
    grant: grantedSpec(membership),
    principalId,
    durationMinutes,
    justification,
    requestId: request.id,
    startsAt: call.sentAt,
  };
  const result = await deps.access.grant(order);
  if (!result.ok) {
    if (result.kind === 'transient') return retry(deps, job, result);
    // A membership another grant's end kept for this one is the bot's to remove now that this grant failed.
    const inherited = await keptForThis(deps, membership, request.id);
    return attempt.fail(result.message, { mayHaveGranted: attempt.mayHaveGranted || inherited });
  }
  if (result.alreadyPresent) {
    const endsAt = call.sentAt + minutesToMs(durationMinutes);
    const refused = await settleAlreadyPresent(attempt, membership, attemptAt, { endsAt, justification });
    if (refused) return refused;
  }
  const granted = { ...membership, ...(result.reference !== undefined && { reference: result.reference }) };
  const detail = result.alreadyPresent ? 'already granted' : 'granted';
  return record(deps, job, (current, now) => confirmGrant(current, granted, now, cap), detail, journaled.request);
}

/**
 * "Already exists" is the bot's own when another of its grants holds the membership (or kept it for this one);
 * to a first call with no such grant, it is access the person held before. An end under way (or just done) may be
 * what the answer saw: the grant asks again once it is settled. Undefined: the membership is this grant's.
 */
async function settleAlreadyPresent(
  attempt: GrantAttempt,
  membership: GrantRecord,
  attemptAt: number,
  pim: { endsAt: number; justification: string },
): Promise<JobOutcome | undefined> {
  const { deps, job, request } = attempt;
  const since = attemptAt - ANSWER_MARGIN_MS;
  const holders = await deps.requests.listHolders(membership.groupId, membership.principalId, request.id, since);
  const roles = holders.map((other) => ({ other, role: holderRole(other, request.id, since) }));
  const stillRemoving = roles.find(({ role }) => role === 'removing');
  if (stillRemoving) return waitForRemoval(deps, job, stillRemoving.other);
  const keepers = roles.filter(({ role }) => role === 'keeps').map(({ other }) => other);
  if (keepers.length === 0 && !attempt.mayHaveGranted) {
    return attempt.fail('already held: the person had this access before the bot granted it, so the bot leaves it alone', {
      standing: true,
    });
  }
  // Overlapping PIM grants share one assignment: its end in Entra must follow the latest of them.
  const endOf = (other: AccessRequest) => (other.state === 'active' ? other.endsAt : Number.POSITIVE_INFINITY);
  const stillOpen = keepers.filter((other) => other.state !== 'ended');
  if (keepers.length > 0 && stillOpen.every((other) => endOf(other) < pim.endsAt)) {
    const moved = await deps.access.extend(grantedSpec(membership), membership.principalId, pim.endsAt, pim.justification);
    if (!moved.ok) return moved.kind === 'transient' ? retry(deps, job, moved) : attempt.fail(moved.message, { mayHaveGranted: true });
  }
  return undefined;
}

/** Another grant of the bot whose end is removing the same membership right now, if any. */
async function removalUnderWay(
  deps: JobDeps,
  membership: GrantRecord,
  requestId: string,
  since: number,
): Promise<AccessRequest | undefined> {
  const holders = await deps.requests.listHolders(membership.groupId, membership.principalId, requestId, since);
  return holders.find((other) => holderRole(other, requestId, since) === 'removing');
}

async function keptForThis(deps: JobDeps, membership: GrantRecord, requestId: string): Promise<boolean> {
  const holders = await deps.requests.listHolders(membership.groupId, membership.principalId, requestId, Number.MAX_SAFE_INTEGER);
  return holders.some((other) => other.state === 'ended' && other.keptBy === requestId);
}

function waitForRemoval(deps: JobDeps, job: StoredJob, other: AccessRequest): Promise<JobOutcome> {
  const message = `waiting for the end of request ${other.id}, which is removing the same membership`;
  return retry(deps, job, { ok: false, kind: 'transient', message, retryAfterMs: REMOVAL_WAIT_MS });
}
