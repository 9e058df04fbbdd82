// Compares what Graph says with what the store says, at start and hourly, and repairs the difference:
// a membership removed by hand (the grant is ended and everyone told), a membership still there after its
// grant ended (it is removed again and the approvers told), and what a failed grant's call left behind with no
// cleanup to remove it (removed, and the thread told). PIM ending an assignment first is not drift: the sweep
// ends that grant on time and finds it already gone. An assignment the bot did not make is never removed.

import { type AccessRequest, recordCleanup } from '../domain/access-request.js';
import { endRemovedOutside, recordLingeringAccess } from '../domain/ending.js';
import { grantedSpec } from '../domain/membership.js';
import type { Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import { cleanUpFailedGrant } from './clean-up.js';
import type { AccessProvider, Clock, RequestRepository } from './ports.js';

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
}

export interface ReconcileReport {
  checked: number;
  removedOutside: string[];
  lingering: string[];
  /** Failed grants whose leftover membership this pass removed. */
  cleanedUp: string[];
  unknown: string[];
}

// Ended grants are checked again for a day: long enough to catch a failed removal, short enough to stay cheap.
const ENDED_LOOKBACK_MS = 24 * 3_600_000;
const LIMIT = 10_000;
// Grants are read a page at a time: memory stays flat however many there are.
const PAGE = 200;

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
  const report: ReconcileReport = { checked: 0, removedOutside: [], lingering: [], cleanedUp: [], unknown: [] };
  const now = deps.clock.now();
  for await (const request of pages((afterId) => deps.requests.listActiveGrants(afterId, PAGE))) {
    if (request.endsAt === undefined || request.endsAt > now) await checkActive(deps, request, report);
  }
  for await (const request of pages((afterId) => deps.requests.listEndedSince(now - ENDED_LOOKBACK_MS, afterId, PAGE))) {
    await checkEnded(deps, request, report);
  }
  for (const request of await deps.requests.listUncleaned(LIMIT)) await checkFailed(deps, request, report);
  return report;
}

async function checkActive(deps: ReconcileDeps, request: AccessRequest, report: ReconcileReport): Promise<void> {
  const grant = request.grant;
  if (!grant) return;
  report.checked += 1;
  await deps.pace?.();
  const presence = await deps.access.isPresent(grantedSpec(grant), grant.principalId);
  if (!presence.ok) report.unknown.push(request.id);
  else if (!presence.present && (await applyTransition(deps, request.id, (current, at) => endRemovedOutside(current, at))).ok) {
    report.removedOutside.push(request.id);
  }
}

async function checkEnded(deps: ReconcileDeps, request: AccessRequest, report: ReconcileReport): Promise<void> {
  const grant = request.grant;
  // An end that found the membership held by an assignment the bot did not make left it there on purpose.
  if (!grant || request.heldBy !== undefined) return;
  // Another grant of the bot keeps the membership legitimately. Asked item by item, at the moment of the
  // check, so a grant that lands while reconciliation runs is never taken for a leftover.
  if ((await deps.requests.listCovering(grant.groupId, grant.principalId, request.id)).length > 0) return;
  report.checked += 1;
  await deps.pace?.();
  const presence = await deps.access.isPresent(grantedSpec(grant), grant.principalId);
  if (!presence.ok) {
    report.unknown.push(request.id);
    return;
  }
  if (!presence.present) return;
  const ownership = { requestId: request.id, ...(grant.reference !== undefined && { reference: grant.reference }) };
  const removed = await deps.access.revoke(grantedSpec(grant), grant.principalId, ownership);
  // Present again, but through an assignment someone else made since: theirs, not a leftover of the bot's.
  if (removed.ok && removed.heldBy !== undefined) return;
  await applyTransition(deps, request.id, (current) =>
    recordLingeringAccess(current, removed.ok, removed.ok ? undefined : removed.message),
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
  const { result, keptBy, heldBy } = found;
  const recorded = await applyTransition(deps, request.id, (current, at) => recordCleanup(current, result, at, keptBy, heldBy));
  if (recorded.ok && result === 'removed') report.cleanedUp.push(request.id);
}
