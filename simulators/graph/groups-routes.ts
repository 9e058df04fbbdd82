// Direct group membership through members/$ref, and the member list
// (learn.microsoft.com/graph/api/group-post-members, …/group-delete-members, …/group-list-members).

import type { SimDirectoryUser } from './directory.js';
import { GraphError, type Json, notFound } from './graph-error.js';
import { type GraphContext, type GraphRoute, PERMISSIONS } from './graph-route.js';
import { select } from './users-routes.js';

export function groupsRoutes({ directory }: GraphContext): GraphRoute[] {
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
      handle: ({ match: [groupId = ''], query }) => {
        const group = directory.groups.get(groupId.toLowerCase());
        if (!group) throw notFound(groupId);
        const members = [...group.members]
          .map((id) => directory.findUser(id))
          .filter((user): user is SimDirectoryUser => user !== undefined);
        return [200, { value: members.map((user) => ({ '@odata.type': '#microsoft.graph.user', ...select(user, query.get('$select')) })) }];
      },
    },
  ];
}
