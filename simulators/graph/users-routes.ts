// Graph's users: get by id or UPN, list with $filter, and checkMemberGroups
// (learn.microsoft.com/graph/api/user-get, …/user-list, …/directoryobject-checkmembergroups).

import type { SimDirectoryUser } from './directory.js';
import { type Json, notFound } from './graph-error.js';
import { type GraphContext, type GraphRoute, PERMISSIONS } from './graph-route.js';
import { parseUserFilter } from './user-filter.js';

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
        // Transitive: membership through nested groups counts (learn.microsoft.com/graph/api/directoryobject-checkmembergroups).
        return [200, { value: groupIds.filter((id) => directory.isTransitiveMember(id, user.id)) }];
      },
    },
  ];
}

/**
 * `filter` comes from URLSearchParams, so the query string was decoded exactly once, as Graph decodes it: a raw
 * '+' arrives as a space and a raw `%27` as a quote that ends the literal
 * (learn.microsoft.com/graph/query-parameters#encoding-query-parameters).
 */
function filterUsers(users: Iterable<SimDirectoryUser>, filter: string | null): SimDirectoryUser[] {
  if (filter === null) return [...users];
  const matches = parseUserFilter(filter);
  return [...users].filter(matches);
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
