// A strict local PagerDuty REST API v2 over plain http on loopback: a read-only API key in
// `Authorization: Token token=…`, the pinned version in `Accept`, users, schedules, escalation policies, on-calls
// and incidents, classic pagination, PagerDuty's error bodies and rate limiting (429 with `ratelimit-reset`);
// per-route faults, a request log and seeding helpers. Sources: github.com/PagerDuty/developer-docs,
// docs/REST-API/ (02-Authentication, 03-Versioning, 04-Rate-Limits, 09-Pagination, 14-Errors).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { type Fault, FaultPlan, waitOut } from '../fault-plan.js';
import { LoopbackServer } from '../loopback-server.js';
import { type Answer, route } from './routes.js';
import {
  type IncidentStatus,
  PagerDutyStore,
  type SimEscalationPolicy,
  type SimIncident,
  type SimOnCall,
  type SimSchedule,
  type SimUser,
  type Urgency,
} from './store.js';
import { authenticationFailed, faultError, PagerDutyApiError, rateLimited } from './wire.js';

export type { IncidentStatus, SimEscalationPolicy, SimIncident, SimOnCall, SimSchedule, SimUser };

export interface PagerDutySimulatorOptions {
  /** The one API key the simulator accepts. */
  token?: string;
  now?: () => number;
  /** Requests a minute before 429 (an account API key: 960). */
  rateLimitPerMinute?: number;
}

/**
 * A fault on the routes it names ("GET /oncalls", "GET /incidents/"…). A 429 carries `ratelimit-reset` (its
 * `retryAfterSeconds`) as PagerDuty sends it, other statuses `retry-after`; `bare` sends the status alone, without
 * headers or body, as PagerDuty says a 429 occasionally arrives.
 */
export type PagerDutyFault = Fault & { bare?: boolean };

export interface PagerDutyRequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Whether the request carried the key in PagerDuty's format; the key itself is never recorded. */
  authorization: 'valid' | 'missing' | 'refused';
  accept: string | undefined;
  status: number;
  at: number;
}

const ACCEPT_V2 = 'application/vnd.pagerduty+json;version=2';
const WINDOW_MS = 60_000;

export class PagerDutySimulator {
  readonly store: PagerDutyStore;
  readonly faults = new FaultPlan(() => this.now());
  readonly log: PagerDutyRequestRecord[] = [];
  readonly token: string;
  readonly rateLimitPerMinute: number;
  /** Called for every request once it is answered. */
  onRequest: ((record: PagerDutyRequestRecord) => void) | undefined;
  private readonly baseNow: () => number;
  private offset = 0;
  private window = { start: Number.NEGATIVE_INFINITY, count: 0 };
  private readonly http = new LoopbackServer('PagerDuty');

  constructor(options: PagerDutySimulatorOptions = {}) {
    this.baseNow = options.now ?? Date.now;
    this.token = options.token ?? 'sim-pd-read-only-key-0123456789';
    this.rateLimitPerMinute = options.rateLimitPerMinute ?? 960;
    this.store = new PagerDutyStore(
      () => this.now(),
      () => this.url,
    );
  }

  static async start(options: PagerDutySimulatorOptions = {}): Promise<PagerDutySimulator> {
    const simulator = new PagerDutySimulator(options);
    await simulator.start();
    return simulator;
  }

  now(): number {
    return this.baseNow() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }

  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────

  addUser(user: { id?: string; name: string; email: string }): SimUser {
    return this.store.addUser(user);
  }

  addSchedule(schedule: { id?: string; name: string }): SimSchedule {
    return this.store.addSchedule(schedule);
  }

  addEscalationPolicy(policy: { id?: string; name: string }): SimEscalationPolicy {
    return this.store.addEscalationPolicy(policy);
  }

  /**
   * Puts a user on call for an escalation policy: through `scheduleId`, or (none) as a direct target of the
   * rule; from `start` to `end` (ms), either omitted meaning open-ended. Level 1 unless told.
   */
  putOnCall(onCall: {
    userId: string;
    escalationPolicyId: string;
    escalationLevel?: number;
    scheduleId?: string;
    start?: number;
    end?: number;
  }): SimOnCall {
    return this.store.addOnCall({
      userId: onCall.userId,
      escalationPolicyId: onCall.escalationPolicyId,
      escalationLevel: onCall.escalationLevel ?? 1,
      scheduleId: onCall.scheduleId ?? null,
      start: onCall.start ?? null,
      end: onCall.end ?? null,
    });
  }

