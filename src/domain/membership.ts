// Which requests hold an Entra membership, and what a grant is in the provider's terms.

import type { AccessRequest, GrantRecord, RequestState } from './access-request.js';
import type { GrantSpec } from './policy.js';

/** The grant as the provider needs it to end it: what was granted, whatever the policy says today. */
export function grantedSpec(grant: GrantRecord): GrantSpec {
  return grant.kind === 'pim_group'
    ? { kind: 'pim_group', groupId: grant.groupId, requireEligibility: false }
    : { kind: 'group_membership', groupId: grant.groupId };
}

/**
 * Whether `other` holds the same Entra membership (group and person) as `request`'s grant would, so ending one
 * must leave the membership in place: an active grant that is not ending, or an approved one whose grant call
 * may already have landed.
 */
export function coversSameMembership(other: AccessRequest, groupId: string, principalId: string): boolean {
  const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
  if (!same(other.principalId ?? other.grant?.principalId, principalId)) return false;
  if (other.state === 'active') return !other.ending && same(other.grant?.groupId, groupId);
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
