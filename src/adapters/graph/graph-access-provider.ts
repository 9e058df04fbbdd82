// Grants and ends membership of an Entra group through Microsoft Graph
// (https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupassignmentschedulerequest,
// https://learn.microsoft.com/graph/api/group-post-members).
// Every effect is idempotent: an assignment or membership already there is reported as such (the grant job
// decides whether it is the bot's own), one already gone counts as ended, so a job retried after a crash never
// doubles or fails on its own earlier work.

import type { Client } from '@microsoft/microsoft-graph-client';
import type { AccessProvider, GrantOrder, GrantOwnership, GrantResult, PresenceResult, RevokeResult } from '../../application/ports.js';
import { toIsoDuration } from '../../domain/duration.js';
import type { GrantSpec } from '../../domain/policy.js';
import { classifyGraphError, isGraphError } from './graph-errors.js';
import { GRAPH_TIMEOUT_MS, graphRequest } from './graph-request.js';

const PIM = '/identityGovernance/privilegedAccess/group';
// Entra refuses adminRemove within 5 minutes of the assignment's start (ActiveDurationTooShort).
const PIM_MINIMUM_ACTIVE_MS = 5 * 60_000;

interface ScheduleRequestResponse {
  id: string;
  status: string;
  targetScheduleId?: string | null;
}

interface ScheduleRequest extends ScheduleRequestResponse {
  action: string;
  ticketInfo?: { ticketSystem?: string | null; ticketNumber?: string | null } | null;
}

interface AssignmentInstance {
  startDateTime: string;
  endDateTime: string | null;
  accessId: string;
  /** `direct`, or `group` for access the principal holds through a group's assignment, not one of its own. */
  memberType?: string | null;
  /** The schedule this instance comes from: the `targetScheduleId` of the request that created it. */
  assignmentScheduleId?: string | null;
}

const TICKET_SYSTEM = 'jit-access-bot';

const ACTIVE_STATUS = 'provisioned';
const PENDING_STATUSES = new Set([
  'granted',
  'schedulecreated',
  'pendingprovisioning',
  'pendingschedulecreation',
  'pendingapproval',
  'pendingadmindecision',
]);

/**
 * A `$filter` string literal: single quotes doubled (OData), then every character that means something in a
 * URL percent-encoded, `%` included, because the SDK sends the filter as written and the server decodes it once:
 * an unencoded `%27` would arrive as a quote and end the literal early.
 * https://learn.microsoft.com/graph/query-parameters#encoding-query-parameters
 */
