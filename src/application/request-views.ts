// Read models for Slack surfaces: a person's Home tab and their /jit list.

import { type AccessRequest, type ActiveRequest, type GrantedRequest, isGranted } from '../domain/access-request.js';
import { awaitsReview } from '../domain/break-glass.js';
import { decidersOf, mayDecide } from '../domain/deciders.js';
import { pendingExtension } from '../domain/extension.js';
import { findTarget, isAdmin, isApprover, type Policy } from '../domain/policy.js';
import type { RequestRepository } from './ports.js';

export interface HomeData {
  isAdmin: boolean;
  myActive: GrantedRequest[];
  myPending: AccessRequest[];
  awaitingMe: AccessRequest[];
  allActive: GrantedRequest[];
  allActiveCount: number;
  /** Break-glass grants this person may review and nobody has yet, the oldest first. */
  breakGlassToReview: AccessRequest[];
  /** Extensions waiting for this person's decision, the one asked for first first. */
  extensionsAwaitingMe: ActiveRequest[];
}

// A Home tab shows at most this many of each list; more is summarised.
const SHOWN = 16;
const RECENT = 200;
// Break-glass grants still unreviewed, read for every Home tab: there are few, as each is reviewed within hours.
const UNREVIEWED = 200;
// Extensions waiting for their approvers, read for every Home tab: few, as each waits minutes before its grant ends.
const EXTENSIONS = 200;

/**
 * Whether `userId` could decide on the request now: a listed approver (or, once it escalated, a person it
 * escalated to), not its requester, not yet approved.
 */
export function awaitsDecisionOf(policy: Policy, request: AccessRequest, userId: string): boolean {
  const target = findTarget(policy, request.targetId);
  return (
    request.state === 'pending' &&
    target !== undefined &&
    mayDecide(request, target, userId) &&
    !request.approvals.some((approval) => approval.approverId === userId)
  );
}

/** Whether `userId` could acknowledge the break-glass now: another approver of its target, or an admin. */
export function awaitsReviewOf(policy: Policy, request: AccessRequest, userId: string): boolean {
  const target = findTarget(policy, request.targetId);
  const reviewer = isAdmin(policy, userId) || (target !== undefined && isApprover(target, userId));
  return awaitsReview(request) && request.requesterId !== userId && reviewer;
}

/**
 * Whether `userId` could decide on the request's pending extension now: an approver of its target as the policy
 * lists them now, not its requester, not one who approved it already.
 */
export function awaitsExtensionDecisionOf(policy: Policy, request: AccessRequest, userId: string): request is ActiveRequest {
  const ask = pendingExtension(request);
  const target = findTarget(policy, request.targetId);
  return (
    ask !== undefined &&
    target !== undefined &&
    isApprover(target, userId) &&
    request.requesterId !== userId &&
    !ask.approvals.some((approval) => approval.approverId === userId)
  );
}

/** The Home tabs of several people, reading what they share (pending and active requests) once. */
export async function describeHomes(
  deps: { requests: RequestRepository; policy: Policy },
  userIds: readonly string[],
): Promise<Map<string, HomeData>> {
  const pending = await deps.requests.listByState('pending', 1000);
  const anyAdmin = userIds.some((userId) => isAdmin(deps.policy, userId));
  const allActive = anyAdmin ? (await deps.requests.listByState('active', SHOWN)).filter(isGranted) : [];
  const allActiveCount = anyAdmin ? await deps.requests.countByState('active') : 0;
  const unreviewed = await deps.requests.listUnreviewedBreakGlass(UNREVIEWED);
  const extensions = await deps.requests.listPendingExtensions(EXTENSIONS);
  const homes = new Map<string, HomeData>();
  for (const userId of userIds) {
    const mine = await deps.requests.listByRequester(userId, RECENT);
    const admin = isAdmin(deps.policy, userId);
    homes.set(userId, {
      isAdmin: admin,
      myActive: mine.filter((request) => request.state === 'active').filter(isGranted),
      myPending: mine.filter((request) => request.state === 'pending'),
      awaitingMe: pending.filter((request) => awaitsDecisionOf(deps.policy, request, userId)),
      allActive: admin ? allActive : [],
      allActiveCount: admin ? allActiveCount : 0,
      breakGlassToReview: unreviewed.filter((request) => awaitsReviewOf(deps.policy, request, userId)),
      extensionsAwaitingMe: extensions.filter((request) => awaitsExtensionDecisionOf(deps.policy, request, userId)),
    });
  }
  return homes;
}

// `/jit list` shows this many of a person's most recent requests.
export const LISTED_REQUESTS = 20;

/** A person's most recent requests, newest first, for `/jit list`. */
export function listRequests(deps: { requests: RequestRepository }, userId: string): Promise<AccessRequest[]> {
  return deps.requests.listByRequester(userId, LISTED_REQUESTS);
}

/**
 * Whose Home tab shows a request: its requester, whoever may decide on it (the people it escalated to among
 * them), and the admins once it is approved (their list of active grants changes) or when it is a break-glass
 * (their list to review changes).
 */
export function homeViewersOf(policy: Policy, request: AccessRequest): string[] {
  const target = findTarget(policy, request.targetId);
  const viewers = new Set([request.requesterId, ...(target ? decidersOf(request, target) : [])]);
  if (request.state === 'active' || request.state === 'ended' || request.state === 'approved' || request.breakGlass)
    for (const admin of policy.admins) viewers.add(admin);
  return [...viewers];
}
