// The REST API v2 calls the bot makes, answered as PagerDuty documents them (github.com/PagerDuty/developer-docs,
// docs/REST-API/; https://developer.pagerduty.com/api-reference/): GET /users (`query`), GET /oncalls (set filters,
// `since`/`until`, `earliest`), GET /incidents/{id} (an id or an incident number), with classic pagination.
// Stricter than PagerDuty in one way on purpose: a query parameter the simulator does not model is refused (400)
// rather than ignored, so that a misspelt filter (`user_ids` without brackets) fails a test instead of silently
// widening the answer to every user's on-calls.

import type { PagerDutyStore, SimOnCall, SimUser } from './store.js';
import { accessDenied, invalidInput, notFound, PagerDutyApiError } from './wire.js';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
}

export type Answer = [number, unknown];

export interface RouteContext {
  store: PagerDutyStore;
  now: number;
}

// Classic pagination: 25 by default, at most 100 a page, and offset + limit at most 10000 (09-Pagination.md).
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const MAX_RECORDS = 10_000;
// On-calls can be asked for at most 90 days ahead (List all of the on-calls, `until`).
const MAX_AHEAD_MS = 90 * 24 * 60 * 60_000;

const PAGE_PARAMS = ['limit', 'offset', 'total'];
const SET_FILTERS = ['user_ids[]', 'schedule_ids[]', 'escalation_policy_ids[]'];
const ONCALL_PARAMS = [...PAGE_PARAMS, ...SET_FILTERS, 'since', 'until', 'earliest'];
const USER_PARAMS = [...PAGE_PARAMS, 'query'];

export function route(context: RouteContext, call: Call): Answer {
  // The simulator models a read-only API key: every write is refused as PagerDuty refuses it for such a key.
  if (call.method !== 'GET') throw accessDenied('the API key is read-only');
  if (call.path === '/oncalls') return listOnCalls(context, call.query);
  if (call.path === '/users') return listUsers(context, call.query);
  const incident = /^\/incidents\/([^/]+)$/.exec(call.path);
  if (incident) return showIncident(context, decodeURIComponent(incident[1] ?? ''), call.query);
  throw notFound(`the simulator does not model GET ${call.path}`);
}

function listUsers(context: RouteContext, query: URLSearchParams): Answer {
  checkParameters(query, USER_PARAMS);
  // A search, not a look-up: the query matches any part of the name or of the email, case-insensitively.
  const text = (query.get('query') ?? '').toLowerCase();
  const matching = [...context.store.users.values()]
    .filter((user) => user.name.toLowerCase().includes(text) || user.email.toLowerCase().includes(text))
    .sort(byName);
  const page = paginate(query, matching);
  return [200, { users: page.items.map((user) => context.store.userJson(user)), ...page.fields }];
}

function listOnCalls(context: RouteContext, query: URLSearchParams): Answer {
  checkParameters(query, ONCALL_PARAMS);
  const [since, until] = timeRange(context.now, query);
  const users = setFilter(query, 'user_ids[]');
  const schedules = setFilter(query, 'schedule_ids[]');
  const policies = setFilter(query, 'escalation_policy_ids[]');
  const earliest = flag(query, 'earliest');

  // Set filters intersect; a value of any one of them satisfies its own filter (07-Filtering.md).
  let matching = context.store.onCalls.filter(
    (onCall) =>
      (!users || users.has(onCall.userId)) &&
      (!schedules || (onCall.scheduleId !== null && schedules.has(onCall.scheduleId))) &&
      (!policies || policies.has(onCall.escalationPolicyId)) &&
      (onCall.start ?? Number.NEGATIVE_INFINITY) <= until &&
      (onCall.end ?? Number.POSITIVE_INFINITY) > since,
  );
  if (earliest) matching = earliestOnly(matching);
  matching.sort(
    (a, b) =>
      a.escalationLevel - b.escalationLevel ||
      a.escalationPolicyId.localeCompare(b.escalationPolicyId) ||
      (a.start ?? Number.NEGATIVE_INFINITY) - (b.start ?? Number.NEGATIVE_INFINITY),
  );
  const page = paginate(query, matching);
  return [200, { oncalls: page.items.map((onCall) => context.store.onCallJson(onCall)), ...page.fields }];
}

