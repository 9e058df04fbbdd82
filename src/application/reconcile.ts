// Compares what Graph says with what the store says, at start and hourly, and repairs the difference:
// a membership removed by hand (the grant is ended and everyone told), and a membership still there after its
// grant ended (it is removed again and the approvers told). PIM ending an assignment first is not drift:
// the sweep ends that grant on time and finds it already gone.

import { endRemovedOutside, recordLingeringAccess } from '../domain/access-request.js';
import { grantedSpec } from '../domain/membership.js';
import type { Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import type { AccessProvider, Clock, RequestRepository } from './ports.js';

export interface ReconcileDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  access: AccessProvider;
}

export interface ReconcileReport {
  checked: number;
  removedOutside: string[];
  lingering: string[];
  unknown: string[];
}

// Ended grants are checked again for a day: long enough to catch a failed removal, short enough to stay cheap.
const ENDED_LOOKBACK_MS = 24 * 3_600_000;
const LIMIT = 10_000;

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, removedOutside: [], lingering: [], unknown: [] };
  const now = deps.clock.now();
  const active = (await deps.requests.listByState('active', LIMIT)).filter((request) => request.grant && !request.ending);

  for (const request of active) {
    const grant = request.grant;
    if (!grant || (request.endsAt !== undefined && request.endsAt <= now)) continue;
    report.checked += 1;
    const presence = await deps.access.isPresent(grantedSpec(grant), grant.principalId);
    if (!presence.ok) report.unknown.push(request.id);
    else if (!presence.present && (await applyTransition(deps, request.id, (current, at) => endRemovedOutside(current, at))).ok) {
      report.removedOutside.push(request.id);
    }
  }

  for (const request of await deps.requests.listEndedSince(now - ENDED_LOOKBACK_MS, LIMIT)) {
    const grant = request.grant;
    if (!grant) continue;
    // Another grant of the bot keeps the membership legitimately. Asked item by item, at the moment of the
    // check, so a grant that lands while reconciliation runs is never taken for a leftover.
    if ((await deps.requests.listCovering(grant.groupId, grant.principalId, request.id)).length > 0) continue;
    report.checked += 1;
    const presence = await deps.access.isPresent(grantedSpec(grant), grant.principalId);
    if (!presence.ok) {
      report.unknown.push(request.id);
      continue;
    }
    if (!presence.present) continue;
    const removed = await deps.access.revoke(grantedSpec(grant), grant.principalId);
    await applyTransition(deps, request.id, (current) =>
      recordLingeringAccess(current, removed.ok, removed.ok ? undefined : removed.message),
    );
    report.lingering.push(request.id);
  }
  return report;
}
