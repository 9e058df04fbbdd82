// A small read-only client for PagerDuty's REST API v2 (https://developer.pagerduty.com/api-reference/): who a
// Slack email is in PagerDuty, whether they are on call now, and an incident by id or number. Every operation has
// one deadline (3 s by default: PagerDuty must never hold up a request), pages and rate-limit waits included, and
// every failure comes back as the port's OutsideFailure. The API key never reaches a message.

import type {
  IncidentFound,
  IncidentLookup,
  IncidentStatus,
  OnCallDirectory,
  OnCallEntry,
  OnCallLookup,
  OnCallScope,
  OnCallUserLookup,
  OutsideFailure,
} from '../../application/ports.js';
import { describeNetworkError } from '../common/http-answers.js';
import { LookupCache } from '../common/lookup-cache.js';

export const PAGERDUTY_API_URL = 'https://api.pagerduty.com';
export const PAGERDUTY_TIMEOUT_MS = 3_000;
// Email → PagerDuty user changes rarely; a user removed from PagerDuty stops resolving within this time.
export const PAGERDUTY_USER_CACHE_MS = 5 * 60_000;

export interface PagerDutyClientOptions {
  /** A read-only REST API key (account or user key). */
  token: string;
  /** Default https://api.pagerduty.com */
  apiUrl?: string;
  /** Each operation's deadline, pages and rate-limit waits included. Default 3000. */
  timeoutMs?: number;
  /** The clock of the email → user cache. */
  now?: () => number;
}

// Versioning and authentication headers, both exactly as documented (github.com/PagerDuty/developer-docs,
// docs/REST-API/03-Versioning.md, 02-Authentication.md: any other Authorization format is a 401).
const ACCEPT = 'application/vnd.pagerduty+json;version=2';
// Classic pagination allows at most 100 a page (09-Pagination.md).
const PAGE_LIMIT = 100;
// Pages stop at `more: false`; this bound only keeps a misbehaving server from looping until the deadline.
const MAX_PAGES = 20;
// A rate-limited call is tried at most this many times, and waited for only if the wait leaves this much of the
// deadline for the answer: a retry with less would only time out.
const MAX_ATTEMPTS = 3;
const MIN_ANSWER_MS = 250;
const STATUSES: readonly IncidentStatus[] = ['triggered', 'acknowledged', 'resolved'];

type Query = [string, string][];
type Json = Record<string, unknown>;
type Reply = { ok: true; status: number; body: Json | undefined } | OutsideFailure;

export class PagerDutyClient implements OnCallDirectory, IncidentLookup {
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly users: LookupCache<OnCallUserLookup>;

