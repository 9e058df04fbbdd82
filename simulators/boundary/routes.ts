// The controller calls the bot makes, each validated as Boundary does (handlers under
// internal/daemon/controller/handlers/ in github.com/hashicorp/boundary at 0.21): request checks first (400),
// then the resource lookup (404), then the caller's grants (403).

import { FilterSyntaxError, parseFilter } from './filter.js';
import { type Listable, ListInputError, type Paginator } from './listing.js';
import { type BoundaryStore, isEnded, type Resource, type SimAuthToken } from './store.js';
import { BoundaryApiError, forbidden, invalidArgument, notFound, unauthenticated } from './wire.js';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The caller's token, resolved from `Authorization: Bearer`; undefined only for authenticate. */
  caller?: SimAuthToken;
}

export interface RouteContext {
  store: BoundaryStore;
  paginator: Paginator;
  grants: Set<string>;
}

type Json = Record<string, unknown>;
export type Answer = [number, unknown];

const ID_ACTIONS: Record<Resource, string[]> = {
  'auth-token': ['read', 'delete'],
  session: ['read', 'cancel'],
  account: ['read'],
  user: ['read'],
};

export function route(context: RouteContext, call: Call): Answer {
  const { method, path } = call;
  const auth = /^\/v1\/auth-methods\/([^/:]+):authenticate$/.exec(path);
  if (auth) return only(method, 'POST', () => authenticate(context, auth[1] ?? '', call.body));
  if (!call.caller) throw unauthenticated();

  const [, collection = '', id, action] = /^\/v1\/([a-z-]+)(?:\/([^/:]+)(?::([a-z-]+))?)?$/.exec(path) ?? [];
  if (collection === 'auth-tokens' && id === undefined) return only(method, 'GET', () => listTokens(context, call));
  if (collection === 'auth-tokens' && id && !action) {
    if (method === 'DELETE') return deleteToken(context, id);
    return only(method, 'GET', () => [200, context.store.tokenJson(found(context.store.tokens.get(id), context, 'auth-token', 'read'))]);
  }
  if (collection === 'sessions' && id === undefined) return only(method, 'GET', () => listSessions(context, call));
  if (collection === 'sessions' && id && action === 'cancel') return only(method, 'POST', () => cancelSession(context, id, call.body));
  if (collection === 'sessions' && id && !action) {
    return only(method, 'GET', () => [200, withActions(context, 'session', context.store.sessionJson(sessionOf(context, id, 'read')))]);
  }
  if (collection === 'accounts' && id === undefined) return only(method, 'GET', () => listAccounts(context, call));
  if (collection === 'accounts' && id && !action) {
    return only(method, 'GET', () => [200, context.store.accountJson(found(context.store.accounts.get(id), context, 'account', 'read'))]);
  }
  if (collection === 'users' && id === undefined) return only(method, 'GET', () => listUsers(context, call));
  if (collection === 'users' && id && !action) {
    return only(method, 'GET', () => [200, context.store.userJson(found(context.store.users.get(id), context, 'user', 'read'), true)]);
  }
  throw notFound();
}

function only(method: string, allowed: string, handle: () => Answer): Answer {
  if (method !== allowed) throw new BoundaryApiError(405, 'Unimplemented', 'Method Not Allowed');
  return handle();
}

function allowed(context: RouteContext, resource: Resource, action: string): void {
  if (!context.grants.has(`${resource}:${action}`)) throw forbidden();
}

function found<T>(item: T | undefined, context: RouteContext, resource: Resource, action: string): T {
  if (!item) throw notFound();
  allowed(context, resource, action);
  return item;
}

/** The caller's id-actions on items of `resource`: listed items carry them; an item with none is left out (newOutputOpts). */
function actionsOn(context: RouteContext, resource: Resource): string[] {
  return ID_ACTIONS[resource].filter((action) => context.grants.has(`${resource}:${action}`));
}

function withActions(context: RouteContext, resource: Resource, json: Json): Json {
  return { ...json, authorized_actions: actionsOn(context, resource) };
}

// ── authenticate (handlers/authmethods/password.go) ─────────────────────────────────────────────────────────

function authenticate(context: RouteContext, authMethodId: string, body: unknown): Answer {
  const input = (body ?? {}) as Json;
  const method = context.store.authMethods.get(authMethodId);
  if (!/^am(pw|oidc|ldap)_/.test(authMethodId)) throw invalidArgument('auth_method_id', 'Invalid formatted identifier.');
  if (!method) throw notFound();
  if (method.type === 'oidc')
    throw invalidArgument('command', 'OIDC sign-in needs a browser; this simulator answers password and LDAP only.');
  const command = input.command ?? 'login';
  if (command !== 'login') throw invalidArgument('command', 'Invalid command for this auth method type.');
  const type = input.type ?? input.token_type ?? 'token';
  if (type !== 'token' && type !== 'cookie') throw invalidArgument('type', 'Unknown token type.');
  const attributes = (input.attributes ?? {}) as Json;
  for (const field of ['login_name', 'password'] as const) {
    if (typeof attributes[field] !== 'string' || attributes[field] === '') {
      throw invalidArgument(`attributes.${field}`, 'This is a required field.');
    }
  }
  const account = [...context.store.accounts.values()].find(
    (candidate) => candidate.authMethodId === authMethodId && candidate.loginName === attributes.login_name,
  );
  if (!account || account.password !== attributes.password) {
    throw new BoundaryApiError(401, 'Unauthenticated', 'Unable to authenticate.');
  }
  const token = context.store.issueToken(account.id);
  return [200, { command: 'login', type, attributes: context.store.tokenJson(token, true) }];
}

