import { ClientSecretCredential } from '@azure/identity';
import { type Client, GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../simulators/graph/graph-simulator.js';
import { createGraphClient } from '../../../src/adapters/graph/graph-client.js';
import { CLIENT_ID, CLIENT_SECRET, startGraphSimulator, TENANT_ID } from '../../support/simulators.js';

const GROUP = 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a';
const ALICE = '11111111-1111-4111-8111-111111111111';
const GUEST = '22222222-2222-4222-8222-222222222222';
const PIM = '/identityGovernance/privilegedAccess/group';
const MINUTE = 60_000;

let sim: GraphSimulator;
let graph: Client;

function clientFor(target: GraphSimulator, secret = CLIENT_SECRET): Client {
  return createGraphClient({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: secret,
    authorityHost: target.url,
    disableInstanceDiscovery: true,
    baseUrl: target.url,
  });
}

const noRetry = [new RetryHandlerOptions(0, 0)];

async function graphFailure(call: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GraphError) return { statusCode: error.statusCode, code: String(error.code), message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

function assign(principalId: string, duration = 'PT1H', extra: Record<string, unknown> = {}) {
  return {
    accessId: 'member',
    principalId,
    groupId: GROUP,
    action: 'adminAssign',
    justification: 'Approved in Slack by U0MANAGER1 (req_1)',
    scheduleInfo: { startDateTime: new Date(sim.now()).toISOString(), expiration: { type: 'afterDuration', duration } },
    ...extra,
  };
}

beforeEach(async () => {
  sim = await startGraphSimulator();
  sim.addGroup({ id: GROUP, displayName: 'Production - Boundary on Azure' });
  sim.addUser({ id: ALICE, userPrincipalName: 'alice@contoso.example', mail: 'alice.o+jit@contoso.example' });
  sim.addUser({
    id: GUEST,
    userPrincipalName: "o'neil_partner.example#EXT#@contoso.example",
    mail: "o'neil@partner.example",
    userType: 'Guest',
  });
  graph = clientFor(sim);
});

afterEach(async () => {
  await sim.stop();
});

describe('the sign-in authority', () => {
  it('gives ClientSecretCredential a token for the right secret, in exactly two calls', async () => {
    const credential = new ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET, {
      authorityHost: sim.url,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(`${sim.url}/.default`);
    expect(token.token).toMatch(/^sim\./);
    expect(sim.log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      `GET /${TENANT_ID}/v2.0/.well-known/openid-configuration 200`,
      `POST /${TENANT_ID}/oauth2/v2.0/token 200`,
    ]);
  });

  it('refuses a wrong secret the way Entra does', async () => {
    const credential = new ClientSecretCredential(TENANT_ID, CLIENT_ID, 'wrong', {
      authorityHost: sim.url,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken(`${sim.url}/.default`)).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/);
    expect(sim.log.at(-1)?.status).toBe(401);
  });
});

describe('users', () => {
  it('finds a user by id, by UPN and by mail, with + and quotes encoded', async () => {
    expect(await graph.api(`/users/${ALICE}`).select('id,userPrincipalName').get()).toMatchObject({
      id: ALICE,
      userPrincipalName: 'alice@contoso.example',
    });
    expect(await graph.api(`/users/${encodeURIComponent('alice@contoso.example')}`).get()).toMatchObject({ id: ALICE });
    const plus = await graph
      .api('/users')
      .filter(`mail eq '${'alice.o+jit@contoso.example'.replace(/\+/g, '%2B')}'`)
      .get();
    expect(plus.value.map((user: { id: string }) => user.id)).toEqual([ALICE]);
    const quoted = await graph.api('/users').filter(`mail eq 'o''neil@partner.example'`).get();
    expect(quoted.value).toMatchObject([{ id: GUEST, userType: 'Guest' }]);
  });

  it("finds a UPN starting with $ through the /users('…') form", async () => {
    sim.addUser({ id: '33333333-3333-4333-8333-333333333333', userPrincipalName: '$svc@contoso.example' });
    expect(await graph.api(`/users('${encodeURIComponent('$svc@contoso.example')}')`).get()).toMatchObject({
      id: '33333333-3333-4333-8333-333333333333',
    });
  });

  it('reads a raw + as a space, as Graph does', async () => {
    const raw = await graph.api('/users').filter(`mail eq 'alice.o+jit@contoso.example'`).get();
    expect(raw.value).toEqual([]);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user, and refuses unsupported filters', async () => {
    expect(await graphFailure(graph.api('/users/nobody@contoso.example').get())).toMatchObject({
      statusCode: 404,
      code: 'Request_ResourceNotFound',
    });
    expect(await graphFailure(graph.api('/users').filter("endsWith(mail,'x')").get())).toMatchObject({
      statusCode: 400,
      code: 'Request_UnsupportedQuery',
    });
  });
});

describe('direct group membership', () => {
  const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${ALICE}` };

  it('adds a member, refuses a duplicate with 400, removes it, then answers 404', async () => {
    await graph.api(`/groups/${GROUP}/members/$ref`).post(ref);
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
    expect(await graphFailure(graph.api(`/groups/${GROUP}/members/$ref`).post(ref))).toEqual({
      statusCode: 400,
      code: 'Request_BadRequest',
      message: "One or more added object references already exist for the following modified properties: 'members'.",
    });
    expect((await graph.api(`/users/${ALICE}/checkMemberGroups`).post({ groupIds: [GROUP] })).value).toEqual([GROUP]);
    await graph.api(`/groups/${GROUP}/members/${ALICE}/$ref`).delete();
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
    expect(await graphFailure(graph.api(`/groups/${GROUP}/members/${ALICE}/$ref`).delete())).toMatchObject({
      statusCode: 404,
      code: 'Request_ResourceNotFound',
    });
  });

  it('lists direct members only, a nested group as itself, while checkMemberGroups counts membership through it', async () => {
    const TEAM = '7e2d4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d';
    sim.addGroup({ id: TEAM, displayName: 'On-call team' });
    sim.addDirectMember(TEAM, ALICE);
    sim.addNestedGroup(GROUP, TEAM);
    const members = await graph.api(`/groups/${GROUP}/members`).select('id').get();
    expect(members.value).toEqual([{ '@odata.type': '#microsoft.graph.group', id: TEAM }]);
    const direct = await graph
      .api(`/groups/${GROUP}/members`)
      .header('ConsistencyLevel', 'eventual')
      .count(true)
      .filter(`id eq '${ALICE}'`)
      .select('id')
      .get();
    expect(direct).toMatchObject({ '@odata.count': 0, value: [] });
    expect((await graph.api(`/users/${ALICE}/checkMemberGroups`).post({ groupIds: [GROUP] })).value).toEqual([GROUP]);
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
  });

  it('refuses a $filter on members without ConsistencyLevel: eventual and $count, as Graph does', async () => {
    await graph.api(`/groups/${GROUP}/members/$ref`).post(ref);
    const filtered = () => graph.api(`/groups/${GROUP}/members`).filter(`id eq '${ALICE}'`);
    const unsupported = {
      statusCode: 400,
      code: 'Request_UnsupportedQuery',
      message: 'The specified filter to the reference property query is currently not supported.',
    };
    expect(await graphFailure(filtered().get())).toEqual(unsupported);
    expect(await graphFailure(filtered().count(true).get())).toEqual(unsupported);
    expect(await graphFailure(filtered().header('ConsistencyLevel', 'eventual').get())).toEqual(unsupported);
    const found = await filtered().header('ConsistencyLevel', 'eventual').count(true).get();
    expect(found.value.map((member: { id: string }) => member.id)).toEqual([ALICE]);
  });

  it('refuses an app without GroupMember.ReadWrite.All with 403 Authorization_RequestDenied', async () => {
    const weak = await startGraphSimulator({ roles: ['User.Read.All'] });
    weak.addGroup({ id: GROUP, displayName: 'g' });
    weak.addUser({ id: ALICE, userPrincipalName: 'alice@contoso.example' });
    try {
      expect(await graphFailure(clientFor(weak).api(`/groups/${GROUP}/members/$ref`).post(ref))).toMatchObject({
        statusCode: 403,
        code: 'Authorization_RequestDenied',
      });
    } finally {
      await weak.stop();
    }
  });
});

describe('PIM for Groups', () => {
  it('grants with adminAssign: 201, status Provisioned, an active instance and the membership', async () => {
    const created = await graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT2H'));
    expect(created).toMatchObject({ status: 'Provisioned', action: 'adminAssign', principalId: ALICE, groupId: GROUP });
    expect(sim.log.at(-1)?.status).toBe(201);
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
    const instances = await graph
      .api(`${PIM}/assignmentScheduleInstances`)
      .filter(`groupId eq '${GROUP}' and principalId eq '${ALICE}'`)
      .get();
    expect(instances.value).toHaveLength(1);
    expect(Date.parse(instances.value[0].endDateTime) - Date.parse(instances.value[0].startDateTime)).toBe(120 * MINUTE);
  });

  it('refuses a second assignment with RoleAssignmentExists', async () => {
    await graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE));
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE)))).toEqual({
      statusCode: 400,
      code: 'RoleAssignmentExists',
      message: 'The Role assignment already exists.',
    });
  });

  it('refuses adminRemove within 5 minutes of the start, then revokes after it', async () => {
    await graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE));
    const remove = { accessId: 'member', principalId: ALICE, groupId: GROUP, action: 'adminRemove' };
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(remove))).toMatchObject({
      statusCode: 400,
      code: 'ActiveDurationTooShort',
    });
    sim.advance(5 * MINUTE);
    expect(await graph.api(`${PIM}/assignmentScheduleRequests`).post(remove)).toMatchObject({ status: 'Revoked' });
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(remove))).toEqual({
      statusCode: 400,
      code: 'RoleAssignmentDoesNotExist',
      message: 'The Role assignment does not exist.',
    });
  });

  it('extends an assignment with adminExtend', async () => {
    await graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H'));
    const extension = { ...assign(ALICE, 'PT3H'), action: 'adminExtend' };
    await graph.api(`${PIM}/assignmentScheduleRequests`).post(extension);
    const [instance] = sim.directory.assignments;
    expect(instance?.endDateTime).toBe(Date.parse(extension.scheduleInfo.startDateTime) + 180 * MINUTE);
  });

  it('ends the assignment by itself at its end, on the simulator clock', async () => {
    await graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT30M'));
    sim.advance(30 * MINUTE - 1000);
    expect((await graph.api(`${PIM}/assignmentScheduleInstances`).filter(`groupId eq '${GROUP}'`).get()).value).toHaveLength(1);
    sim.advance(1000);
    expect((await graph.api(`${PIM}/assignmentScheduleInstances`).filter(`groupId eq '${GROUP}'`).get()).value).toHaveLength(0);
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
  });

  it('refuses durations under 5 minutes and missing justifications by policy', async () => {
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT4M')))).toEqual({
      statusCode: 400,
      code: 'RoleAssignmentRequestPolicyValidationFailed',
      message: 'The following policy rules failed: ["ExpirationRule"]',
    });
    expect(
      await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H', { justification: '' }))),
    ).toMatchObject({
      message: 'The following policy rules failed: ["JustificationRule"]',
    });
  });

  it('validates the request the way Graph does: unknown properties and enum values are 400 BadRequest', async () => {
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H', { reason: 'x' })))).toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
      message: expect.stringContaining(
        "The property 'reason' does not exist on type 'microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest'",
      ),
    });
    expect(
      await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H', { action: 'AdminAssign' }))),
    ).toEqual({
      statusCode: 400,
      code: 'BadRequest',
      message: "Requested value 'AdminAssign' was not found.",
    });
    expect(
      await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H', { accessId: 'members' }))),
    ).toMatchObject({ code: 'BadRequest' });
    expect(await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).get())).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });

  it('lists eligibility schedules for a group and principal', async () => {
    sim.addEligibility(GROUP, ALICE);
    const filter = (principal: string) => `groupId eq '${GROUP}' and principalId eq '${principal}'`;
    expect((await graph.api(`${PIM}/eligibilitySchedules`).filter(filter(ALICE)).get()).value).toHaveLength(1);
    expect((await graph.api(`${PIM}/eligibilitySchedules`).filter(filter(GUEST)).get()).value).toEqual([]);
  });

  it('refuses self-service actions for an application token', async () => {
    expect(
      await graphFailure(graph.api(`${PIM}/assignmentScheduleRequests`).post(assign(ALICE, 'PT1H', { action: 'selfActivate' }))),
    ).toMatchObject({
      statusCode: 400,
      code: 'InvalidRoleAssignmentRequest',
    });
  });
});

describe('Graph fault injection and the request log', () => {
  it('answers 429 with Retry-After, which the SDK honours before retrying', async () => {
    sim.injectFault({ route: `POST /v1.0${PIM}/assignmentScheduleRequests`, status: 429, retryAfterSeconds: 0 });
    const created = await graph
      .api(`${PIM}/assignmentScheduleRequests`)
      .middlewareOptions([new RetryHandlerOptions(0, 1)])
      .post(assign(ALICE));
    expect(created.status).toBe('Provisioned');
    expect(sim.log.filter((entry) => entry.path.endsWith('assignmentScheduleRequests')).map((entry) => entry.status)).toEqual([429, 201]);
  });

  it('answers 503 and 504, and a lasting 403', async () => {
    sim.injectFault({ route: 'GET /v1.0/users', status: 503 });
    expect(await graphFailure(graph.api(`/users/${ALICE}`).middlewareOptions(noRetry).get())).toMatchObject({
      statusCode: 503,
      code: 'ServiceUnavailable',
    });
    sim.injectFault({ route: 'GET /v1.0/users', status: 504 });
    expect(await graphFailure(graph.api(`/users/${ALICE}`).middlewareOptions(noRetry).get())).toMatchObject({ statusCode: 504 });
    sim.injectFault({ route: /^POST \/v1\.0\/groups\//, status: 403, times: Number.POSITIVE_INFINITY });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(
        await graphFailure(graph.api(`/groups/${GROUP}/members/$ref`).post({ '@odata.id': `x/directoryObjects/${ALICE}` })),
      ).toMatchObject({
        statusCode: 403,
        code: 'Authorization_RequestDenied',
      });
    }
  });

  it('delays a route by the injected latency', async () => {
    sim.injectFault({ route: 'GET /v1.0/users', latencyMs: 250 });
    const started = Date.now();
    await graph.api(`/users/${ALICE}`).get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('logs every request with its status and calling app', async () => {
    await graph.api(`/users/${ALICE}`).get();
    expect(sim.log.at(-1)).toMatchObject({ method: 'GET', path: `/v1.0/users/${ALICE}`, status: 200, clientId: CLIENT_ID });
  });

  it('refuses a request without a token', async () => {
    const response = await fetch(`${sim.url}/v1.0/users/${ALICE}`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
  });
});