  constructor(private readonly options: PagerDutyClientOptions) {
    this.root = (options.apiUrl ?? PAGERDUTY_API_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? PAGERDUTY_TIMEOUT_MS;
    this.users = new LookupCache(PAGERDUTY_USER_CACHE_MS, options.now ?? Date.now, (found) => found.ok);
  }

  async findUserByEmail(email: string): Promise<OnCallUserLookup> {
    const wanted = email.trim();
    if (!isPlainEmail(wanted)) return { ok: false, kind: 'invalid_email', message: 'the Slack profile email is not a plain address' };
    return this.users.get(wanted.toLowerCase(), () => this.lookUpUser(wanted));
  }

  async onCallNow(userId: string, scope: OnCallScope): Promise<OnCallLookup> {
    const deadline = this.deadline();
    // Distinct set filters intersect (07-Filtering.md), so schedules and escalation policies are asked separately:
    // on call for a listed schedule OR for a listed policy. Without since/until PagerDuty answers for now, by its
    // own clock.
    const asks: Query[] = [];
    if (scope.scheduleIds.length > 0) asks.push(scope.scheduleIds.map((id) => ['schedule_ids[]', id]));
    if (scope.escalationPolicyIds.length > 0) asks.push(scope.escalationPolicyIds.map((id) => ['escalation_policy_ids[]', id]));
    const listed = await Promise.all(
      asks.map((filter) => this.listAll('/oncalls', [['user_ids[]', userId], ...filter], 'oncalls', deadline)),
    );
    const schedules = new Set(scope.scheduleIds);
    const policies = new Set(scope.escalationPolicyIds);
    const entries = new Map<string, OnCallEntry>();
    for (const list of listed) {
      if (!list.ok) return list;
      for (const item of list.items) {
        const entry = readOnCall(item);
        if (!entry) return badReply('GET /oncalls', 'an on-call without its escalation policy, level or times');
        // Checked here as well: PagerDuty ignores a parameter it does not know, which would widen the answer to
        // everyone's on-calls rather than fail.
        if (entry.userId !== userId) continue;
        if (!(entry.scheduleId !== null && schedules.has(entry.scheduleId)) && !policies.has(entry.escalationPolicyId)) continue;
        const { userId: _, ...kept } = entry;
        entries.set(`${kept.escalationPolicyId} ${kept.escalationLevel} ${kept.scheduleId} ${kept.start} ${kept.end}`, kept);
      }
    }
    return { ok: true, entries: [...entries.values()] };
  }

  async findIncident(idOrNumber: string): Promise<IncidentFound> {
    const reference = idOrNumber.trim().replace(/^#/, '');
    if (!/^[A-Za-z0-9]{1,64}$/.test(reference)) {
      return { ok: false, kind: 'invalid_reference', message: 'an incident is named by its id (letters and digits) or its number' };
    }
    // GET /incidents/{id} takes either the id or the incident number (ids start with a letter, numbers are digits).
    const what = 'GET /incidents/{id}';
    const reply = await this.get(`/incidents/${encodeURIComponent(reference)}`, [], this.deadline(), { notFound: true });
    if (!reply.ok) return reply;
    if (reply.status === 404) return { ok: false, kind: 'not_found', message: `PagerDuty has no incident ${reference}` };
    const incident = readIncident(reply.body?.incident);
    if (!incident) return badReply(what, 'an incident without its id, number, title, status or link');
    const asked = /^[0-9]+$/.test(reference)
      ? incident.number === Number(reference)
      : incident.id.toUpperCase() === reference.toUpperCase();
    if (!asked) return badReply(what, `an incident other than ${reference}`);
    return { ok: true, incident };
  }

  /** GET /users?query= is a substring search over names and emails: only an exact email match is the person. */
  private async lookUpUser(email: string): Promise<OnCallUserLookup> {
    const list = await this.listAll('/users', [['query', email]], 'users', this.deadline());
    if (!list.ok) return list;
    const wanted = email.toLowerCase();
    const ids = list.items.flatMap((item) => {
      const user = item as Json;
      return typeof user.id === 'string' && typeof user.email === 'string' && user.email.toLowerCase() === wanted ? [user.id] : [];
    });
    if (ids.length === 0) return { ok: false, kind: 'not_found', message: `no PagerDuty user has the email ${email}` };
    if (ids.length > 1) return { ok: false, kind: 'ambiguous', message: `${ids.length} PagerDuty users have the email ${email}` };
    return { ok: true, userId: ids[0] as string };
  }

  /** Every item of a classic-paginated listing, following `offset` while PagerDuty says there is `more`. */
  private async listAll(
    path: string,
    query: Query,
    key: string,
    deadline: number,
  ): Promise<{ ok: true; items: unknown[] } | OutsideFailure> {
    const items: unknown[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const reply = await this.get(path, [...query, ['limit', String(PAGE_LIMIT)], ['offset', String(items.length)]], deadline);
      if (!reply.ok) return reply;
      const found = reply.body?.[key];
      if (!Array.isArray(found)) return badReply(`GET ${path}`, `a page without "${key}"`);
      items.push(...found);
      if (reply.body?.more !== true) return { ok: true, items };
      if (found.length === 0) return badReply(`GET ${path}`, 'an empty page that says there is more');
    }
    return { ok: false, kind: 'transient', message: `PagerDuty GET ${path} did not finish within ${MAX_PAGES} pages` };
  }

  /** One GET, waiting out a 429 while its `ratelimit-reset` fits the deadline; a 404 is an answer when asked for. */
  private async get(path: string, query: Query, deadline: number, accept: { notFound?: boolean } = {}): Promise<Reply> {
    const url = new URL(`${this.root}${path}`);
    for (const [name, value] of query) url.searchParams.append(name, value);
    const what = `GET ${path.startsWith('/incidents/') ? '/incidents/{id}' : path}`;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - performance.now();
      if (left <= 0) return { ok: false, kind: 'transient', message: `PagerDuty ${what}: no answer within ${this.timeoutMs} ms` };
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          headers: { accept: ACCEPT, authorization: `Token token=${this.options.token}` },
          signal: AbortSignal.timeout(Math.ceil(left)),
        });
        text = await response.text();
      } catch (error) {
        return { ok: false, kind: 'transient', message: `PagerDuty ${what}: ${this.describeNetworkError(error)}` };
      }
      const body = parseBody(text);
      if (response.ok || (accept.notFound && response.status === 404)) return { ok: true, status: response.status, body };
      if (response.status === 429) {
        // The documented back-off: wait `ratelimit-reset` seconds (04-Rate-Limits.md); a 429 may come without it.
        const waitMs = secondsHeader(response.headers.get('ratelimit-reset'));
        if (waitMs !== undefined && attempt < MAX_ATTEMPTS && waitMs + MIN_ANSWER_MS <= deadline - performance.now()) {
          await new Promise((resolve) => setTimeout(resolve, waitMs));
          continue;
        }
        const when = waitMs === undefined ? 'without saying when to retry' : `and resets in ${waitMs / 1000} s, past this call's deadline`;
        return {
          ok: false,
          kind: 'transient',
          message: `PagerDuty ${what} is rate limited (429) ${when}`,
          ...(waitMs !== undefined && { retryAfterMs: waitMs }),
        };
      }
      return this.classify(response, body, what);
    }
  }

  private classify(response: Response, body: Json | undefined, what: string): OutsideFailure {
    const error = (body?.error ?? {}) as Json;
    const details = [error.message, ...(Array.isArray(error.errors) ? error.errors : [])].filter((part) => typeof part === 'string');
    const said = this.redact(details.length > 0 ? `: ${details.join('; ')}` : '');
    const status = response.status;
    if (status === 408 || status >= 500) {
      const wait = secondsHeader(response.headers.get('retry-after'));
      return {
        ok: false,
        kind: 'transient',
        message: `PagerDuty ${what} answered ${status}${said}`,
        ...(wait !== undefined && { retryAfterMs: wait }),
      };
    }
    if (status === 401) {
      return {
        ok: false,
        kind: 'permanent',
        code: 'PagerDutyAuthFailed',
        message: `PagerDuty refused the API key (401) on ${what}; check PAGERDUTY_TOKEN`,
      };
    }
    if (status === 402 || status === 403) {
      return { ok: false, kind: 'permanent', code: 'PagerDutyAccessDenied', message: `PagerDuty refused ${what} (${status})${said}` };
    }
    return { ok: false, kind: 'permanent', code: `PagerDutyHttp${status}`, message: `PagerDuty ${what} answered ${status}${said}` };
  }

  private deadline(): number {
    return performance.now() + this.timeoutMs;
  }

  private describeNetworkError(error: unknown): string {
    return this.redact(describeNetworkError(error, this.timeoutMs));
  }

  /** Whatever PagerDuty or the network says is shown without the key, should it ever be echoed. */
  private redact(text: string): string {
    return this.options.token === '' ? text : text.split(this.options.token).join('[redacted]');
  }
}

