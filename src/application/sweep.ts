// What time alone changes: pending requests time out, or have their approvers reminded or escalated; grants past
// their end are ended (through a revoke job), and requesters are warned shortly before the end. Run by a precise timer, by cron as a safety net, and at
// start to catch up on everything missed while the bot was down.

import { type AccessRequest, SYSTEM, type TransitionResult, timeOut } from '../domain/access-request.js';
import { realertBreakGlass } from '../domain/break-glass.js';
import { minutesToMs } from '../domain/duration.js';
import { requestEnd, warnOfExpiry } from '../domain/ending.js';
import { findTarget, type Policy } from '../domain/policy.js';
import { escalateRequest, remindApprovers } from '../domain/reminders.js';
import { applyTransition } from './apply-transition.js';
import { atMost } from './at-most.js';
import type { Clock, Deadline, RequestRepository } from './ports.js';

export interface SweepDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
}

export interface SweepResult {
  timedOut: number;
  expired: number;
  warned: number;
  /** Break-glass grants nobody reviewed within the hour, alerted again. */
  realerted: number;
  /** Waiting requests whose approvers were reminded. */
  reminded: number;
  /** Waiting requests whose escalate.users became approvers. */
  escalated: number;
}

// At most this many of each kind per sweep: a sweep runs between the jobs, and must hand the bot back to them
// (and to Slack) even when grants fall due faster than they can be ended. What is left stays due, so the
// scheduler sweeps again at once.
const BATCH = 100;
// Requests decided again at once, one by one, after another writer changed them since they were listed.
const AT_ONCE = 8;

export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const warningMs = minutesToMs(deps.policy.settings.expiryWarningMinutes);
  // The changes of a batch are written together: one round trip, and one turn at the audit chain, which every
  // change of every replica waits for in turn (one at a time, they could not keep up with grants falling due
  // faster than Graph allows; measured: BENCHMARKS.md, What changed because of these measurements).
  const count = async (kind: Deadline, decide: (request: AccessRequest, now: number) => TransitionResult): Promise<number> => {
    const due = await deps.requests.listDue(kind, now, BATCH);
    const changes = due.flatMap((previous) => {
      const change = decide(previous, now);
      return change.ok ? [{ previous, change }] : [];
    });
    const written = await deps.requests.applyAll(changes, now);
    // Changed since it was listed: decided again on what the other writer wrote.
    const stale = changes.filter((_, index) => !written[index]).map(({ previous }) => previous.id);
    const again = await atMost(AT_ONCE, stale, (id) => applyTransition(deps, id, decide));
    return written.filter(Boolean).length + again.filter((outcome) => outcome.ok).length;
  };
  // Ends first: access on time matters more than a timed-out request or a warning.
  const expired = await count({ kind: 'expiry' }, (request, at) => requestEnd(request, 'expired', SYSTEM, at));
  const timedOut = await count({ kind: 'pending_timeout' }, (request, at) => timeOut(request, at));
  const warned = await count({ kind: 'expiry_warning', warningMs }, (request, at) =>
    warnOfExpiry(request, deps.policy.settings.expiryWarningMinutes, at),
  );
  const realerted = await count({ kind: 'break_glass_realert' }, (request, at) => realertBreakGlass(request, at));
  // After the timeouts, so nobody is chased about a request that just timed out; the escalation before the
  // reminder due with it, so that the reminder pings the people escalated to as well.
  const targetOf = (request: AccessRequest) => findTarget(deps.policy, request.targetId);
  const escalated = await count({ kind: 'escalation' }, (request, at) => escalateRequest(request, targetOf(request), at));
  const reminded = await count({ kind: 'reminder' }, (request, at) => remindApprovers(request, targetOf(request), at));
  return { timedOut, expired, warned, realerted, reminded, escalated };
}

/** How many requests a sweep changed. */
export function changedBy(swept: SweepResult): number {
  return swept.timedOut + swept.expired + swept.warned + swept.realerted + swept.reminded + swept.escalated;
}

/** When the next sweep has something to do. */
export function nextSweepAt(deps: SweepDeps): Promise<number | undefined> {
  return deps.requests.nextDeadline(minutesToMs(deps.policy.settings.expiryWarningMinutes));
}
