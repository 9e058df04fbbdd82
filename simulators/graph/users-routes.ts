// Graph's users: get by id or UPN, list with $filter, and checkMemberGroups
// (learn.microsoft.com/graph/api/user-get, …/user-list, …/directoryobject-checkmembergroups).

import type { SimDirectoryUser } from './directory.js';
import { GraphError, type Json, notFound } from './graph-error.js';
import { type GraphContext, type GraphRoute, PERMISSIONS } from './graph-route.js';

export function usersRoutes(context: GraphContext): GraphRoute[] {
  const { directory } = context;
  return [
    {
      methods: ['GET'],
      path: /^\/v1\.0\/users$/,
      permissions: [PERMISSIONS.readUsers],
      handle: ({ query }) => [
        200,
        {
          '@odata.context': `${context.url}/v1.0/$metadata#users`,
          value: filterUsers(directory.users.values(), query.get('$filter')).map((user) => select(user, query.get('$select'))),
        },
      ],
    },
    {
      methods: ['GET'],
      // /users/{id or UPN}, or /users('{UPN}') for names Graph would otherwise misread (a leading $).
      path: /^\/v1\.0\/users(?:\/([^/(][^/]*)|\('((?:[^']|'')+)'\))$/,
      permissions: [PERMISSIONS.readUsers],
      handle: ({ match: [plain = '', quoted = ''], query }) => {
        const key = plain || quoted.replace(/''/g, "'");
        const user = directory.findUser(key);
        if (!user) throw notFound(key);
        return [200, { '@odata.context': `${context.url}/v1.0/$metadata#users/$entity`, ...select(user, query.get('$select')) }];
      },
    },
    {
      methods: ['POST'],
      path: /^\/v1\.0\/users\/([^/]+)\/checkMemberGroups$/,
      permissions: [PERMISSIONS.readUsers, PERMISSIONS.readMembers],
      handle: ({ match: [key = ''], body }) => {
        const user = directory.findUser(key);
        if (!user) throw notFound(key);
        const groupIds = asStringArray((body as Json | undefined)?.groupIds);
        return [200, { value: groupIds.filter((id) => directory.isMember(id, user.id)) }];
      },
    },
  ];
}

function filterUsers(users: Iterable<SimDirectoryUser>, filter: string | null): SimDirectoryUser[] {
  // Graph reads the query string as form data: a raw '+' arrives as a space
  // (learn.microsoft.com/graph/query-parameters#encoding-query-parameters).
  const match = /^(mail|userPrincipalName) eq '((?:[^']|'')*)'$/.exec(filter ?? '');
  if (!match) throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
  const field = match[1] as 'mail' | 'userPrincipalName';
  const value = (match[2] ?? '').replace(/''/g, "'").toLowerCase();
  return [...users].filter((user) => user[field]?.toLowerCase() === value);
}

/** The user as JSON, cut to `$select` when given. */
export function select(user: SimDirectoryUser, fields: string | null): Json {
  const all: Json = { ...user };
  if (!fields) return all;
  return Object.fromEntries(fields.split(',').map((field) => [field, all[field] ?? null]));
}

function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