function readOnCall(item: unknown): (OnCallEntry & { userId: string }) | undefined {
  const entry = item as Json;
  const user = entry.user as Json | undefined;
  const policy = entry.escalation_policy as Json | undefined;
  const schedule = entry.schedule as Json | null | undefined;
  const level = entry.escalation_level;
  const start = readTime(entry.start);
  const end = readTime(entry.end);
  const scheduleId = schedule === null ? null : schedule?.id;
  if (typeof user?.id !== 'string' || typeof policy?.id !== 'string' || typeof level !== 'number' || !Number.isInteger(level)) {
    return undefined;
  }
  if ((scheduleId !== null && typeof scheduleId !== 'string') || start === undefined || end === undefined) return undefined;
  return { userId: user.id, escalationPolicyId: policy.id, escalationLevel: level, scheduleId, start, end };
}

/** An on-call's start or end: an ISO 8601 time, or null for an open-ended (permanent) on-call. */
function readTime(value: unknown): number | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function readIncident(value: unknown): { id: string; number: number; title: string; status: IncidentStatus; htmlUrl: string } | undefined {
  const incident = value as Json | undefined;
  const status = STATUSES.find((known) => known === incident?.status);
  if (
    typeof incident?.id !== 'string' ||
    typeof incident.incident_number !== 'number' ||
    typeof incident.title !== 'string' ||
    typeof incident.html_url !== 'string' ||
    status === undefined
  ) {
    return undefined;
  }
  return { id: incident.id, number: incident.incident_number, title: incident.title, status, htmlUrl: incident.html_url };
}

function badReply(what: string, which: string): OutsideFailure {
  return { ok: false, kind: 'permanent', code: 'PagerDutyBadReply', message: `PagerDuty ${what} answered with ${which}` };
}

/** A header of whole or fractional seconds, as milliseconds. */
function secondsHeader(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

// One address, as a Slack profile holds it: no spaces, quotes or brackets, one @, a dotted domain.
const PLAIN_EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

function isPlainEmail(email: string): boolean {
  return email.length <= 254 && PLAIN_EMAIL.test(email);
}

function parseBody(text: string): Json | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}
