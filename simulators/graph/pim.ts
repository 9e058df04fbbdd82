// PIM for Groups: schedule requests (adminAssign, adminExtend, adminUpdate/adminRenew, adminRemove), the active
// instances, and eligibility schedules, with Entra's error codes
// (learn.microsoft.com/graph/api/resources/privilegedidentitymanagement-for-groups-api-overview).

import { randomUUID } from 'node:crypto';
import type { Directory, SimAssignment, SimCreator, SimScheduleRequest } from './directory.js';
import { GraphError, type Json, policyFailure } from './graph-error.js';
import { type GraphContext, type GraphRoute, PERMISSIONS } from './graph-route.js';
import { PIM_MAXIMUM_MS, PIM_MINIMUM_MS, parseIsoDuration, scheduleSpan, validateScheduleRequest } from './pim-request.js';

const PIM_PATTERN = '/v1\\.0/identityGovernance/privilegedAccess/group';

export interface PimOptions {
  /** Refuse adminRemove within 5 minutes of an assignment's start, as Entra does (ActiveDurationTooShort). */
  enforceMinimumActiveDuration: boolean;
}

export function pimRoutes(context: GraphContext, options: PimOptions): GraphRoute[] {
  const { directory } = context;
  return [
    {
      methods: ['POST'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleRequests$`),
      permissions: [PERMISSIONS.writeAssignments],
      handle: ({ body, clientId }) => [201, requestJson(context, submitScheduleRequest(context, options, body, clientId))],
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleRequests$`),
      permissions: [PERMISSIONS.readAssignments],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'status', 'action', 'accessId', 'targetScheduleId']);
        return [
          200,
          { value: directory.requests.filter((request) => matches(request, filter)).map((request) => requestJson(context, request)) },
        ];
      },
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleInstances$`),
      permissions: [PERMISSIONS.readAssignments],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'accessId', 'memberType']);
        return [
          200,
          {
            value: directory.assignments
              .flatMap((assignment) => instancesOf(directory, assignment))
              .filter((instance) => matches(instance, filter)),
          },
        ];
      },
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentSchedules$`),
      permissions: [PERMISSIONS.readAssignments],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'accessId']);
        return [200, { value: directory.assignments.filter((assignment) => matches(assignment, filter)).map(scheduleJson) }];
      },
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/eligibilitySchedules$`),
      permissions: [PERMISSIONS.readEligibility],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'accessId']);
        const eligible = directory.eligibilities.filter((eligibility) => matches(eligibility, filter));
        return [
          200,
          {
            value: eligible.map((eligibility) => ({
              ...eligibility,
              status: 'Provisioned',
              memberType: 'direct',
              scheduleInfo: { expiration: { type: 'noExpiration' } },
            })),
          },
        ];
      },
    },
  ];
}

function submitScheduleRequest(context: GraphContext, options: PimOptions, body: unknown, clientId: string): SimScheduleRequest {
  const { directory } = context;
  const input = validateScheduleRequest(body);
  const now = context.now();
  const request: SimScheduleRequest = {
    id: randomUUID(),
    status: 'Provisioned',
    action: input.action,
    accessId: input.accessId,
    principalId: input.principalId,
    groupId: input.groupId,
    justification: input.justification,
    isValidationOnly: input.isValidationOnly,
    createdDateTime: now,
    completedDateTime: now,
    scheduleInfo: input.scheduleInfo ?? null,
    ticketInfo: input.ticketInfo ?? null,
    targetScheduleId: null,
    createdBy: { application: { id: clientId, displayName: clientId } },
  };
  const group = directory.groups.get(input.groupId.toLowerCase());
  if (!group)
    throw new GraphError(400, 'InvalidRoleAssignmentRequest', `The group '${input.groupId}' does not exist or cannot be managed by PIM.`);
  const principal = directory.findUser(input.principalId);
  if (!principal) throw new GraphError(400, 'InvalidRoleAssignmentRequest', `The principal '${input.principalId}' does not exist.`);
  const existing = directory.activeAssignment(group.id, principal.id, input.accessId);

  switch (input.action) {
    case 'adminAssign': {
      const span = scheduleSpan(input.scheduleInfo, now);
      if (!input.justification) throw policyFailure('JustificationRule');
      if (existing) throw new GraphError(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
      if (input.isValidationOnly) break;
      const assignment: SimAssignment = {
        id: randomUUID(),
        groupId: group.id,
        principalId: principal.id,
        accessId: input.accessId,
        startDateTime: span.start,
        endDateTime: span.end,
        assignmentScheduleId: `${group.id}_${input.accessId}_${randomUUID()}`,
        createdDateTime: now,
        createdBy: request.createdBy,
      };
      directory.assignments.push(assignment);
      if (input.accessId === 'member') group.members.add(principal.id);
      request.targetScheduleId = assignment.assignmentScheduleId;
      break;
    }
    case 'adminExtend': {
      if (!existing) throw new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      if (!input.justification) throw policyFailure('JustificationRule');
      const end = extendedEnd(existing, input.scheduleInfo, now);
      if (!input.isValidationOnly) existing.endDateTime = end;
      request.targetScheduleId = existing.assignmentScheduleId;
      break;
    }
    case 'adminUpdate':
    case 'adminRenew': {
      if (!existing) throw new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      const span = scheduleSpan(input.scheduleInfo, now);
      if (!input.justification) throw policyFailure('JustificationRule');
      if (!input.isValidationOnly) existing.endDateTime = span.end;
      request.targetScheduleId = existing.assignmentScheduleId;
      break;
    }
    case 'adminRemove': {
      if (!existing) throw new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      if (options.enforceMinimumActiveDuration && now - existing.startDateTime < PIM_MINIMUM_MS) {
        throw new GraphError(400, 'ActiveDurationTooShort', 'The Active duration is too short. Miniumum Required is 5 minutes.');
      }
      if (!input.isValidationOnly) directory.removeAssignment(existing);
      request.status = 'Revoked';
      request.targetScheduleId = existing.assignmentScheduleId;
      break;
    }
    default:
      // Self-service actions act for the signed-in user; an app-only token has none.
      throw new GraphError(
        400,
        'InvalidRoleAssignmentRequest',
        `The action '${input.action}' requires a signed-in user and cannot be used with an application token.`,
      );
  }
  directory.requests.push(request);
  return request;
}

// Entra extends an assignment only as its end approaches: the portal offers Extend, and sends its notices,
// within 14 days of the end (learn.microsoft.com/entra/id-governance/privileged-identity-management/
// groups-renew-extend). That an adminExtend outside that window is refused, and with this code and message, is
// unverified; the bot falls back to adminUpdate on any refusal of an extension.
const EXTEND_WINDOW_MS = 14 * 24 * 60 * 60_000;

/**
 * The end an adminExtend asks for, under Entra's rules: only a time-bound assignment close to its end, only to a
 * later end, and the whole assignment (from its own start, which an extension never moves) within the
 * ExpirationRule's maximum.
 */
function extendedEnd(existing: SimAssignment, scheduleInfo: Json | undefined, now: number): number {
  if (existing.endDateTime === null)
    throw new GraphError(
      400,
      'InvalidRoleAssignmentRequest',
      'The role assignment request is invalid: a permanent assignment cannot be extended.',
    );
  if (existing.endDateTime - now > EXTEND_WINDOW_MS)
    throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment can be extended only within 14 days of its end.');
  const expiration = (scheduleInfo?.expiration ?? {}) as Json;
  const start = typeof scheduleInfo?.startDateTime === 'string' ? Date.parse(scheduleInfo.startDateTime) : now;
  const length = typeof expiration.duration === 'string' ? parseIsoDuration(expiration.duration) : undefined;
  const end =
    expiration.type === 'afterDateTime' && typeof expiration.endDateTime === 'string'
      ? Date.parse(expiration.endDateTime)
      : expiration.type === 'afterDuration' && length !== undefined
        ? start + length
        : Number.NaN;
  if (Number.isNaN(end) || Number.isNaN(start))
    throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid.');
  if (end <= existing.endDateTime)
    throw new GraphError(
      400,
      'InvalidRoleAssignmentRequest',
      'The role assignment request is invalid: an extension must end later than the assignment.',
    );
  if (end - existing.startDateTime > PIM_MAXIMUM_MS) throw policyFailure('ExpirationRule');
  return end;
}

function requestJson(context: GraphContext, request: SimScheduleRequest): Json {
  return {
    '@odata.context': `${context.url}/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity`,
    id: request.id,
    status: request.status,
    completedDateTime: iso(request.completedDateTime),
    createdDateTime: iso(request.createdDateTime),
    approvalId: null,
    customData: null,
    createdBy: creatorJson(request.createdBy),
    action: request.action,
    isValidationOnly: request.isValidationOnly,
    justification: request.justification,
    scheduleInfo: request.scheduleInfo,
    ticketInfo: request.ticketInfo,
    accessId: request.accessId,
    principalId: request.principalId,
    groupId: request.groupId,
    targetScheduleId: request.targetScheduleId,
  };
}

/** The schedule behind an instance; its `id` is the instances' `assignmentScheduleId`. */
function scheduleJson(assignment: SimAssignment): Json {
  return {
    id: assignment.assignmentScheduleId,
    groupId: assignment.groupId,
    principalId: assignment.principalId,
    accessId: assignment.accessId,
    createdDateTime: iso(assignment.createdDateTime),
    createdUsing: assignment.assignmentScheduleId,
    status: 'Provisioned',
    assignmentType: 'assigned',
    memberType: 'direct',
    scheduleInfo: scheduleInfoJson(assignment.startDateTime, assignment.endDateTime),
  };
}

function scheduleInfoJson(start: number, end: number | null): Json {
  return {
    startDateTime: iso(start),
    expiration:
      end === null
        ? { type: 'noExpiration', endDateTime: null, duration: null }
        : { type: 'afterDateTime', endDateTime: iso(end), duration: null },
  };
}

function creatorJson(creator: SimCreator): Json {
  return { application: null, user: null, device: null, ...creator };
}

export interface StandingAssignmentSeed {
  groupId: string;
  /** A user, or a group (whose members then hold the access through it). */
  principalId: string;
  accessId?: 'member' | 'owner';
  /** Epoch ms; default now. */
  startDateTime?: number;
  /** Epoch ms, or null (the default) for a permanent assignment (`expiration.type: noExpiration`). */
  endDateTime?: number | null;
  /** Default: an administrator (a user), not an application. */
  createdBy?: SimCreator;
  justification?: string | null;
  ticketInfo?: { ticketNumber?: string; ticketSystem?: string } | null;
}

/**
 * An assignment someone else made (in the portal, by another tool, before policy required an end), with the
 * adminAssign request that created it, so lists of requests show who did it and why.
 */
export function seedStandingAssignment(
  directory: Directory,
  seed: StandingAssignmentSeed,
  now: number,
): { assignment: SimAssignment; request: SimScheduleRequest } {
  const group = directory.groups.get(seed.groupId.toLowerCase());
  if (!group) throw new Error(`no group ${seed.groupId} in the simulated tenant`);
  // A group may hold an assignment too: its members then hold the access through it (memberType `group`).
  const principal = directory.findUser(seed.principalId) ?? directory.groups.get(seed.principalId.toLowerCase());
  if (!principal) throw new Error(`no user or group ${seed.principalId} in the simulated tenant`);
  const accessId = seed.accessId ?? 'member';
  const start = seed.startDateTime ?? now;
  const end = seed.endDateTime ?? null;
  const createdBy = seed.createdBy ?? { user: { id: randomUUID(), displayName: 'Entra administrator' } };
  const assignment: SimAssignment = {
    id: randomUUID(),
    groupId: group.id,
    principalId: principal.id,
    accessId,
    startDateTime: start,
    endDateTime: end,
    assignmentScheduleId: `${group.id}_${accessId}_${randomUUID()}`,
    createdDateTime: start,
    createdBy,
  };
  const request: SimScheduleRequest = {
    id: randomUUID(),
    status: 'Provisioned',
    action: 'adminAssign',
    accessId,
    principalId: principal.id,
    groupId: group.id,
    justification: seed.justification === undefined ? 'Standing access' : seed.justification,
    isValidationOnly: false,
    createdDateTime: start,
    completedDateTime: start,
    scheduleInfo: scheduleInfoJson(start, end),
    ticketInfo: seed.ticketInfo ?? null,
    targetScheduleId: assignment.assignmentScheduleId,
    createdBy,
  };
  directory.assignments.push(assignment);
  directory.requests.push(request);
  if (accessId === 'member') group.members.add(principal.id);
  return { assignment, request };
}

/**
 * The active instances an assignment makes: its principal's own (`memberType: direct`), and, when a group holds
 * it, one for each user in that group (`memberType: group`, "derived from a group assignment",
 * learn.microsoft.com/graph/api/resources/privilegedaccessgroupassignmentscheduleinstance). Unverified: that
 * listing by a user's principalId returns those derived instances; the bot reads past them either way.
 */
function instancesOf(directory: Directory, assignment: SimAssignment): Json[] {
  const own = instanceJson(assignment, assignment.principalId, 'direct');
  if (!directory.groups.has(assignment.principalId.toLowerCase())) return [own];
  const inherited = [...directory.users.values()]
    .filter((user) => directory.isTransitiveMember(assignment.principalId, user.id))
    .map((user) => instanceJson(assignment, user.id, 'group'));
  return [own, ...inherited];
}

function instanceJson(assignment: SimAssignment, principalId: string, memberType: 'direct' | 'group'): Json {
  return {
    id: memberType === 'direct' ? assignment.id : `${assignment.id}_${principalId}`,
    groupId: assignment.groupId,
    principalId,
    accessId: assignment.accessId,
    startDateTime: iso(assignment.startDateTime),
    endDateTime: iso(assignment.endDateTime),
    assignmentType: 'assigned',
    memberType,
    assignmentScheduleId: assignment.assignmentScheduleId,
  };
}

/** PIM list calls require a `$filter` of `eq` clauses joined by `and`. */
function parseFilter(filter: string | null, fields: string[]): Record<string, string> {
  if (!filter) throw new GraphError(400, 'BadRequest', 'The $filter query parameter is required for this request.');
  const clauses: Record<string, string> = {};
  for (const clause of filter.split(/ and /i)) {
    const match = /^\s*(\w+) eq '([^']*)'\s*$/.exec(clause);
    if (!match || !fields.includes(match[1] ?? '')) throw new GraphError(400, 'BadRequest', `Invalid filter clause: '${clause.trim()}'.`);
    clauses[match[1] ?? ''] = match[2] ?? '';
  }
  return clauses;
}

function matches(item: object, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([key, value]) => String((item as Json)[key]).toLowerCase() === value.toLowerCase());
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
