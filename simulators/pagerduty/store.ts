// What the PagerDuty simulator holds — users, schedules, escalation policies, on-call entries, incidents — and
// how each looks on the wire (REST API v2 JSON, snake_case, references as `{id, type: "…_reference", summary,
// self, html_url}`): https://developer.pagerduty.com/api-reference/ (Users, On-Calls, Incidents).

export type IncidentStatus = 'triggered' | 'acknowledged' | 'resolved';
export type Urgency = 'high' | 'low';
type Json = Record<string, unknown>;

export interface SimUser {
  id: string;
  name: string;
  email: string;
}

export interface SimSchedule {
  id: string;
  name: string;
}

export interface SimEscalationPolicy {
  id: string;
  name: string;
}

/**
 * One on-call: a user on call for an escalation policy at a level, through a schedule or (`scheduleId` null) as
 * a direct target of the escalation rule. `start`/`end` null: always on call (a direct target's permanent on-call).
 * On-calls are computed by PagerDuty and read-only through the API; the simulator is seeded with the result.
 */
export interface SimOnCall {
  userId: string;
  escalationPolicyId: string;
  escalationLevel: number;
  scheduleId: string | null;
  start: number | null;
  end: number | null;
}

export interface SimIncident {
  id: string;
  number: number;
  title: string;
  status: IncidentStatus;
  urgency: Urgency;
  escalationPolicyId: string | null;
  createdAt: number;
}

const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

export class PagerDutyStore {
  readonly users = new Map<string, SimUser>();
  readonly schedules = new Map<string, SimSchedule>();
  readonly policies = new Map<string, SimEscalationPolicy>();
  readonly onCalls: SimOnCall[] = [];
  readonly incidents = new Map<string, SimIncident>();
  private sequence = 0;
  private lastIncidentNumber = 0;

  /** `base`: where `self` and `html_url` point (the simulator's own address, once it listens). */
  constructor(
    private readonly now: () => number,
    private readonly base: () => string,
  ) {}

  /** PagerDuty ids are short upper-case strings starting with P (incident ids with Q), never all digits. */
  nextId(prefix: 'P' | 'Q'): string {
    this.sequence += 1;
    let n = this.sequence;
    let tail = '';
    for (let i = 0; i < 6; i++) {
      tail = (ID_ALPHABET[n % ID_ALPHABET.length] as string) + tail;
      n = Math.floor(n / ID_ALPHABET.length);
    }
    return `${prefix}${tail}`;
  }

  addUser(user: { id?: string; name: string; email: string }): SimUser {
    const added = { id: user.id ?? this.nextId('P'), name: user.name, email: user.email };
    this.unique(added.id);
    this.users.set(added.id, added);
    return added;
  }

  addSchedule(schedule: { id?: string; name: string }): SimSchedule {
    const added = { id: schedule.id ?? this.nextId('P'), name: schedule.name };
    this.unique(added.id);
    this.schedules.set(added.id, added);
    return added;
  }

  addEscalationPolicy(policy: { id?: string; name: string }): SimEscalationPolicy {
    const added = { id: policy.id ?? this.nextId('P'), name: policy.name };
    this.unique(added.id);
    this.policies.set(added.id, added);
    return added;
  }

  addOnCall(onCall: SimOnCall): SimOnCall {
    if (!this.users.has(onCall.userId)) throw new Error(`no user ${onCall.userId}`);
    if (!this.policies.has(onCall.escalationPolicyId)) throw new Error(`no escalation policy ${onCall.escalationPolicyId}`);
    if (onCall.scheduleId !== null && !this.schedules.has(onCall.scheduleId)) throw new Error(`no schedule ${onCall.scheduleId}`);
    if (!Number.isInteger(onCall.escalationLevel) || onCall.escalationLevel < 1) throw new Error('escalation levels start at 1');
    if (onCall.start !== null && onCall.end !== null && onCall.end <= onCall.start) throw new Error('an on-call ends after it starts');
    this.onCalls.push(onCall);
    return onCall;
  }

