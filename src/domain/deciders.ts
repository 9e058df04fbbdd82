// Who may decide on a request: the target's approvers now (listed by name, and the members of its user groups as
// Slack lists them when asked: approvers.ts) and, once the request has escalated, the target's `escalate.users`
// as well (as the policy lists them now too), never its requester. The decision rule, the quorum count, the
// reminders and the Home tabs all ask here, so they never disagree.

import { type Approvers, listedApprovers } from './approvers.js';
import type { Target } from './policy.js';
import type { AccessRequest } from './request-states.js';

/** The people escalation has made approvers of this request: none before it escalated, never its requester. */
export function escalatedApprovers(request: AccessRequest, target: Target): string[] {
  if (request.escalatedAt === undefined || !target.approvers.escalate) return [];
  return target.approvers.escalate.users.filter((user) => user !== request.requesterId);
}

/**
 * Everyone named who may decide on the request now, each once, the target's listed approvers first (members of
 * its user groups are mentioned as the group).
 */
export function decidersOf(request: AccessRequest, target: Target): string[] {
  const everyone = [...target.approvers.users, ...escalatedApprovers(request, target)];
  return [...new Set(everyone)].filter((user) => user !== request.requesterId);
}

/**
 * Whether `actor` may approve or deny the request, leaving aside whether it still waits. `approvers`: who may
 * decide now (approvers.ts); without it, the people the target lists by name.
 */
export function mayDecide(request: AccessRequest, target: Target, actor: string, approvers: Approvers = listedApprovers(target)): boolean {
  if (actor === request.requesterId) return false;
  return approvers.has(actor) || escalatedApprovers(request, target).includes(actor);
}

/** Those who may decide and have not approved yet: whom a reminder pings. */
export function awaitedDeciders(request: AccessRequest, target: Target): string[] {
  const approved = new Set(request.approvals.map((approval) => approval.approverId));
  return decidersOf(request, target).filter((user) => !approved.has(user));
}
