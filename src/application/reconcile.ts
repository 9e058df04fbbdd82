// Compares what Graph says with what the store says, at start and hourly, and repairs the difference:
// a membership removed by hand (the grant is ended and everyone told), a membership still there after its
// grant ended where the bot's own removal was never confirmed (it is removed and the approvers told), and what
// a failed grant's call left behind with no cleanup to remove it (removed, and the thread told). A membership
// the bot's removal had confirmed gone and someone added again is reported and left alone. PIM ending an
// assignment first is not drift: the sweep ends that grant on time and finds it already gone. An assignment the
// bot did not make is never removed. Membership is looked for in the group the grant's journaled call went to.

import { type AccessRequest, type ActiveRequest, type EndedRequest, recordCleanup } from '../domain/access-request.js';
import { endJournalMismatch, endRemovedOutside, recordLingeringAccess } from '../domain/ending.js';
import { grantDisagreesWithJournal, grantedSpec, journaledMembership, type RemovalStep, removalStep } from '../domain/membership.js';
import type { Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import { cleanUpFailedGrant } from './clean-up.js';
import type { AccessProvider, BoundarySignOuts, Clock, RequestRepository } from './ports.js';

export interface ReconcileDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  access: AccessProvider;
  /**
   * Awaited before each grant is checked with Graph: spaces the checks out, so that reconciling thousands of
   * grants neither spends Graph's request budget at once nor takes the bot from the grants and ends due now.
   */
  pace?: () => Promise<void>;
  /** With Boundary configured, a membership the bot removes is followed by the person's Boundary sign-out step. */
  boundary?: BoundarySignOuts;
}

export interface ReconcileReport {
  checked: number;
  removedOutside: string[];
  /** Ended grants whose membership the bot had never confirmed removed, found still there and removed now. */
  lingering: string[];
  /**
   * Ended grants whose membership the bot's own removal had confirmed gone, found there again: someone added it
   * since (the Entra portal, an access package, a sync). Reported, never touched.
   */
  addedSince: string[];
  /** Grants recorded on another group than their journaled call went to: ended, the journaled group cleaned up. */
  mismatched: string[];
  /** Failed grants whose leftover membership this pass removed. */
  cleanedUp: string[];
  unknown: string[];
}

// Ended grants are checked again for a day: long enough to catch a failed removal, short enough to stay cheap.
const ENDED_LOOKBACK_MS = 24 * 3_600_000;
const LIMIT = 10_000;
// Grants are read a page at a time: memory stays flat however many there are.
const PAGE = 200;
// Graph answers a direct-membership check from an index that may lag a change by a little (a filtered
// `groups/{id}/members` query is an "advanced query", eventually consistent): a grant made or ended this
// recently is left for the next pass, rather than taken for one removed outside the bot or added back.
export const SETTLING_MS = 5 * 60_000;
// Keepers followed from an ended grant to the removal that settled its membership; more means a corrupt store.
const MAX_KEEPERS = 20;

/** Every request `readPage` yields, a page at a time in id order. */
async function* pages(readPage: (afterId: string) => Promise<AccessRequest[]>): AsyncGenerator<AccessRequest> {
  let afterId = '';
  for (;;) {
    const page = await readPage(afterId);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    afterId = last.id;
  }
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    checked: 0,
    removedOutside: [],
    lingering: [],
    addedSince: [],
    mismatched: [],
    cleanedUp: [],
    unknown: [],
  };
  const now = deps.clock.now();
  const settled = (at: number) => at <= now - SETTLING_MS;
  for await (const request of pages((afterId) => deps.requests.listActiveGrants(afterId, PAGE))) {
    if (request.state === 'active' && request.endsAt > now && settled(request.grantedAt)) await checkActive(deps, request, report);
  }
  for await (const request of pages((afterId) => deps.requests.listEndedSince(now - ENDED_LOOKBACK_MS, afterId, PAGE))) {
    if (request.state === 'ended' && settled(request.endedAt)) await checkEnded(deps, request, report);
  }
  for (const request of await deps.requests.listUncleaned(LIMIT)) await checkFailed(deps, request, report);
  return report;
}

