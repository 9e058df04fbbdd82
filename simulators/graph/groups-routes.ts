// Direct group membership through members/$ref, and the member list
// (learn.microsoft.com/graph/api/group-post-members, …/group-delete-members, …/group-list-members).

import type { Directory } from './directory.js';
import { GraphError, type Json, notFound } from './graph-error.js';
import { type GraphContext, type GraphRoute, PERMISSIONS } from './graph-route.js';

export function groupsRoutes(context: GraphContext): GraphRoute[] {
  const { directory } = context;
  return [
    {
      methods: ['POST'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members\/\$ref$/,
      permissions: [PERMISSIONS.writeMembers],
      handle: ({ match: [groupId = ''], body }) => {
        const group = directory.groups.get(groupId.toLowerCase());
        if (!group) throw notFound(groupId);
        const reference = (body as Json | undefined)?.['@odata.id'];
        const match = typeof reference === 'string' ? /\/(?:directoryObjects|users)\/([0-9a-f-]{36})$/i.exec(reference) : null;
        if (!match) throw new GraphError(400, 'Request_BadRequest', "Invalid URL format specified in @odata.id for 'members'.");
        const user = directory.findUser(match[1] ?? '');
        if (!user) throw notFound(match[1] ?? '');
        if (group.members.has(user.id)) {
          throw new GraphError(
            400,
            'Request_BadRequest',
            "One or more added object references already exist for the following modified properties: 'members'.",
          );
        }
        group.members.add(user.id);
        group.directMembers.add(user.id);
        return [204, undefined];
      },
    },
    {
      methods: ['DELETE'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/,
      permissions: [PERMISSIONS.writeMembers],
      handle: ({ match: [groupId = '', userId = ''] }) => {
        const group = directory.groups.get(groupId.toLowerCase());
        if (!group?.members.has(userId)) throw notFound(userId);
        // This bypasses PIM: an active assignment stays listed, only the membership goes.
        group.members.delete(userId);
        group.directMembers.delete(userId);
        return [204, undefined];
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members$/,
      permissions: [PERMISSIONS.readMembers],
      handle: ({ match: [groupId = ''], query, headers }) => {
        const group = directory.groups.get(groupId.toLowerCase());
        if (!group) throw notFound(groupId);
        const filter = query.get('$filter');
        const count = query.get('$count') === 'true' && headers.consistencylevel?.toLowerCase() === 'eventual';
        // Direct members only: a nested group is listed as itself, never its members.
        let members = [...group.members].flatMap((id) => memberJson(directory, id));
        if (filter !== null) {
          // A $filter on a relationship needs the advanced query parameters, ConsistencyLevel: eventual and $count
          // (learn.microsoft.com/graph/api/group-list-members#request-headers).
          if (!count)
            throw new GraphError(
              400,
              'Request_UnsupportedQuery',
              'The specified filter to the reference property query is currently not supported.',
            );
          const id = parseIdFilter(filter);
          members = members.filter((member) => String(member.id).toLowerCase() === id);
        }
        const value = members.map((member) => selectMember(member, query.get('$select')));
        return [
          200,
          { '@odata.context': `${context.url}/v1.0/$metadata#directoryObjects`, ...(count && { '@odata.count': value.length }), value },
        ];
      },
    },
  ];
}

/** A direct member as Graph lists it: a user, or a nested group (typed, so a client can tell them apart). */
function memberJson(directory: Directory, id: string): Json[] {
  const user = directory.findUser(id);
  if (user) return [{ '@odata.type': '#microsoft.graph.user', ...user }];
  const group = directory.groups.get(id.toLowerCase());
  return group ? [{ '@odata.type': '#microsoft.graph.group', id: group.id, displayName: group.displayName }] : [];
}

function selectMember(member: Json, fields: string | null): Json {
  if (!fields) return member;
  return { '@odata.type': member['@odata.type'], ...Object.fromEntries(fields.split(',').map((field) => [field, member[field] ?? null])) };
}

/** The one filter the simulator knows on members: `id eq '<object id>'`. */
function parseIdFilter(filter: string): string {
  const match = /^\s*id eq '([0-9a-fA-F-]{36})'\s*$/.exec(filter);
  if (!match) throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
  return (match[1] ?? '').toLowerCase();
}