  addIncident(incident: {
    id?: string;
    number?: number;
    title: string;
    status?: IncidentStatus;
    urgency?: Urgency;
    escalationPolicyId?: string;
  }): SimIncident {
    return this.store.addIncident(incident);
  }

  setIncidentStatus(id: string, status: IncidentStatus): void {
    const incident = this.store.incidents.get(id);
    if (!incident) throw new Error(`no incident ${id}`);
    incident.status = status;
  }

  /** A fault on the routes it names; with `forMs`, for that long on the simulator's clock. */
  injectFault(fault: PagerDutyFault): void {
    this.faults.add(fault);
  }

  // ── server ──────────────────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await this.http.start(
      createServer,
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, 500, { error: { message: String(error), code: 2000 } }),
    );
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get url(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    // Drain any body: every route the bot uses is a GET, and writes are refused before reading it.
    for await (const _ of request);
    const record: PagerDutyRequestRecord = {
      method,
      path: url.pathname,
      query: url.searchParams,
      authorization: this.authorization(request.headers.authorization),
      accept: request.headers.accept,
      status: 0,
      at: this.now(),
    };
    this.log.push(record);

    const fault = this.faults.take(`${method} ${url.pathname}`) as PagerDutyFault | undefined;
    await waitOut(fault);
    if (fault?.drop) {
      request.socket.destroy();
      this.answered(record, -1);
      return;
    }
    if (fault?.status) {
      this.sendFault(response, fault.status, fault);
      this.answered(record, fault.status);
      return;
    }

    let answer: Answer;
    let headers: Record<string, string> = {};
    try {
      if (record.authorization !== 'valid') throw authenticationFailed();
      if (!acceptsVersion2(record.accept)) {
        throw new PagerDutyApiError(406, 2001, 'Not Acceptable', [`the simulator requires Accept: ${ACCEPT_V2}`]);
      }
      const counted = this.countRequest();
      headers = counted.headers;
      if (counted.limited) throw rateLimited();
      answer = route({ store: this.store, now: this.now() }, { method, path: url.pathname, query: url.searchParams });
    } catch (error) {
      if (!(error instanceof PagerDutyApiError)) throw error;
      answer = [error.status, error.body()];
    }
    this.send(response, answer[0], answer[1], headers);
    this.answered(record, answer[0]);
  }

  private answered(record: PagerDutyRequestRecord, status: number): void {
    record.status = status;
    this.onRequest?.(record);
  }

  /** The format must be exact: `Token token=<key>` (02-Authentication.md: anything else is a 401). */
  private authorization(header: string | undefined): PagerDutyRequestRecord['authorization'] {
    if (header === undefined) return 'missing';
    return header === `Token token=${this.token}` ? 'valid' : 'refused';
  }

  /** One fixed window a minute on the simulator's clock; the `ratelimit-*` headers of an evaluated request. */
  private countRequest(): { headers: Record<string, string>; limited: boolean } {
    const now = this.now();
    if (now >= this.window.start + WINDOW_MS) this.window = { start: now, count: 0 };
    this.window.count += 1;
    return {
      headers: {
        'ratelimit-limit': String(this.rateLimitPerMinute),
        'ratelimit-remaining': String(Math.max(this.rateLimitPerMinute - this.window.count, 0)),
        'ratelimit-reset': String(Math.ceil((this.window.start + WINDOW_MS - now) / 1000)),
      },
      limited: this.window.count > this.rateLimitPerMinute,
    };
  }

  private sendFault(response: ServerResponse, status: number, fault: PagerDutyFault): void {
    if (fault.bare) {
      response.writeHead(status);
      response.end();
      return;
    }
    const headers: Record<string, string> = {};
    if (status === 429) {
      headers['ratelimit-limit'] = String(this.rateLimitPerMinute);
      headers['ratelimit-remaining'] = '0';
      if (fault.retryAfterSeconds !== undefined) headers['ratelimit-reset'] = String(fault.retryAfterSeconds);
    } else if (fault.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(fault.retryAfterSeconds);
    }
    const body = fault.error
      ? { error: { message: fault.error.message, code: Number(fault.error.code) || 2000 } }
      : faultError(status).body();
    this.send(response, status, body, headers);
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  }
}

/** Whether an Accept header names PagerDuty's media type at version 2 (parameters compared without spaces). */
function acceptsVersion2(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => range.replace(/\s+/g, '').toLowerCase() === ACCEPT_V2);
}
