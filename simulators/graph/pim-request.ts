// How Graph reads a privilegedAccessGroupAssignmentScheduleRequest body before any PIM rule runs: unknown
// properties and wrong enum values are a 400 BadRequest; then the schedule is turned into a start and an end
// under the group's default policy (learn.microsoft.com/graph/api/privilegedaccessgroup-post-assignmentschedulerequests,
// learn.microsoft.com/graph/identity-governance-pim-rules-overview).

import { GraphError, type Json, policyFailure } from './graph-error.js';

const MINUTE = 60_000;
export const PIM_MINIMUM_MS = 5 * MINUTE;
// The group default of Expiration_Admin_Assignment: maximumDuration P180D.
export const PIM_MAXIMUM_MS = 180 * 24 * 60 * MINUTE;

const REQUEST_PROPERTIES = new Set([
  '@odata.type',
  'accessId',
  'principalId',
  'groupId',
  'action',
  'scheduleInfo',
  'justification',
  'ticketInfo',
  'isValidationOnly',
  'targetScheduleId',
]);
const ACTIONS = [
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'selfActivate',
  'selfDeactivate',
  'adminExtend',
  'adminRenew',
  'selfExtend',
  'selfRenew',
];
const EXPIRATION_TYPES = ['notSpecified', 'noExpiration', 'afterDateTime', 'afterDuration'];
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export interface ScheduleRequestInput {
  action: string;
  accessId: 'member' | 'owner';
  principalId: string;
  groupId: string;
  justification: string | null;
  isValidationOnly: boolean;
  scheduleInfo?: Json;
  ticketInfo?: Json;
}

export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * MINUTE + Number(seconds) * 1000;
}

export function validateScheduleRequest(body: unknown): ScheduleRequestInput {
  if (body === undefined || body === null || typeof body !== 'object')
    throw new GraphError(400, 'BadRequest', 'Unable to read JSON request payload.');
  const input = body as Json;
  for (const key of Object.keys(input)) {
    if (!REQUEST_PROPERTIES.has(key)) {
      throw new GraphError(
        400,
        'BadRequest',
        `The property '${key}' does not exist on type 'microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
    }
  }
  if (!ACTIONS.includes(String(input.action)))
    throw new GraphError(400, 'BadRequest', `Requested value '${String(input.action)}' was not found.`);
  if (input.accessId !== 'member' && input.accessId !== 'owner')
    throw new GraphError(400, 'BadRequest', `Requested value '${String(input.accessId)}' was not found.`);
  for (const key of ['principalId', 'groupId'] as const) {
    if (typeof input[key] !== 'string' || input[key] === '') throw new GraphError(400, 'BadRequest', `The '${key}' property is required.`);
  }
  const scheduleInfo = input.scheduleInfo as Json | undefined;
  const expiration = scheduleInfo?.expiration as Json | undefined;
  if (expiration?.type !== undefined && !EXPIRATION_TYPES.includes(String(expiration.type))) {
    throw new GraphError(400, 'BadRequest', `Requested value '${String(expiration.type)}' was not found.`);
  }
  return {
    action: String(input.action),
    accessId: input.accessId,
    principalId: String(input.principalId),
    groupId: String(input.groupId),
    justification: typeof input.justification === 'string' && input.justification.trim() !== '' ? input.justification : null,
    isValidationOnly: input.isValidationOnly === true,
    ...(scheduleInfo && { scheduleInfo }),
    ...(input.ticketInfo !== undefined && { ticketInfo: input.ticketInfo as Json }),
  };
}

/** The span a schedule asks for, refused by the ExpirationRule when permanent, under 5 minutes or over 180 days. */
export function scheduleSpan(scheduleInfo: Json | undefined, now: number): { start: number; end: number } {
  if (!scheduleInfo)
    throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid: scheduleInfo is required.');
  const start = typeof scheduleInfo.startDateTime === 'string' ? Date.parse(scheduleInfo.startDateTime) : now;
  if (Number.isNaN(start))
    throw new GraphError(
      400,
      'BadRequest',
      `Cannot convert the literal '${String(scheduleInfo.startDateTime)}' to the expected type 'Edm.DateTimeOffset'.`,
    );
  const expiration = (scheduleInfo.expiration ?? {}) as Json;
  const type = String(expiration.type ?? 'notSpecified');
  if (type === 'noExpiration' || type === 'notSpecified') throw policyFailure('ExpirationRule');
  let end: number;
  if (type === 'afterDuration') {
    const length = typeof expiration.duration === 'string' ? parseIsoDuration(expiration.duration) : undefined;
    if (length === undefined) throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid.');
    end = start + length;
  } else {
    end = typeof expiration.endDateTime === 'string' ? Date.parse(expiration.endDateTime) : Number.NaN;
    if (Number.isNaN(end)) throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid.');
  }
  if (end - start < PIM_MINIMUM_MS || end - start > PIM_MAXIMUM_MS) throw policyFailure('ExpirationRule');
  return { start, end };
}
