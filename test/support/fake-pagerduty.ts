// A hand-written PagerDuty for use-case tests: people by email, their on-calls and incidents, answered as the real
// client answers them against PagerDuty (test/adapters/pagerduty/pagerduty-contract.test.ts holds the two together).
// Unlike the client it keeps no email → user cache: a test that changes a user sees the change at once.

import type {
  IncidentFound,
  IncidentLookup,
  IncidentStatus,
  IncidentSummary,
  OnCallDirectory,
  OnCallEntry,
  OnCallLookup,
  OnCallScope,
  OnCallUserLookup,
  OutsideFailure,
} from '../../src/application/ports.js';

export interface FakeOnCall {
  userId: string;
  escalationPolicyId: string;
  escalationLevel?: number;
  /** Omitted: a direct target of the escalation rule. */
  scheduleId?: string;
  /** Omitted: open-ended. */
  start?: number;
  end?: number;
}

const PLAIN_EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

export class FakePagerDuty implements OnCallDirectory, IncidentLookup {
  readonly users: { id: string; email: string }[] = [];
  readonly onCalls: (OnCallEntry & { userId: string })[] = [];
  readonly incidents: IncidentSummary[] = [];
  /** Every call, in order, for tests that check what was asked. */
  readonly calls: { operation: 'findUserByEmail' | 'onCallNow' | 'findIncident'; argument: string }[] = [];
  private readonly failures: OutsideFailure[] = [];
  private sequence = 0;

  constructor(private readonly now: () => number = Date.now) {}

  addUser(email: string, id = `PFAKE${String(++this.sequence).padStart(2, '0')}`): string {
    this.users.push({ id, email });
    return id;
  }

  putOnCall(onCall: FakeOnCall): void {
    this.onCalls.push({
      userId: onCall.userId,
      escalationPolicyId: onCall.escalationPolicyId,
      escalationLevel: onCall.escalationLevel ?? 1,
      scheduleId: onCall.scheduleId ?? null,
      start: onCall.start ?? null,
      end: onCall.end ?? null,
    });
  }

  addIncident(incident: { id?: string; number: number; title: string; status?: IncidentStatus }): IncidentSummary {
    const id = incident.id ?? `QFAKE${String(++this.sequence).padStart(2, '0')}`;
    const added = {
      id,
      number: incident.number,
      title: incident.title,
      status: incident.status ?? 'triggered',
      htmlUrl: `http://127.0.0.1/incidents/${id}`,
    };
    this.incidents.push(added);
    return added;
  }

  /** The next call (whichever) fails with this. */
  failNext(failure: OutsideFailure): void {
    this.failures.push(failure);
  }

  async findUserByEmail(email: string): Promise<OnCallUserLookup> {
    this.calls.push({ operation: 'findUserByEmail', argument: email });
    const wanted = email.trim();
    if (wanted.length > 254 || !PLAIN_EMAIL.test(wanted)) {
      return { ok: false, kind: 'invalid_email', message: 'the Slack profile email is not a plain address' };
    }
    const failure = this.failures.shift();
    if (failure) return failure;
    const ids = this.users.filter((user) => user.email.toLowerCase() === wanted.toLowerCase()).map((user) => user.id);
    if (ids.length === 0) return { ok: false, kind: 'not_found', message: `no PagerDuty user has the email ${wanted}` };
    if (ids.length > 1) return { ok: false, kind: 'ambiguous', message: `${ids.length} PagerDuty users have the email ${wanted}` };
    return { ok: true, userId: ids[0] as string };
  }

  async onCallNow(userId: string, scope: OnCallScope): Promise<OnCallLookup> {
    this.calls.push({ operation: 'onCallNow', argument: userId });
    if (scope.scheduleIds.length === 0 && scope.escalationPolicyIds.length === 0) return { ok: true, entries: [] };
    const failure = this.failures.shift();
    if (failure) return failure;
    const now = this.now();
    const entries = this.onCalls
      .filter(
        (onCall) =>
          onCall.userId === userId &&
          ((onCall.scheduleId !== null && scope.scheduleIds.includes(onCall.scheduleId)) ||
            scope.escalationPolicyIds.includes(onCall.escalationPolicyId)) &&
          (onCall.start ?? Number.NEGATIVE_INFINITY) <= now &&
          (onCall.end ?? Number.POSITIVE_INFINITY) > now,
      )
      .map(({ userId: _, ...entry }) => entry);
    return { ok: true, entries };
  }

  async findIncident(idOrNumber: string): Promise<IncidentFound> {
    this.calls.push({ operation: 'findIncident', argument: idOrNumber });
    const reference = idOrNumber.trim().replace(/^#/, '');
    if (!/^[A-Za-z0-9]{1,64}$/.test(reference)) {
      return { ok: false, kind: 'invalid_reference', message: 'an incident is named by its id (letters and digits) or its number' };
    }
    const failure = this.failures.shift();
    if (failure) return failure;
    const incident = /^[0-9]+$/.test(reference)
      ? this.incidents.find((candidate) => candidate.number === Number(reference))
      : this.incidents.find((candidate) => candidate.id === reference);
    if (!incident) return { ok: false, kind: 'not_found', message: `PagerDuty has no incident ${reference}` };
    return { ok: true, incident: { ...incident } };
  }
}
