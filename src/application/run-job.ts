// Runs one durable job: grant, revoke or notify. Effects are idempotent (the provider treats "already there"
// and "already gone" as success), and the state change that records an effect completes its job in the same
// transaction, so a crash at any point means the job runs again and nothing is done twice or lost.

import {
  type AccessRequest,
  confirmGrant,
  failGrant,
  type GrantFailure,
  type GrantRecord,
  grantedMinutes,
  journalGrantCall,
  recordCleanup,
  sameGrantCall,
} from '../domain/access-request.js';
import { minutesToMs } from '../domain/duration.js';
import { confirmEnd, endHeldElsewhere, recordSignOut, reportRevokeTrouble } from '../domain/ending.js';
import { grantedSpec, holderRole, journaledMembership } from '../domain/membership.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import { cleanUpFailedGrant } from './clean-up.js';
import type { AccessProvider, BoundarySignOuts, Clock, JobQueue, Notifier, OutsideFailure, RequestRepository, StoredJob } from './ports.js';

export interface JobDeps {
  requests: RequestRepository;
  jobs: JobQueue;
  policy: Policy;
  clock: Clock;
  access: AccessProvider;
  notifier: Notifier;
  /** Absent without BOUNDARY_ADDR: the thread then says existing Boundary sign-ins may last until they expire. */
  boundary?: BoundarySignOuts;
}

export type JobOutcome = (
  | { result: 'done'; detail: string }
  | { result: 'retry'; detail: string; runAt: number }
  | { result: 'buried'; detail: string }
) & {
  /** The request as the job read it, and as the job left it (the same when it changed nothing), for the metrics. */
  before?: AccessRequest;
  after?: AccessRequest;
};

// The approvers hear about a revocation still failing after this many attempts; it keeps being retried.
export const REVOKE_ALERT_AFTER = 5;
export const NOTIFY_MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 5 * 60_000;
// A permanent refusal to revoke (a 403 after a permission change) is retried slowly until someone fixes it.
const PERMANENT_REVOKE_BACKOFF_MS = 60_000;