async function checkActive(deps: ReconcileDeps, request: ActiveRequest, report: ReconcileReport): Promise<void> {
  const membership = journaledMembership(request);
  if (!membership) return;
  report.checked += 1;
  if (grantDisagreesWithJournal(request)) {
    // Only grants made before the journal decided can disagree with it; their end goes to the journaled group.
    if ((await applyTransition(deps, request.id, (current, at) => endJournalMismatch(current, at))).ok) report.mismatched.push(request.id);
    return;
  }
  await deps.pace?.();
  const presence = await deps.access.isPresent(grantedSpec(membership), membership.principalId);
  if (!presence.ok) report.unknown.push(request.id);
  else if (!presence.present && (await applyTransition(deps, request.id, (current, at) => endRemovedOutside(current, at))).ok) {
    report.removedOutside.push(request.id);
  }
}

/**
 * Follows an ended grant to the removal that settled its membership: its own end, or, where the end kept the
 * membership for another grant of the bot, that grant's end or cleanup (and so on).
 */
async function settledRemoval(deps: ReconcileDeps, request: AccessRequest): Promise<RemovalStep['status']> {
  let step = removalStep(request);
  for (let followed = 0; step.status === 'follow' && followed < MAX_KEEPERS; followed++) {
    const keeper = await deps.requests.find(step.keptBy);
    step = keeper ? removalStep(keeper) : { status: 'unconfirmed' };
  }
  return step.status === 'follow' ? 'unconfirmed' : step.status;
}

async function checkEnded(deps: ReconcileDeps, request: EndedRequest, report: ReconcileReport): Promise<void> {
  const membership = journaledMembership(request);
  if (!membership) return;
  const { groupId, principalId } = membership;
  // Another grant of the bot keeps the membership legitimately. Asked item by item, at the moment of the
  // check, so a grant that lands while reconciliation runs is never taken for a leftover.
  if ((await deps.requests.listCovering(groupId, principalId, request.id)).length > 0) return;
  const settled = await settledRemoval(deps, request);
  // Held by an assignment the bot did not make, or in the hands of a grant, an end or a cleanup under way.
  if (settled === 'held' || settled === 'covered' || settled === 'pending') return;
  report.checked += 1;
  await deps.pace?.();
  const presence = await deps.access.isPresent(grantedSpec(membership), principalId);
  if (!presence.ok) {
    report.unknown.push(request.id);
    return;
  }
  if (!presence.present) return;
  if (settled === 'confirmed') {
    // The bot removed it (or found it gone): whoever added it since did so outside the bot, and it is theirs.
    report.addedSince.push(request.id);
    return;
  }
  // Checked again right before the removal: a grant may have landed while Graph was being read.
  if ((await deps.requests.listCovering(groupId, principalId, request.id)).length > 0) return;
  const { reference } = request.grant;
  const ownership = { requestId: request.id, ...(reference !== undefined && { reference }) };
  const removed = await deps.access.revoke(grantedSpec(membership), principalId, ownership);
  // Present again, but through an assignment someone else made since: theirs, not a leftover of the bot's.
  if (removed.ok && removed.heldBy !== undefined) return;
  const signOut = deps.boundary !== undefined;
  await applyTransition(deps, request.id, (current) =>
    recordLingeringAccess(current, removed.ok, removed.ok ? undefined : removed.message, signOut),
  );
  report.lingering.push(request.id);
}

/**
 * A failed grant whose call was sent and whose cleanup never ran (a first call answered with a refusal after it
 * had landed, or a cleanup lost): the call's group is in its journal, whatever the policy says now.
 */
async function checkFailed(deps: ReconcileDeps, request: AccessRequest, report: ReconcileReport): Promise<void> {
  report.checked += 1;
  await deps.pace?.();
  const found = await cleanUpFailedGrant(deps, request);
  if (!found) return;
  if ('ok' in found) {
    report.unknown.push(request.id);
    return;
  }
  const { result, ...holders } = found;
  const signOut = deps.boundary !== undefined;
  const recorded = await applyTransition(deps, request.id, (current, at) => recordCleanup(current, result, at, holders, signOut));
  if (recorded.ok && result === 'removed') report.cleanedUp.push(request.id);
}
