// After a failed grant whose call was sent: what the call may have created is looked for and removed, by the
// cleanup job the failure ordered, or by reconciliation for a failure that ordered none (or lost it).

import type { AccessRequest, CleanupResult } from '../domain/access-request.js';
import { grantedSpec, latestEnding } from '../domain/membership.js';
import type { AccessProvider, OutsideFailure, RequestRepository } from './ports.js';

export interface CleanupFinding {
  result: CleanupResult;
  /** The bot's other request that covers the membership. */
  keptBy?: string;
  /** The assignment the bot did not make that holds the membership. */
  heldBy?: string;
}

export interface CleanupDeps {
  requests: RequestRepository;
  access: AccessProvider;
}

/**
 * Removes the membership the call may have created, unless another grant of the bot covers it (the latest
 * ending keeps it) or an assignment the bot did not make holds it. Undefined: nothing to clean up.
 */
export async function cleanUpFailedGrant(deps: CleanupDeps, request: AccessRequest): Promise<CleanupFinding | OutsideFailure | undefined> {
  if (request.state !== 'failed') return undefined;
  const call = request.grantCall;
  const principalId = request.principalId;
  if (!call || request.cleanup || !principalId) return undefined;
  // Looked for right before the removal, so a grant journaled since keeps the membership.
  const keeper = latestEnding(await deps.requests.listCovering(call.groupId, principalId, request.id));
  if (keeper) return { result: 'covered', keptBy: keeper.id };
  // The call's answer never came back, so only the request's ticket can tell a PIM assignment as the bot's.
  const spec = grantedSpec({ kind: call.kind, groupId: call.groupId, principalId });
  const removed = await deps.access.revoke(spec, principalId, { requestId: request.id });
  if (!removed.ok) return removed;
  if (removed.heldBy !== undefined) return { result: 'standing', heldBy: removed.heldBy };
  return { result: removed.alreadyAbsent ? 'absent' : 'removed' };
}