function showIncident(context: RouteContext, idOrNumber: string, query: URLSearchParams): Answer {
  checkParameters(query, []);
  const incident = context.store.findIncident(idOrNumber);
  if (!incident) throw notFound();
  return [200, { incident: context.store.incidentJson(incident) }];
}

/** `earliest=true`: the earliest on-call of each (user, escalation policy, level). */
function earliestOnly(onCalls: SimOnCall[]): SimOnCall[] {
  const kept = new Map<string, SimOnCall>();
  for (const onCall of onCalls) {
    const key = `${onCall.userId} ${onCall.escalationPolicyId} ${onCall.escalationLevel}`;
    const held = kept.get(key);
    if (!held || (onCall.start ?? Number.NEGATIVE_INFINITY) < (held.start ?? Number.NEGATIVE_INFINITY)) kept.set(key, onCall);
  }
  return [...kept.values()];
}

/** `since`/`until`, each defaulting to now: without them the answer is who is on call at this moment. */
function timeRange(now: number, query: URLSearchParams): [number, number] {
  const read = (name: string): number => {
    const text = query.get(name);
    if (text === null) return now;
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(ms))
      throw new PagerDutyApiError(400, 2004, "Invalid time values in 'since' and/or 'until' parameters", [`${name}: ${text}`]);
    return ms;
  };
  const since = read('since');
  const until = read('until');
  if (until < since) throw new PagerDutyApiError(400, 2005, 'Invalid Query Date Range', ['until must not be before since']);
  if (until > now + MAX_AHEAD_MS) throw new PagerDutyApiError(400, 2005, 'Invalid Query Date Range', ['until is more than 90 days ahead']);
  return [since, until];
}

function setFilter(query: URLSearchParams, name: string): Set<string> | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  if (values.some((value) => value === '')) throw invalidInput(`${name} has an empty value`);
  return new Set(values);
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw invalidInput(`${name} must be true or false`);
}

function paginate<T>(query: URLSearchParams, all: T[]): { items: T[]; fields: Record<string, unknown> } {
  const limit = integer(query, 'limit', DEFAULT_LIMIT);
  const offset = integer(query, 'offset', 0);
  if (limit < 1 || limit > MAX_LIMIT) throw invalidInput(`limit must be between 1 and ${MAX_LIMIT}`);
  if (offset < 0) throw invalidInput('offset must not be negative');
  if (offset + limit > MAX_RECORDS) throw invalidInput(`offset + limit must not exceed ${MAX_RECORDS}`);
  const items = all.slice(offset, offset + limit);
  return {
    items,
    // `total` is null unless asked for, to keep answers fast (09-Pagination.md).
    fields: { limit, offset, more: offset + items.length < all.length, total: flag(query, 'total') ? all.length : null },
  };
}

function integer(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^-?\d+$/.test(text)) throw invalidInput(`${name} must be an integer`);
  return Number(text);
}

/** Refuses what PagerDuty would silently ignore: a parameter this route does not take, or a scalar given twice. */
function checkParameters(query: URLSearchParams, allowed: string[]): void {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (!allowed.includes(name)) {
      const hint = allowed.includes(`${name}[]`) ? ` (a set filter is written ${name}[]=…, repeated for each value)` : '';
      throw invalidInput(`the simulator does not support the parameter "${name}"${hint}`);
    }
    if (!name.endsWith('[]') && seen.has(name)) throw invalidInput(`"${name}" is given more than once`);
    seen.add(name);
  }
}

function byName(a: SimUser, b: SimUser): number {
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}
