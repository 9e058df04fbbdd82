import { type Client, GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../simulators/graph/graph-simulator.js';
import { createGraphClient } from '../../../src/adapters/graph/graph-client.js';
import { CLIENT_ID, CLIENT_SECRET, startGraphSimulator, TENANT_ID } from '../../support/simulators.js';

const GROUP = 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a';
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const PIM = '/identityGovernance/privilegedAccess/group';
const MINUTE = 60_000;
const noRetry = [new RetryHandlerOptions(0, 0)];

let sim: GraphSimulator;
let graph: Client;

async function graphFailure(call: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GraphError) return { statusCode: error.statusCode, code: String(error.code), message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

function request(principalId: string, action: string, duration = 'PT1H') {
  return {
    accessId: 'member',
    principalId,
    groupId: GROUP,
    action,
    justification: 'Approved in Slack by U0MANAGER1 (req_1)',
    ticketInfo: { ticketSystem: 'jit-access-bot', ticketNumber: 'req_1' },
    scheduleInfo: { startDateTime: new Date(sim.now()).toISOString(), expiration: { type: 'afterDuration', duration } },
  };
}

const post = (body: unknown) => graph.api(`${PIM}/assignmentScheduleRequests`).middlewareOptions(noRetry).post(body);
const instances = async (principalId: string) =>
  (await graph.api(`${PIM}/assignmentScheduleInstances`).filter(`groupId eq '${GROUP}' and principalId eq '${principalId}'`).get()).value;

beforeEach(async () => {
  sim = await startGraphSimulator();
  sim.addGroup({ id: GROUP, displayName: 'Production - Boundary on Azure' });
  sim.addUser({ id: ALICE, userPrincipalName: 'alice@contoso.example' });
  sim.addUser({ id: BOB, userPrincipalName: 'bob@contoso.example' });
  graph = createGraphClient({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    baseUrl: sim.url,
  });
});

afterEach(async () => {
  await sim.stop();
});

describe('standing access someone else granted', () => {
  it('refuses a second members/$ref add of a seeded direct member with Graph’s 400', async () => {
    sim.addDirectMember(GROUP, ALICE);
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALICE}` };
    expect(await graphFailure(graph.api(`/groups/${GROUP}/members/$ref`).post(ref))).toEqual({
      statusCode: 400,
      code: 'Request_BadRequest',
      message: "One or more added object references already exist for the following modified properties: 'members'.",
    });
  });

  it('answers RoleAssignmentExists to adminAssign for someone holding a permanent assignment', async () => {
    sim.addStandingAssignment({ groupId: GROUP, principalId: ALICE });
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
    expect(await graphFailure(post(request(ALICE, 'adminAssign')))).toMatchObject({ statusCode: 400, code: 'RoleAssignmentExists' });
    const [instance] = await instances(ALICE);
    expect(instance).toMatchObject({ principalId: ALICE, endDateTime: null, assignmentType: 'assigned' });
  });

  it('tells whose assignment it is: the schedule id links the instance to the request, its ticket and creator', async () => {
    const standing = sim.addStandingAssignment({
      groupId: GROUP,
      principalId: ALICE,
      justification: 'On-call owner',
      ticketInfo: { ticketSystem: 'ServiceNow', ticketNumber: 'CHG0001' },
    });
    const granted = await post(request(BOB, 'adminAssign'));

    const [aliceInstance] = await instances(ALICE);
    const [bobInstance] = await instances(BOB);
    expect(aliceInstance.assignmentScheduleId).toBe(standing.assignment.assignmentScheduleId);
    expect(bobInstance.assignmentScheduleId).toBe(granted.targetScheduleId);

    const listed = (await graph.api(`${PIM}/assignmentScheduleRequests`).filter(`groupId eq '${GROUP}'`).get()).value;
    const byTarget = (id: string) => listed.find((item: { targetScheduleId: string }) => item.targetScheduleId === id);
    expect(byTarget(aliceInstance.assignmentScheduleId)).toMatchObject({
      id: standing.request.id,
      status: 'Provisioned',
      justification: 'On-call owner',
      ticketInfo: { ticketSystem: 'ServiceNow', ticketNumber: 'CHG0001' },
      scheduleInfo: { expiration: { type: 'noExpiration' } },
      createdBy: { application: null, user: { displayName: 'Entra administrator' } },
    });
    expect(byTarget(bobInstance.assignmentScheduleId)).toMatchObject({
      id: granted.id,
      ticketInfo: { ticketSystem: 'jit-access-bot', ticketNumber: 'req_1' },
      createdBy: { application: { id: CLIENT_ID }, user: null },
    });

    const schedules = (await graph.api(`${PIM}/assignmentSchedules`).filter(`groupId eq '${GROUP}'`).get()).value;
    expect(schedules.map((schedule: { id: string }) => schedule.id).sort()).toEqual(
      [aliceInstance.assignmentScheduleId, bobInstance.assignmentScheduleId].sort(),
    );
  });

  it('keeps a direct member in the group when their PIM assignment ends', async () => {
    sim.addDirectMember(GROUP, ALICE);
    await post(request(ALICE, 'adminAssign', 'PT10M'));
    sim.advance(10 * MINUTE);
    expect(await instances(ALICE)).toEqual([]);
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
  });
});

describe('adminExtend and adminUpdate', () => {
  // Instances carry whole seconds, as Graph's do.
  const endOf = (body: { scheduleInfo: { startDateTime: string } }, minutes: number) =>
    Math.floor((Date.parse(body.scheduleInfo.startDateTime) + minutes * MINUTE) / 1000) * 1000;

  it('moves the end of an existing assignment, keeping its schedule id', async () => {
    const granted = await post(request(ALICE, 'adminAssign', 'PT1H'));
    const update = request(ALICE, 'adminUpdate', 'PT30M');
    expect(await post(update)).toMatchObject({ action: 'adminUpdate', status: 'Provisioned', targetScheduleId: granted.targetScheduleId });
    expect(Date.parse((await instances(ALICE))[0].endDateTime)).toBe(endOf(update, 30));
    const extension = request(ALICE, 'adminExtend', 'PT2H');
    expect((await post(extension)).targetScheduleId).toBe(granted.targetScheduleId);
    expect(Date.parse((await instances(ALICE))[0].endDateTime)).toBe(endOf(extension, 120));
  });

  it('extends only to a later end, keeping the start, and refuses an extension that would shorten it', async () => {
    const granted = await post(request(ALICE, 'adminAssign', 'PT1H'));
    const [before] = await instances(ALICE);
    expect(await graphFailure(post(request(ALICE, 'adminExtend', 'PT30M')))).toEqual({
      statusCode: 400,
      code: 'InvalidRoleAssignmentRequest',
      message: 'The role assignment request is invalid: an extension must end later than the assignment.',
    });
    sim.advance(50 * MINUTE);
    // 40 minutes from 50 minutes in: 30 minutes past the old end (to the second the extension was asked at).
    const extension = request(ALICE, 'adminExtend', 'PT40M');
    expect((await post(extension)).targetScheduleId).toBe(granted.targetScheduleId);
    const [after] = await instances(ALICE);
    expect(after.startDateTime).toBe(before.startDateTime);
    expect(Date.parse(after.endDateTime)).toBe(endOf(extension, 40));
    expect(Date.parse(after.endDateTime) - Date.parse(before.endDateTime)).toBeGreaterThanOrEqual(30 * MINUTE);
  });

  it('refuses to extend an assignment more than 14 days from its end, where adminUpdate still moves it', async () => {
    await post(request(ALICE, 'adminAssign', 'P20D'));
    expect(await graphFailure(post(request(ALICE, 'adminExtend', 'P21D')))).toEqual({
      statusCode: 400,
      code: 'InvalidRoleAssignmentRequest',
      message: 'The role assignment can be extended only within 14 days of its end.',
    });
    expect(await post(request(ALICE, 'adminUpdate', 'P21D'))).toMatchObject({ action: 'adminUpdate', status: 'Provisioned' });
    sim.advance(8 * 24 * 60 * MINUTE);
    expect(await post(request(ALICE, 'adminExtend', 'P14D'))).toMatchObject({ action: 'adminExtend', status: 'Provisioned' });
  });

  it('refuses an extension that takes the assignment past 180 days from its start (ExpirationRule)', async () => {
    await post(request(ALICE, 'adminAssign', 'P170D'));
    sim.advance(160 * 24 * 60 * MINUTE);
    expect(await graphFailure(post(request(ALICE, 'adminExtend', 'P21D')))).toMatchObject({
      code: 'RoleAssignmentRequestPolicyValidationFailed',
      message: 'The following policy rules failed: ["ExpirationRule"]',
    });
  });

  it('answers RoleAssignmentDoesNotExist when there is nothing to extend or update', async () => {
    for (const action of ['adminExtend', 'adminUpdate']) {
      expect(await graphFailure(post(request(ALICE, action)))).toEqual({
        statusCode: 400,
        code: 'RoleAssignmentDoesNotExist',
        message: 'The Role assignment does not exist.',
      });
    }
  });
});

describe('a response lost after a successful write', () => {
  it('adds the member, answers 504, and a retry then meets "already exist"', async () => {
    sim.loseResponseAfterWrite('POST /v1.0/groups/', { answer: 504 });
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALICE}` };
    expect(await graphFailure(graph.api(`/groups/${GROUP}/members/$ref`).middlewareOptions(noRetry).post(ref))).toMatchObject({
      statusCode: 504,
    });
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
    expect(sim.log.at(-1)).toMatchObject({ status: 504, appliedStatus: 204 });
    expect(await graphFailure(graph.api(`/groups/${GROUP}/members/$ref`).middlewareOptions(noRetry).post(ref))).toMatchObject({
      statusCode: 400,
      code: 'Request_BadRequest',
    });
  });

  it('creates the assignment, drops the connection, and counts down its uses', async () => {
    sim.loseResponseAfterWrite(`POST /v1.0${PIM}/assignmentScheduleRequests`, { times: 2 });
    await expect(post(request(ALICE, 'adminAssign'))).rejects.toThrow();
    await expect(post(request(BOB, 'adminAssign'))).rejects.toThrow();
    expect(sim.log.map((entry) => entry.status).filter((status) => status === -1)).toHaveLength(2);
    expect(await instances(ALICE)).toHaveLength(1);
    expect(await instances(BOB)).toHaveLength(1);
    expect(await graphFailure(post(request(ALICE, 'adminAssign')))).toMatchObject({ code: 'RoleAssignmentExists' });
  });
});
