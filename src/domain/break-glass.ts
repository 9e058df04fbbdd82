// Break-glass: a requester takes the access at once, without waiting for anyone, where the target allows it; the
// grant is capped at the target's `break_glass.max`, and another approver of the target or an admin reviews it
// afterwards. Pure functions, like the rest of the lifecycle in access-request.ts.

import {
  type AccessRequest,
  type Actor,
  type ApprovedRequest,
  move,
  type NewRequestInput,
  notify,
  type Refusal,
  SYSTEM,
  type TransitionResult,
} from './access-request.js';
import { minutesToMs } from './duration.js';
import type { Target } from './policy.js';

/** An unreviewed break-glass is alerted again this long after the glass was broken. */
export const REALERT_AFTER_MINUTES = 60;

/** The request, approved by break-glass at once: a grant job and the alert, no approver in between. */
export function breakGlass(input: NewRequestInput): TransitionResult {
  const { target, now } = input;
  if (!target.breakGlass) return { ok: false, code: 'break_glass_not_offered' };
  const durationMinutes = Math.min(input.durationMinutes, target.breakGlass.maxMinutes);
  const request: ApprovedRequest = {
    id: input.id,
    requesterId: input.requesterId,
    ...(input.principalId !== undefined && { principalId: input.principalId }),
    ...(input.principalName !== undefined && { principalName: input.principalName }),
    ...(input.email !== undefined && { email: input.email }),
    targetId: target.id,
    reason: input.reason,
    durationMinutes,
    // The quorum the break-glass went around, kept as any request keeps it.
    requiredApprovals: target.approvers.required,
    state: 'approved',
    version: 1,
    createdAt: now,
    // Nothing waits for a decision: the request is approved as it is opened.
    pendingUntil: now,
    approvals: [],
    decidedAt: now,
    breakGlass: { at: now, realertAt: now + minutesToMs(REALERT_AFTER_MINUTES) },
  };
  const cut = durationMinutes < input.durationMinutes ? { cutFromMinutes: input.durationMinutes } : {};
  return {
    ok: true,
    request,
    audit: {
      action: 'break_glass',
      actor: input.requesterId,
      from: null,
      to: 'approved',
      detail: { targetId: target.id, durationMinutes, reason: input.reason, breakGlass: true, ...cut },
    },
    jobs: [{ kind: 'grant' }, notify('break_glass')],
  };
}

/** The longest a grant of this request may last under the target as it is now. */
export function grantCapMinutes(target: Target, request: AccessRequest): number {
  const breakGlassMax = request.breakGlass && target.breakGlass ? target.breakGlass.maxMinutes : Number.POSITIVE_INFINITY;
  return Math.min(target.duration.maxMinutes, breakGlassMax);
}

/** Who the actor is for a review: an approver of the request's target (as the policy lists them now), an admin. */
export interface ReviewAuthority {
  approver: boolean;
  admin: boolean;
}

/** Whether the person may review this break-glass at all (their Entra identity is checked apart). */
export function mayReview(request: AccessRequest, actor: Actor, authority: ReviewAuthority): Refusal | undefined {
  if (!request.breakGlass) return { ok: false, code: 'not_break_glass' };
  if (actor === request.requesterId) return { ok: false, code: 'self_review' };
  if (!authority.approver && !authority.admin) return { ok: false, code: 'not_a_reviewer' };
  const { review } = request.breakGlass;
  if (review) return { ok: false, code: 'already_reviewed', reviewedBy: review.by, reviewedAt: review.at };
  return undefined;
}

/** Another approver of the target or an admin acknowledges the break-glass: the alerts stop, in any state. */
export function acknowledgeBreakGlass(request: AccessRequest, actor: Actor, now: number, authority: ReviewAuthority): TransitionResult {
  const refused = mayReview(request, actor, authority);
  if (refused || !request.breakGlass) return refused ?? { ok: false, code: 'not_break_glass' };
  const { realertAt: _realertAt, ...glass } = request.breakGlass;
  return move(
    request,
    { ...request, breakGlass: { ...glass, review: { by: actor, at: now } } },
    { action: 'break_glass_acknowledged', actor, detail: { breakGlassAt: glass.at, as: authority.approver ? 'approver' : 'admin' } },
    [notify('break_glass_reviewed')],
  );
}

/** Nobody reviewed the break-glass within the hour: the alert goes out again, once. */
export function realertBreakGlass(request: AccessRequest, now: number): TransitionResult {
  const glass = request.breakGlass;
  if (!glass) return { ok: false, code: 'not_break_glass' };
  if (glass.review) return { ok: false, code: 'already_reviewed', reviewedBy: glass.review.by, reviewedAt: glass.review.at };
  if (glass.realertAt === undefined || now < glass.realertAt) return { ok: false, code: 'not_yet_due' };
  const { realertAt: _realertAt, ...rest } = glass;
  return move(
    request,
    { ...request, breakGlass: rest },
    { action: 'break_glass_realerted', actor: SYSTEM, detail: { breakGlassAt: glass.at } },
    [notify('break_glass_unreviewed')],
  );
}

/** A break-glass nobody has reviewed yet: it stays on the Home tabs of the target's approvers and the admins. */
export function awaitsReview(request: AccessRequest): boolean {
  return request.breakGlass !== undefined && request.breakGlass.review === undefined;
}
