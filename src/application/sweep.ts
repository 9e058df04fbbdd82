// What time alone changes: pending requests time out, grants past their end are ended (through a revoke job),
// and requesters are warned shortly before the end. Run by a precise timer, by cron as a safety net, and at
// start to catch up on everything missed while the bot was down.

import { requestEnd, SYSTEM, timeOut, warnOfExpiry } from '../domain/access-request.js';
import { minutesToMs } from '../domain/duration.js';
import type { Policy } from '../domain/policy.js';
import { applyTransition } from './apply-transition.js';
import type { Clock, RequestRepository } from './ports.js';

export interface SweepDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
}

export interface SweepResult {
  timedOut: number;
  expired: number;
  warned: number;
}

const BATCH = 500;

export function sweep(deps: SweepDeps): SweepResult {
  const now = deps.clock.now();
  const warningMs = minutesToMs(deps.policy.settings.expiryWarningMinutes);
  const count = (kind: Parameters<RequestRepository['listDue']>[0], decide: Parameters<typeof applyTransition>[2]): number => {
    let changed = 0;
    for (;;) {
      const due = deps.requests.listDue(kind, now, BATCH);
      let progress = 0;
      for (const request of due) if (applyTransition(deps, request.id, decide).ok) progress += 1;
      changed += progress;
      // A batch where nothing changed means what is left is not ours to change (another instance got there).
      if (due.length < BATCH || progress === 0) return changed;
    }
  };
  return {
    timedOut: count({ kind: 'pending_timeout' }, (request, at) => timeOut(request, at)),
    expired: count({ kind: 'expiry' }, (request, at) => requestEnd(request, 'expired', SYSTEM, at)),
    warned: count({ kind: 'expiry_warning', warningMs }, (request, at) =>
      warnOfExpiry(request, deps.policy.settings.expiryWarningMinutes, at),
    ),
  };
}

/** When the next sweep has something to do. */
export function nextSweepAt(deps: SweepDeps): number | undefined {
  return deps.requests.nextDeadline(minutesToMs(deps.policy.settings.expiryWarningMinutes));
}