export function filterLiteral(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

/** The principal's own assignment, not access it holds as a member of a group that has one. */
const isDirect = (instance: AssignmentInstance): boolean => instance.memberType?.toLowerCase() !== 'group';

export class GraphAccessProvider implements AccessProvider {
  constructor(
    private readonly graph: Client,
    /** The Graph root the bot talks to, for @odata.id references. */
    private readonly graphRoot: string,
    private readonly now: () => number,
    private readonly timeoutMs = GRAPH_TIMEOUT_MS,
  ) {}

  async grant(order: GrantOrder): Promise<GrantResult> {
    return order.grant.kind === 'pim_group' ? this.assign(order) : this.addMember(order.grant.groupId, order.principalId);
  }

  /**
   * With `ownership`, a PIM assignment is removed only when the active one is the bot's: an assignment someone
   * else made (after the bot's ended, or in its place) stays. Direct membership carries no owner to check.
   */
  async revoke(grant: GrantSpec, principalId: string, ownership?: GrantOwnership): Promise<RevokeResult> {
    if (grant.kind !== 'pim_group') return this.removeMember(grant.groupId, principalId);
    if (ownership) {
      const holder = await this.activeHolder(grant.groupId, principalId, ownership).catch(classifyGraphError);
      if ('ok' in holder) return holder;
      if (holder.holder === 'none') return { ok: true, alreadyAbsent: true };
      if (holder.holder === 'other') return { ok: true, alreadyAbsent: false, heldBy: holder.scheduleId };
    }
    return this.removeAssignment(grant.groupId, principalId);
  }

  /**
   * Moves the end Entra keeps for the PIM assignment: `adminExtend` first, as Entra means extensions to be made,
   * then `adminUpdate` where Entra refuses to extend (it extends only an assignment close to its end; the exact
   * window for app-only calls is unverified). Neither restarts the assignment: its start stays.
   */
  async extend(grant: GrantSpec, principalId: string, endsAt: number, justification: string): Promise<RevokeResult> {
    if (grant.kind !== 'pim_group') return { ok: true, alreadyAbsent: false };
    const extended = await this.moveEnd('adminExtend', grant.groupId, principalId, endsAt, justification);
    if (extended.ok || extended.kind === 'transient') return extended;
    return this.moveEnd('adminUpdate', grant.groupId, principalId, endsAt, justification);
  }

  private async moveEnd(
    action: 'adminExtend' | 'adminUpdate',
    groupId: string,
    principalId: string,
    endsAt: number,
    justification: string,
  ): Promise<RevokeResult> {
    const body = {
      accessId: 'member',
      principalId,
      groupId,
      action,
      justification,
      scheduleInfo: {
        startDateTime: new Date(this.now()).toISOString(),
        expiration: { type: 'afterDateTime', endDateTime: new Date(endsAt).toISOString() },
      },
    };
    try {
      const response = await this.postScheduleRequest(body);
      const status = response.status.toLowerCase();
      if (status === ACTIVE_STATUS || status === 'granted') return { ok: true, alreadyAbsent: false };
      if (PENDING_STATUSES.has(status))
        return { ok: false, kind: 'transient', message: `PIM ${action} ${response.id} is ${response.status}` };
      return {
        ok: false,
        kind: 'permanent',
        code: response.status,
        message: `PIM answered ${response.status} to the ${action} ${response.id}`,
      };
    } catch (error) {
      if (isGraphError(error, 400, 'RoleAssignmentDoesNotExist')) return { ok: true, alreadyAbsent: true };
      return classifyGraphError(error);
    }
  }

  /**
   * Whether the person holds the membership the bot grants: directly, never through a nested group or a group's
   * PIM assignment. Such access is not the bot's to remove, and is no sign that the bot's own is still there.
   */
  async isPresent(grant: GrantSpec, principalId: string): Promise<PresenceResult> {
    try {
      if (grant.kind === 'pim_group') {
        const instances = await this.activeInstances(grant.groupId, principalId);
        return { ok: true, present: instances.some(isDirect) };
      }
      // The group's direct members (https://learn.microsoft.com/graph/api/group-list-members), not the transitive
      // checkMemberGroups. A $filter on members needs ConsistencyLevel: eventual and $count, and is answered from
      // an index that can lag a change made moments before (https://learn.microsoft.com/graph/aad-advanced-queries).
      const result = (await graphRequest(this.graph, `/groups/${grant.groupId}/members`, this.timeoutMs)
        .header('ConsistencyLevel', 'eventual')
        .count(true)
        .filter(`id eq ${filterLiteral(principalId)}`)
        .select('id')
        .get()) as { value: { id: string }[] };
      return { ok: true, present: result.value.some((member) => member.id.toLowerCase() === principalId.toLowerCase()) };
    } catch (error) {
      return classifyGraphError(error);
    }
  }

  async isEligible(groupId: string, principalId: string): Promise<PresenceResult> {
    try {
      const result = (await graphRequest(this.graph, `${PIM}/eligibilitySchedules`, this.timeoutMs)
        .filter(`groupId eq ${filterLiteral(groupId)} and principalId eq ${filterLiteral(principalId)}`)
        .get()) as { value: unknown[] };
      return { ok: true, present: result.value.length > 0 };
    } catch (error) {
      return classifyGraphError(error);
    }
  }

  private async assign(order: GrantOrder): Promise<GrantResult> {
    const { groupId } = order.grant;
    const body = {
      accessId: 'member',
      principalId: order.principalId,
      groupId,
      action: 'adminAssign',
      justification: order.justification,
      scheduleInfo: {
        startDateTime: new Date(order.startsAt).toISOString(),
        expiration: { type: 'afterDuration', duration: toIsoDuration(order.durationMinutes) },
      },
      ticketInfo: { ticketSystem: TICKET_SYSTEM, ticketNumber: order.requestId },
    };
    try {
      const response = await this.postScheduleRequest(body);
      // HTTP 201 comes back whatever the outcome; the body's status says what happened (privilegedAccessGroupAssignmentScheduleRequest's status).
      const status = response.status.toLowerCase();
      // The schedule, not the request, is what the active assignment names: the end compares against it.
      if (status === ACTIVE_STATUS) return { ok: true, reference: response.targetScheduleId ?? response.id, alreadyPresent: false };
      if (PENDING_STATUSES.has(status))
        return { ok: false, kind: 'transient', message: `PIM request ${response.id} is ${response.status}` };
      return { ok: false, kind: 'permanent', code: response.status, message: `PIM answered ${response.status} for request ${response.id}` };
    } catch (error) {
      if (isGraphError(error, 400, 'RoleAssignmentExists')) return this.confirmPresent(order.grant, order.principalId);
      return classifyGraphError(error);
    }
  }

  private async postScheduleRequest(body: Record<string, unknown>): Promise<ScheduleRequestResponse> {
    return (await graphRequest(this.graph, `${PIM}/assignmentScheduleRequests`, this.timeoutMs).post(body)) as ScheduleRequestResponse;
  }

  /**
   * "Already exists" may be our own earlier attempt (a retry after a crash), another grant of the bot, or someone
   * else's: confirm before calling it granted, and name the schedule (the grant job decides whose it is).
   */
  private async confirmPresent(grant: GrantSpec, principalId: string): Promise<GrantResult> {
    try {
      const instance = (await this.activeInstances(grant.groupId, principalId)).find(isDirect);
      if (!instance)
        return { ok: false, kind: 'transient', message: 'Graph said the assignment exists but no active instance is visible yet' };
      return { ok: true, alreadyPresent: true, ...(instance.assignmentScheduleId && { reference: instance.assignmentScheduleId }) };
    } catch (error) {
      return classifyGraphError(error);
    }
  }

  /** Whose the active member assignment is: none, the bot's (by its schedule or its ticket), or another's. */
  private async activeHolder(
    groupId: string,
    principalId: string,
    ownership: GrantOwnership,
  ): Promise<{ holder: 'none' | 'bot' } | { holder: 'other'; scheduleId: string }> {
    const instances = await this.activeInstances(groupId, principalId);
    if (instances.length === 0) return { holder: 'none' };
    for (const instance of instances) {
      if (await this.isOwnSchedule(instance.assignmentScheduleId ?? undefined, ownership)) return { holder: 'bot' };
    }
    return { holder: 'other', scheduleId: instances[0]?.assignmentScheduleId ?? 'unknown' };
  }

  private async isOwnSchedule(scheduleId: string | undefined, ownership: GrantOwnership): Promise<boolean> {
    if (!scheduleId) return false;
    if (ownership.reference?.toLowerCase() === scheduleId.toLowerCase()) return true;
    // The requests behind the schedule: the bot's adminAssign carried the request id as ticket number, and a
    // grant recorded before schedule ids were kept holds that request's id.
    const result = (await graphRequest(this.graph, `${PIM}/assignmentScheduleRequests`, this.timeoutMs)
      .filter(`targetScheduleId eq ${filterLiteral(scheduleId)}`)
      .get()) as { value: ScheduleRequest[] };
    return result.value.some(
      (request) =>
        request.id === ownership.reference ||
        (request.action === 'adminAssign' &&
          request.ticketInfo?.ticketSystem === TICKET_SYSTEM &&
          request.ticketInfo.ticketNumber === ownership.requestId),
    );
  }

  private async removeAssignment(groupId: string, principalId: string): Promise<RevokeResult> {
    const body = { accessId: 'member', principalId, groupId, action: 'adminRemove' };
    try {
      const response = await this.postScheduleRequest(body);
      const status = response.status.toLowerCase();
      if (status === 'revoked' || status === 'provisioned' || status === 'canceled') return { ok: true, alreadyAbsent: false };
      if (PENDING_STATUSES.has(status))
        return { ok: false, kind: 'transient', message: `PIM removal ${response.id} is ${response.status}` };
      return {
        ok: false,
        kind: 'permanent',
        code: response.status,
        message: `PIM answered ${response.status} to the removal ${response.id}`,
      };
    } catch (error) {
      // Entra ended it first (expiry), or an earlier attempt did: the access is gone either way.
      if (isGraphError(error, 400, 'RoleAssignmentDoesNotExist')) return { ok: true, alreadyAbsent: true };
      if (isGraphError(error, 400, 'ActiveDurationTooShort')) return this.retryAfterMinimum(groupId, principalId);
      return classifyGraphError(error);
    }
  }

  private async retryAfterMinimum(groupId: string, principalId: string): Promise<RevokeResult> {
    const instances = await this.activeInstances(groupId, principalId).catch(() => []);
    const started = Math.min(...instances.map((instance) => Date.parse(instance.startDateTime)).filter(Number.isFinite), this.now());
    const wait = Math.max(1000, started + PIM_MINIMUM_ACTIVE_MS - this.now() + 1000);
    return {
      ok: false,
      kind: 'transient',
      message: 'Entra keeps a PIM assignment at least 5 minutes (ActiveDurationTooShort)',
      retryAfterMs: wait,
    };
  }

  private async activeInstances(groupId: string, principalId: string): Promise<AssignmentInstance[]> {
    const result = (await graphRequest(this.graph, `${PIM}/assignmentScheduleInstances`, this.timeoutMs)
      .filter(`groupId eq ${filterLiteral(groupId)} and principalId eq ${filterLiteral(principalId)}`)
      .get()) as { value: AssignmentInstance[] };
    return result.value.filter((instance) => instance.accessId === 'member');
  }

  private async addMember(groupId: string, principalId: string): Promise<GrantResult> {
    try {
      await graphRequest(this.graph, `/groups/${groupId}/members/$ref`, this.timeoutMs).post({
        '@odata.id': `${this.graphRoot}/v1.0/directoryObjects/${principalId}`,
      });
      return { ok: true, alreadyPresent: false };
    } catch (error) {
      if (isGraphError(error, 400) && /already exist/i.test(error.message)) return { ok: true, alreadyPresent: true };
      return classifyGraphError(error);
    }
  }

  private async removeMember(groupId: string, principalId: string): Promise<RevokeResult> {
    try {
      // Never without /$ref: that would delete the member object itself
      // (https://learn.microsoft.com/graph/api/group-delete-members).
      await graphRequest(this.graph, `/groups/${groupId}/members/${principalId}/$ref`, this.timeoutMs).delete();
      return { ok: true, alreadyAbsent: false };
    } catch (error) {
      if (isGraphError(error, 404) || (isGraphError(error, 400) && /do not exist/i.test(error.message)))
        return { ok: true, alreadyAbsent: true };
      return classifyGraphError(error);
    }
  }
}
