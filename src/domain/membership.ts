// Which requests hold an Entra membership, and what a grant is in the provider's terms.

import type { AccessRequest, GrantCall, GrantRecord, RequestState } from './access-request.js';
import type { GrantSpec } from './policy.js';

/** The grant as the provider needs it to end it: what was granted, whatever the policy says today. */
export function grantedSpec(grant: GrantRecord): GrantSpec {
  return grant.kind === 'pim_group'
    ? { kind: 'pim_group', groupId: grant.groupId, requireEligibility: false }
    : { kind: 'group_membership', groupId: grant.groupId };
}

/** What was granted: only a request whose grant Entra confirmed (active, or ended since) has one. */
export function grantOf(request: AccessRequest): GrantRecord | undefined {
  return request.state === 'active' || request.state === 'ended' ? request.grant : undefined;
}

/** The journaled grant call: only a request that was approved (and may have gone on since) can have one. */
export function grantCallOf(request: AccessRequest): GrantCall | undefined {
  switch (request.state) {
    case 'approved':
    case 'active':
    case 'ended':
    case 'failed':
      return request.grantCall;
    default:
      return undefined;
  }
}

/** The one of `requests` whose grant ends last (one not yet granted counts as ending last), if any. */
export function latestEnding(requests: readonly AccessRequest[]): AccessRequest | undefined {
  const end = (request: AccessRequest) =>
    request.state === 'active' || request.state === 'ended' ? request.endsAt : Number.POSITIVE_INFINITY;
  return [...requests].sort((a, b) => end(b) - end(a))[0];
}

/**
 * Whether `other` holds the same Entra membership (group and person) as `request`'s grant would, so ending one
 * must leave the membership in place: an active grant that is not ending, or an approved one whose grant call
 * may already have landed.
 */
export function coversSameMembership(other: AccessRequest, groupId: string, principalId: string): boolean {
  const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
  if (!same(other.principalId ?? grantOf(other)?.principalId, principalId)) return false;
  if (other.state === 'active') return !other.ending && same(other.grant.groupId, groupId);
  return other.state === 'approved' && same(other.grantCall?.groupId, groupId);
}

export function isOpen(state: RequestState): boolean {
  return state === 'pending' || state === 'approved' || state === 'active';
}

/**
 * One open request per person and target: a second grant of the same group would end with the first one's
 * revocation, so the person is asked to use (or end) what they have instead.
 */
export function openRequestFor(requests: readonly AccessRequest[], targetId: string): AccessRequest | undefined {
  return requests.find((request) => request.targetId === targetId && isOpen(request.state));
}

/**
 * The membership a request's grant call made or may have made: the journaled call's kind and group, whatever
 * the policy says today; a grant from before calls were journaled has only its record.
 */
export function journaledMembership(request: AccessRequest): GrantRecord | undefined {
  const principalId = grantOf(request)?.principalId ?? request.principalId;
  if (principalId === undefined) return undefined;
  const call = grantCallOf(request) ?? grantOf(request);
  return call && { kind: call.kind, groupId: call.groupId, principalId };
}

/** A grant whose record names another group (or kind) than its journaled call: made by a retry after a policy edit. */
export function grantDisagreesWithJournal(request: AccessRequest): boolean {
  const grant = grantOf(request);
  const grantCall = grantCallOf(request);
  return (
    grant !== undefined &&
    grantCall !== undefined &&
    (grant.kind !== grantCall.kind || grant.groupId.toLowerCase() !== grantCall.groupId.toLowerCase())
  );
}

/**
 * What another request of the bot is to a grant being made for the same membership, when Graph answered "already
 * exists": `keeps` it (active and not ending, approved with its call sent, or ended keeping it for this very
 * request), or is `removing` it (ending now, or ended since `since`: the answer may have seen the membership it
 * was removing). A grant never takes a membership being removed for its own: it waits until the removal is
 * settled and asks again.
 */
export type HolderRole = 'keeps' | 'removing' | 'none';

export function holderRole(other: AccessRequest, requestId: string, since: number): HolderRole {
  if (other.state === 'approved') return other.grantCall ? 'keeps' : 'none';
  if (other.state === 'active') return other.ending ? 'removing' : 'keeps';
  if (other.state !== 'ended') return 'none';
  if (other.keptBy === requestId) return 'keeps';
  const removedByBot = other.removal === 'removed' || other.removal === 'absent';
  return removedByBot && other.endedAt >= since ? 'removing' : 'none';
}

/**
 * One step in telling whether the bot's own removal of an ended grant's membership was confirmed: `confirmed`
 * (the bot removed it or found it gone), `held` (an assignment the bot did not make holds it), `covered` or
 * `pending` (a grant of the bot holds it now, or its removal is still under way), or `follow` the request whose
 * grant it was kept for. `unconfirmed`: nothing shows the bot ever removed it.
 */
export type RemovalStep = { status: 'confirmed' | 'unconfirmed' | 'held' | 'covered' | 'pending' } | { status: 'follow'; keptBy: string };

export function removalStep(request: AccessRequest): RemovalStep {
  switch (request.state) {
    case 'approved':
      return { status: request.grantCall ? 'covered' : 'unconfirmed' };
    case 'active':
      return { status: request.ending ? 'pending' : 'covered' };
    case 'ended':
      if (request.removal === 'kept') return request.keptBy ? { status: 'follow', keptBy: request.keptBy } : { status: 'unconfirmed' };
      return { status: request.removal === 'held' ? 'held' : 'confirmed' };
    case 'failed':
      switch (request.cleanup?.result) {
        case undefined:
          // Its cleanup (or reconciliation's pass over failed grants) takes care of it.
          return { status: request.grantCall ? 'pending' : 'unconfirmed' };
        case 'removed':
        case 'absent':
          return { status: 'confirmed' };
        case 'standing':
          // Reached only as a keeper: an end kept the membership for this grant, so the membership was the bot's
          // whatever this grant's call made of it (a release before grants waited for ends could say so).
          return { status: request.heldBy ? 'held' : 'unconfirmed' };
        case 'covered':
          return request.keptBy ? { status: 'follow', keptBy: request.keptBy } : { status: 'unconfirmed' };
      }
      break;
    case 'pending':
    case 'denied':
    case 'cancelled':
    case 'timed_out':
      return { status: 'unconfirmed' };
  }
  return { status: 'unconfirmed' };
}