/** Exponential from one second, capped at five minutes; the service's Retry-After wins when it gave one. */
export function backoffMs(attempts: number, retryAfterMs?: number): number {
  return retryAfterMs ?? Math.min(1000 * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export async function runJob(deps: JobDeps, job: StoredJob): Promise<JobOutcome> {
  const request = await deps.requests.find(job.requestId);
  if (!request) {
    await deps.jobs.bury(job, 'request not found', deps.clock.now());
    return { result: 'buried', detail: 'request not found' };
  }
  const outcome = await runKind(deps, job, request);
  return { ...outcome, before: request, after: outcome.after ?? request };
}

function runKind(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (job.kind === 'grant') return runGrant(deps, job, request);
  if (job.kind === 'sign_out') return runSignOut(deps, job, request);
  if (job.kind === 'revoke') return runRevoke(deps, job, request);
  return runNotify(deps, job, request);
}

async function finish(deps: JobDeps, job: StoredJob, detail: string): Promise<JobOutcome> {
  await deps.jobs.complete(job, deps.clock.now());
  return { result: 'done', detail };
}

/**
 * Records the effect's outcome and completes the job in one transaction (or just completes it, if the request
 * moved on). `read`: the request as this job last read or wrote it, decided on without reading it again.
 */
async function record(
  deps: JobDeps,
  job: StoredJob,
  decide: Parameters<typeof applyTransition>[2],
  detail: string,
  read?: AccessRequest,
): Promise<JobOutcome> {
  const changed = await applyTransition(deps, job.requestId, decide, { completeJob: job, ...(read && { read }) });
  return changed.ok
    ? { result: 'done', detail, after: changed.request }
    : finish(deps, job, `${detail}; the request had moved on (${changed.code})`);
}

async function retry(deps: JobDeps, job: StoredJob, failure: OutsideFailure, minimumMs = 0): Promise<JobOutcome> {
  const now = deps.clock.now();
  const wait = Math.max(minimumMs, backoffMs(job.attempts, failure.kind === 'transient' ? failure.retryAfterMs : undefined));
  await deps.jobs.retry(job, now + wait, failure.message, now);
  return { result: 'retry', detail: failure.message, runAt: now + wait };
}

/** Never give up on ending access (in Entra, in Boundary, or after a failed grant): a permanent refusal is retried too, more slowly. */
function retryEnding(deps: JobDeps, job: StoredJob, failure: OutsideFailure): Promise<JobOutcome> {
  return retry(deps, job, failure, failure.kind === 'permanent' ? PERMANENT_REVOKE_BACKOFF_MS : 0);
}

// An approved grant that cannot be made within this long fails with a clear message instead of hanging.
export const GRANT_DEADLINE_MS = 15 * 60_000;

// While a removal of the same membership is under way, a grant waits this long and asks again.
const REMOVAL_WAIT_MS = 2_000;
// Ends recorded this long before a call still count as possibly seen by its "already exists": replicas' clocks
// may differ by a little.
const ANSWER_MARGIN_MS = 5_000;

async function runGrant(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
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

  if (target.grant.kind === 'pim_group' && target.grant.requireEligibility) {
    // The policy may have started to require eligibility, or PIM may have dropped it, since the request was made.
    const eligible = await deps.access.isEligible(target.grant.groupId, principalId);
    if (!eligible.ok) return eligible.kind === 'transient' ? retry(deps, job, eligible) : fail(eligible.message, { mayHaveGranted });
    if (!eligible.present) return fail('the requester is no longer eligible for this group in PIM', { mayHaveGranted });
  }
  const durationMinutes = grantedMinutes(request, target.duration.maxMinutes);
  const justification = `${request.reason} (jit-access-bot ${request.id})`;

  // Journal the call before it is sent. A retry keeps the first entry: its time is where the grant's clock starts.
  const journaled = request.grantCall
    ? { ok: true as const, request }
    : await applyTransition(deps, request.id, (current, now) => journalGrantCall(current, target.grant, now));
  if (!journaled.ok) return finish(deps, job, `nothing to grant: ${journaled.code}`);
  const call = journaled.request.grantCall ?? { sentAt: deps.clock.now(), kind: target.grant.kind, groupId: target.grant.groupId };
  const membership = { kind: call.kind, groupId: call.groupId, principalId };

  // Written before this look, the journal shows this grant to any end of the same membership that looks after
  // it (it then keeps the membership); an end that looked before is seen here, and the grant waits for it.
  const attemptAt = deps.clock.now();
  const removing = await removalUnderWay(deps, membership, request.id, Number.MAX_SAFE_INTEGER);
  if (removing) return waitForRemoval(deps, job, removing);

  const result = await deps.access.grant({
    grant: grantedSpec(membership),
    principalId,
    durationMinutes,
    justification,
    requestId: request.id,
    startsAt: call.sentAt,
  });
  if (!result.ok) {
    if (result.kind === 'transient') return retry(deps, job, result);
    // A membership another grant's end kept for this one is the bot's to remove now that this grant failed.
    const inherited = await keptForThis(deps, membership, request.id);
    return fail(result.message, { mayHaveGranted: mayHaveGranted || inherited });
  }

  if (result.alreadyPresent) {
    // "Already exists" is the bot's own when another of its grants holds the membership (or kept it for this one);
    // to a first call with no such grant, it is access the person held before. An end under way (or just done)
    // may be what the answer saw: the grant asks again once it is settled.
    const holders = await deps.requests.listHolders(call.groupId, principalId, request.id, attemptAt - ANSWER_MARGIN_MS);
    const roles = holders.map((other) => ({ other, role: holderRole(other, request.id, attemptAt - ANSWER_MARGIN_MS) }));
    const stillRemoving = roles.find(({ role }) => role === 'removing');
    if (stillRemoving) return waitForRemoval(deps, job, stillRemoving.other);
    const keepers = roles.filter(({ role }) => role === 'keeps').map(({ other }) => other);
    if (keepers.length === 0 && !mayHaveGranted) {
      return fail(`already held: the person had this access before the bot granted it, so the bot leaves it alone`, {
        standing: true,
      });
    }
    // Overlapping PIM grants share one assignment: its end in Entra must follow the latest of them.
    const endsAt = call.sentAt + minutesToMs(durationMinutes);
    const stillOpen = keepers.filter((other) => other.state !== 'ended');
    if (keepers.length > 0 && stillOpen.every((other) => (other.endsAt ?? Number.POSITIVE_INFINITY) < endsAt)) {
      const moved = await deps.access.extend(grantedSpec(membership), principalId, endsAt, justification);
      if (!moved.ok) return moved.kind === 'transient' ? retry(deps, job, moved) : fail(moved.message, { mayHaveGranted: true });
    }
  }
  const granted = { ...membership, ...(result.reference !== undefined && { reference: result.reference }) };
  const detail = result.alreadyPresent ? 'already granted' : 'granted';
  return record(deps, job, (current, now) => confirmGrant(current, granted, now, target.duration.maxMinutes), detail, journaled.request);
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

/** The latest-ending other grant of the bot that holds the same membership, if any. */
async function coveringGrant(deps: JobDeps, groupId: string, principalId: string, requestId: string): Promise<AccessRequest | undefined> {
  const covering = await deps.requests.listCovering(groupId, principalId, requestId);
  return covering.sort((a, b) => (b.endsAt ?? Number.POSITIVE_INFINITY) - (a.endsAt ?? Number.POSITIVE_INFINITY))[0];
}

async function runRevoke(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  if (request.state === 'failed') return runCleanup(deps, job, request);
  // A Boundary step queued as a revoke job, before sign-outs had a kind of their own.
  if (request.state === 'ended') return runSignOut(deps, job, request);
  if (request.state !== 'active' || !request.ending) return finish(deps, job, `nothing to revoke: the request is ${request.state}`);
  // What the bot's call made: the journaled group, even where the recorded grant says otherwise.
  const membership = journaledMembership(request);
  const grant = request.grant;
  // A grant is recorded with the transition to active; an active request without one cannot exist.
  if (!grant || !membership) throw new Error(`request ${request.id} is active without a recorded grant`);

  // Another active grant of the bot holds the same membership: it stays until the last of them ends. This end
  // is marked as under way before this look, so a grant journaled after it waits for the end to settle.
  const keeper = await coveringGrant(deps, membership.groupId, membership.principalId, request.id);
  if (keeper) {
    const removal = { outcome: 'kept', keptBy: keeper.id } as const;
    return record(deps, job, (current, now) => confirmEnd(current, now, removal), `kept for ${keeper.id}`);
  }
  const sameAsRecorded = grant.groupId.toLowerCase() === membership.groupId.toLowerCase();
  const ownership = { requestId: request.id, ...(sameAsRecorded && grant.reference !== undefined && { reference: grant.reference }) };
  const result = await deps.access.revoke(grantedSpec(membership), membership.principalId, ownership);
  if (result.ok && result.heldBy !== undefined) {
    // Not the bot's assignment: the grant ends, and the access stays with whoever made the one that holds it.
    const heldBy = result.heldBy;
    return record(deps, job, (current, now) => endHeldElsewhere(current, now, heldBy), `held by ${heldBy}`, request);
  }
  if (result.ok) {
    const removal = { outcome: result.alreadyAbsent ? 'absent' : 'removed' } as const;
    const signOut = deps.boundary !== undefined;
    return record(deps, job, (current, now) => confirmEnd(current, now, removal, signOut), removal.outcome, request);
  }
  if (job.attempts === REVOKE_ALERT_AFTER) {
    await applyTransition(deps, request.id, (current) => reportRevokeTrouble(current, result.message, job.attempts));
  }
  return retryEnding(deps, job, result);
}

/**
 * Once Entra confirmed the membership gone: the person's Boundary sign-ins and live sessions end too, since
 * Boundary re-reads managed groups only at the next sign-in. Retried without end, like the Entra step.
 */
async function runSignOut(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const principalId = request.grant?.principalId ?? request.principalId;
  // Queued after each removal the bot made (an end, a cleanup, a lingering membership): each runs once, as a job.
  if (!deps.boundary || request.removal === 'kept' || request.removal === 'held' || !principalId)
    return finish(deps, job, 'nothing to sign out');
  const result = await deps.boundary.endSignIns({ principalId, email: request.email ?? request.principalName ?? '' });
  if (result.ok) {
    const counts = { tokensRevoked: result.tokensRevoked, sessionsEnded: result.sessionsEnded, otherAccounts: result.otherAccounts };
    return record(deps, job, (current, now) => recordSignOut(current, { at: now, ...counts }), 'Boundary sign-ins ended');
  }
  if (job.attempts === REVOKE_ALERT_AFTER) {
    await applyTransition(deps, request.id, (current) => reportRevokeTrouble(current, `Boundary: ${result.message}`, job.attempts));
  }
  return retryEnding(deps, job, result);
}

/** A failed grant whose call may have landed: remove what it may have created, unless another grant covers it. */
async function runCleanup(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const found = await cleanUpFailedGrant(deps, request);
  if (!found) return finish(deps, job, 'nothing to clean up');
  if ('ok' in found) return retryEnding(deps, job, found);
  const { result, ...holders } = found;
  const signOut = deps.boundary !== undefined;
  return record(deps, job, (current, now) => recordCleanup(current, result, now, holders, signOut), `cleanup: ${result}`);
}

async function runNotify(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  const result = await deps.notifier.notify(request, job.event ?? 'changed');
  if (result.ok) return finish(deps, job, `told about ${job.event}`);
  if (result.kind === 'permanent' || job.attempts >= NOTIFY_MAX_ATTEMPTS) {
    await deps.jobs.bury(job, result.message, deps.clock.now());
    return { result: 'buried', detail: result.message };
  }
  return retry(deps, job, result);
}