// ── lists ───────────────────────────────────────────────────────────────────────────────────────────────────

function filterOf(query: URLSearchParams) {
  const text = query.get('filter');
  if (!text) return undefined;
  try {
    return parseFilter(text);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    throw invalidArgument('filter', `This field could not be parsed. ${error.message}`);
  }
}

function list(context: RouteContext, resource: Resource, query: URLSearchParams, items: Listable[]): Answer {
  allowed(context, resource, 'list');
  const filter = filterOf(query);
  const grants = [...context.grants].sort().join(',');
  // The bot's grants are the same for every item of a resource, so they are worked out once per listing.
  const actions = actionsOn(context, resource);
  const visible = actions.length === 0 ? [] : items.map((item) => ({ ...item, json: { ...item.json, authorized_actions: actions } }));
  try {
    return [200, context.paginator.page(resource, grants, visible, filter, query, context.store.removed)];
  } catch (error) {
    if (!(error instanceof ListInputError)) throw error;
    if (error.message === 'page_size') throw invalidArgument('page_size', 'Must be a non-negative integer.');
    throw new BoundaryApiError(400, 'InvalidArgument', error.message);
  }
}

function requireScope(query: URLSearchParams, allowProjects: boolean): void {
  const scope = query.get('scope_id') ?? '';
  const recursive = query.get('recursive') === 'true';
  if (allowProjects && !recursive && !scope.startsWith('p_')) {
    throw invalidArgument('scope_id', 'This field must be a project scope ID or the list must be recursive.');
  }
  const pattern = allowProjects ? /^(global|o_\w+|p_\w+)$/ : /^(global|o_\w+)$/;
  if (!pattern.test(scope)) throw invalidArgument('scope_id', 'Incorrectly formatted identifier.');
}

function listTokens(context: RouteContext, call: Call): Answer {
  requireScope(call.query, false);
  const items = [...context.store.tokens.values()].map((token) => ({
    seq: token.seq,
    updatedAt: token.updatedAt,
    json: context.store.tokenJson(token),
  }));
  return list(context, 'auth-token', call.query, items);
}

function listSessions(context: RouteContext, call: Call): Answer {
  requireScope(call.query, true);
  // At 0.21 terminated sessions are left out unless include_terminated=true (sessions ListSessions).
  const includeTerminated = call.query.get('include_terminated') === 'true';
  const items = [...context.store.sessions.values()]
    .filter((session) => includeTerminated || session.states.at(-1)?.status !== 'terminated')
    .map((session) => ({ seq: session.seq, updatedAt: session.updatedAt, json: context.store.sessionJson(session) }));
  return list(context, 'session', call.query, items);
}

function listAccounts(context: RouteContext, call: Call): Answer {
  const authMethodId = call.query.get('auth_method_id') ?? '';
  if (!/^am(pw|oidc|ldap)_\w+$/.test(authMethodId)) throw invalidArgument('auth_method_id', 'Improperly formatted identifier used.');
  if (!context.store.authMethods.has(authMethodId)) throw notFound();
  const items = [...context.store.accounts.values()]
    .filter((account) => account.authMethodId === authMethodId)
    .map((account) => ({ seq: account.seq, updatedAt: account.createdAt, json: context.store.accountJson(account) }));
  return list(context, 'account', call.query, items);
}

function listUsers(context: RouteContext, call: Call): Answer {
  requireScope(call.query, false);
  const items = [...context.store.users.values()].map((user) => ({
    seq: user.seq,
    updatedAt: user.updatedAt,
    json: context.store.userJson(user, false),
  }));
  return list(context, 'user', call.query, items);
}

// ── writes ──────────────────────────────────────────────────────────────────────────────────────────────────

function deleteToken(context: RouteContext, id: string): Answer {
  found(context.store.tokens.get(id), context, 'auth-token', 'delete');
  context.store.deleteToken(id);
  return [204, undefined];
}

function sessionOf(context: RouteContext, id: string, action: string) {
  if (!/^s_\w+$/.test(id)) throw invalidArgument('id', 'Improperly formatted identifier.');
  return found(context.store.sessions.get(id), context, 'session', action);
}

function cancelSession(context: RouteContext, id: string, body: unknown): Answer {
  const version = (body as Json | undefined)?.version;
  if (!/^s_\w+$/.test(id)) throw invalidArgument('id', 'Improperly formatted identifier.');
  if (typeof version !== 'number' || !Number.isInteger(version) || version <= 0) throw invalidArgument('version', 'Required field.');
  const session = sessionOf(context, id, 'cancel');
  // Already ending: the update is skipped and the version not checked (session_service.go CancelSession).
  if (isEnded(session)) return [200, withActions(context, 'session', context.store.sessionJson(session))];
  if (session.version !== version) {
    // The optimistic update matches no row; the repository's MultipleRecords error maps to 500 Internal
    // (internal/session/repository_session.go updateState; handlers/errors.go).
    throw new BoundaryApiError(500, 'Internal', 'session.(Repository).CancelSession: updated session and 0 rows updated');
  }
  context.store.cancel(session);
  return [200, withActions(context, 'session', context.store.sessionJson(session))];
}