  addIncident(incident: {
    id?: string;
    number?: number;
    title: string;
    status?: IncidentStatus;
    urgency?: Urgency;
    escalationPolicyId?: string;
  }): SimIncident {
    const number = incident.number ?? this.lastIncidentNumber + 1;
    if ([...this.incidents.values()].some((existing) => existing.number === number)) throw new Error(`incident #${number} exists`);
    this.lastIncidentNumber = Math.max(this.lastIncidentNumber, number);
    const added: SimIncident = {
      id: incident.id ?? this.nextId('Q'),
      number,
      title: incident.title,
      status: incident.status ?? 'triggered',
      urgency: incident.urgency ?? 'high',
      escalationPolicyId: incident.escalationPolicyId ?? null,
      createdAt: this.now(),
    };
    this.unique(added.id);
    this.incidents.set(added.id, added);
    return added;
  }

  /** An incident by id, or (all digits) by its number: `GET /incidents/{id}` takes either. */
  findIncident(idOrNumber: string): SimIncident | undefined {
    const byId = this.incidents.get(idOrNumber);
    if (byId || !/^[0-9]+$/.test(idOrNumber)) return byId;
    const number = Number(idOrNumber);
    return [...this.incidents.values()].find((incident) => incident.number === number);
  }

  userJson(user: SimUser): Json {
    return {
      id: user.id,
      type: 'user',
      summary: user.name,
      self: `${this.base()}/users/${user.id}`,
      html_url: `${this.base()}/users/${user.id}`,
      name: user.name,
      email: user.email,
      time_zone: 'Etc/UTC',
      role: 'user',
      invitation_sent: false,
    };
  }

  onCallJson(onCall: SimOnCall): Json {
    const user = this.users.get(onCall.userId) as SimUser;
    const policy = this.policies.get(onCall.escalationPolicyId) as SimEscalationPolicy;
    const schedule = onCall.scheduleId === null ? null : (this.schedules.get(onCall.scheduleId) as SimSchedule);
    return {
      escalation_policy: this.reference('escalation_policy', 'escalation_policies', policy.id, policy.name),
      escalation_level: onCall.escalationLevel,
      schedule: schedule && this.reference('schedule', 'schedules', schedule.id, schedule.name),
      user: this.reference('user', 'users', user.id, user.name),
      start: onCall.start === null ? null : isoSeconds(onCall.start),
      end: onCall.end === null ? null : isoSeconds(onCall.end),
    };
  }

  incidentJson(incident: SimIncident): Json {
    const policy = incident.escalationPolicyId === null ? undefined : this.policies.get(incident.escalationPolicyId);
    return {
      id: incident.id,
      type: 'incident',
      summary: `[#${incident.number}] ${incident.title}`,
      self: `${this.base()}/incidents/${incident.id}`,
      html_url: `${this.base()}/incidents/${incident.id}`,
      incident_number: incident.number,
      title: incident.title,
      created_at: isoSeconds(incident.createdAt),
      status: incident.status,
      urgency: incident.urgency,
      // Empty once resolved (the Incident schema says so of assignments).
      assignments: [],
      acknowledgements: [],
      escalation_policy: policy ? this.reference('escalation_policy', 'escalation_policies', policy.id, policy.name) : null,
    };
  }

  private reference(type: string, collection: string, id: string, summary: string): Json {
    return {
      id,
      type: `${type}_reference`,
      summary,
      self: `${this.base()}/${collection}/${id}`,
      html_url: `${this.base()}/${collection}/${id}`,
    };
  }

  private unique(id: string): void {
    if (this.users.has(id) || this.schedules.has(id) || this.policies.has(id) || this.incidents.has(id))
      throw new Error(`id ${id} is taken`);
  }
}

/** PagerDuty writes times as ISO 8601 to the second. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
