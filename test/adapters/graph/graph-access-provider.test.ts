import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../simulators/graph/graph-simulator.js';
import { GraphAccessProvider } from '../../../src/adapters/graph/graph-access-provider.js';
import { createGraphClient } from '../../../src/adapters/graph/graph-client.js';
import { GraphDirectory } from '../../../src/adapters/graph/graph-directory.js';
import type { GrantOrder } from '../../../src/application/ports.js';
import { CLIENT_ID, CLIENT_SECRET, startGraphSimulator, TENANT_ID } from '../../support/simulators.js';

const GROUP = 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a';
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '33333333-3333-4333-8333-333333333333';
const TEAM = '7e2d4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d';
const MINUTE = 60_000;
const PIM_GRANT = { kind: 'pim_group' as const, groupId: GROUP, requireEligibility: false };
const MEMBERSHIP = { kind: 'group_membership' as const, groupId: GROUP };

let sim: GraphSimulator;
let provider: GraphAccessProvider;
let directory: GraphDirectory;

function order(overrides: Partial<GrantOrder> = {}): GrantOrder {
  return {
    grant: PIM_GRANT,
    principalId: ALICE,
    durationMinutes: 60,
    justification: 'Investigating INC-42 (request req_1, approved by U0MANAGER1)',
    requestId: 'req_1',
    startsAt: sim.now(),
    ...overrides,
  };
}

beforeEach(async () => {
  sim = await startGraphSimulator();
  sim.addGroup({ id: GROUP, displayName: 'Production - Boundary on Azure' });
  sim.addUser({ id: ALICE, userPrincipalName: 'alice@contoso.example', mail: 'alice@contoso.example' });
  sim.addUser({ id: BOB, userPrincipalName: 'bob@contoso.example', mail: 'bob.o+jit@contoso.example' });
  const graph = graphClient(CLIENT_SECRET);
  provider = new GraphAccessProvider(graph, sim.url, () => sim.now());
  directory = new GraphDirectory(graph, () => sim.now());
});

function graphClient(clientSecret: string) {
  return createGraphClient({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret,
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    baseUrl: sim.url,
  });
}

afterEach(async () => {
  await sim.stop();
});

describe('GraphAccessProvider with PIM for Groups', () => {
  it('grants an active assignment for exactly the approved duration, with the justification and ticket', async () => {
    const result = await provider.grant(order({ durationMinutes: 90 }));
    expect(result).toEqual({ ok: true, reference: expect.any(String), alreadyPresent: false });
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
    const [assignment] = sim.directory.assignments;
    expect((assignment?.endDateTime ?? 0) - (assignment?.startDateTime ?? 0)).toBe(90 * MINUTE);
    expect(sim.log.find((entry) => entry.method === 'POST' && entry.path.endsWith('assignmentScheduleRequests'))?.body).toMatchObject({
      action: 'adminAssign',
      justification: 'Investigating INC-42 (request req_1, approved by U0MANAGER1)',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H30M' } },
      ticketInfo: { ticketSystem: 'jit-access-bot', ticketNumber: 'req_1' },
    });
  });

  it('treats RoleAssignmentExists as granted once it sees the active assignment, and names its schedule', async () => {
    await provider.grant(order());
    const [assignment] = sim.directory.assignments;
    expect(await provider.grant(order())).toEqual({ ok: true, alreadyPresent: true, reference: assignment?.assignmentScheduleId });
    expect(sim.directory.assignments).toHaveLength(1);
  });

  it('records the schedule the assignment was created from, the one its active instance names', async () => {
    const result = await provider.grant(order());
    expect(result).toMatchObject({ ok: true, reference: sim.directory.assignments[0]?.assignmentScheduleId });
    const instances = await graphClient(CLIENT_SECRET)
      .api('/identityGovernance/privilegedAccess/group/assignmentScheduleInstances')
      .filter(`groupId eq '${GROUP}' and principalId eq '${ALICE}'`)
      .get();
    expect(instances.value[0].assignmentScheduleId).toBe(result.ok ? result.reference : undefined);
  });

  it('asks to retry a removal within 5 minutes of the start, when Entra allows it', async () => {
    await provider.grant(order());
    sim.advance(2 * MINUTE);
    const early = await provider.revoke(PIM_GRANT, ALICE);
    expect(early).toMatchObject({ ok: false, kind: 'transient' });
    // Until 5 minutes after the start plus a second's margin; Graph reports whole seconds, and real time
    // passes between the grant and this call, so allow a few seconds less on a busy machine.
    const wait = early.ok === false && early.kind === 'transient' ? (early.retryAfterMs ?? 0) : 0;
    expect(wait).toBeGreaterThan(3 * MINUTE - 5000);
    expect(wait).toBeLessThanOrEqual(3 * MINUTE + 1000);
    sim.advance(3 * MINUTE);
    expect(await provider.revoke(PIM_GRANT, ALICE)).toEqual({ ok: true, alreadyAbsent: false });
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
  });

  it('counts an assignment Entra already ended as revoked', async () => {
    await provider.grant(order({ durationMinutes: 30 }));
    sim.advance(30 * MINUTE);
    expect(await provider.isPresent(PIM_GRANT, ALICE)).toEqual({ ok: true, present: false });
    expect(await provider.revoke(PIM_GRANT, ALICE)).toEqual({ ok: true, alreadyAbsent: true });
  });

  it('does not count access a person holds through a group’s PIM assignment as their own', async () => {
    sim.addGroup({ id: TEAM, displayName: 'On-call team' });
    sim.addDirectMember(TEAM, ALICE);
    sim.addStandingAssignment({ groupId: GROUP, principalId: TEAM });
    expect(await provider.isPresent(PIM_GRANT, ALICE)).toEqual({ ok: true, present: false });
    await provider.grant(order());
    expect(await provider.isPresent(PIM_GRANT, ALICE)).toEqual({ ok: true, present: true });
  });

  it('moves the end of an assignment with adminExtend, keeping its start', async () => {
    await provider.grant(order({ durationMinutes: 60 }));
    const [assignment] = sim.directory.assignments;
    const start = assignment?.startDateTime ?? 0;
    sim.advance(50 * MINUTE);
    expect(await provider.extend(PIM_GRANT, ALICE, start + 90 * MINUTE, 'More time (req_1)')).toEqual({ ok: true, alreadyAbsent: false });
    expect(sim.directory.assignments[0]).toMatchObject({ startDateTime: start, endDateTime: start + 90 * MINUTE });
    const actions = sim.log
      .filter((entry) => entry.method === 'POST' && entry.path.endsWith('assignmentScheduleRequests'))
      .map((entry) => (entry.body as { action?: string }).action);
    expect(actions).toEqual(['adminAssign', 'adminExtend']);
  });

  it('moves the end with adminUpdate where Entra refuses to extend', async () => {
    await provider.grant(order({ durationMinutes: 20 * 24 * 60 }));
    const start = sim.directory.assignments[0]?.startDateTime ?? 0;
    expect(await provider.extend(PIM_GRANT, ALICE, start + 21 * 24 * 60 * MINUTE, 'More time (req_1)')).toEqual({
      ok: true,
      alreadyAbsent: false,
    });
    expect(sim.directory.assignments[0]?.endDateTime).toBe(start + 21 * 24 * 60 * MINUTE);
    const posts = sim.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('assignmentScheduleRequests'));
    expect(posts.map((entry) => [(entry.body as { action?: string }).action, entry.status])).toEqual([
      ['adminAssign', 201],
      ['adminExtend', 400],
      ['adminUpdate', 201],
    ]);
  });

  it('counts an extension of an assignment Entra already ended as absent, and never touches direct membership', async () => {
    expect(await provider.extend(PIM_GRANT, ALICE, sim.now() + 60 * MINUTE, 'More time (req_1)')).toEqual({
      ok: true,
      alreadyAbsent: true,
    });
    expect(await provider.extend(MEMBERSHIP, ALICE, sim.now() + 60 * MINUTE, 'More time (req_1)')).toEqual({
      ok: true,
      alreadyAbsent: false,
    });
    const actions = sim.log
      .filter((entry) => entry.method === 'POST' && entry.path.endsWith('assignmentScheduleRequests'))
      .map((entry) => (entry.body as { action?: string }).action);
    expect(actions).toEqual(['adminExtend']);
  });

  it('reads PIM eligibility', async () => {
    sim.addEligibility(GROUP, ALICE);
    expect(await provider.isEligible(GROUP, ALICE)).toEqual({ ok: true, present: true });
    expect(await provider.isEligible(GROUP, BOB)).toEqual({ ok: true, present: false });
  });
});

describe('GraphAccessProvider removes only its own PIM assignment', () => {
  const removals = () =>
    sim.log.filter((entry) => entry.method === 'POST' && (entry.body as { action?: string } | undefined)?.action === 'adminRemove');

  async function grantedReference(): Promise<string> {
    const result = await provider.grant(order());
    if (!result.ok || !result.reference) throw new Error('no grant');
    sim.advance(10 * MINUTE);
    return result.reference;
  }

  it('removes the assignment when the active one is the schedule it recorded', async () => {
    const reference = await grantedReference();
    expect(await provider.revoke(PIM_GRANT, ALICE, { reference, requestId: 'req_1' })).toEqual({ ok: true, alreadyAbsent: false });
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
  });

  it('leaves a permanent assignment an admin made in place of the bot’s, and names it', async () => {
    const reference = await grantedReference();
    const [own] = sim.directory.assignments;
    if (own) sim.directory.removeAssignment(own);
    const { assignment: admins } = sim.addStandingAssignment({ groupId: GROUP, principalId: ALICE });
    expect(await provider.revoke(PIM_GRANT, ALICE, { reference, requestId: 'req_1' })).toEqual({
      ok: true,
      alreadyAbsent: false,
      heldBy: admins.assignmentScheduleId,
    });
    expect(removals()).toEqual([]);
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
  });

  it('recognises its own assignment by the ticket when the answer to the grant was lost', async () => {
    sim.loseResponseAfterWrite(/assignmentScheduleRequests/, { times: 1 });
    expect(await provider.grant(order())).toMatchObject({ ok: false });
    sim.advance(10 * MINUTE);
    expect(await provider.revoke(PIM_GRANT, ALICE, { requestId: 'req_1' })).toEqual({ ok: true, alreadyAbsent: false });
    expect(sim.isMember(GROUP, ALICE)).toBe(false);
  });

  it('does not take another request’s assignment for its own', async () => {
    sim.loseResponseAfterWrite(/assignmentScheduleRequests/, { times: 1 });
    await provider.grant(order({ requestId: 'req_other' }));
    sim.advance(10 * MINUTE);
    const result = await provider.revoke(PIM_GRANT, ALICE, { requestId: 'req_1' });
    expect(result).toMatchObject({ ok: true, heldBy: sim.directory.assignments[0]?.assignmentScheduleId });
    expect(sim.isMember(GROUP, ALICE)).toBe(true);
  });

  it('recognises a grant recorded with its schedule request id, as grants were before schedule ids were kept', async () => {
    await grantedReference();
    const [request] = sim.directory.requests;
    expect(await provider.revoke(PIM_GRANT, ALICE, { reference: request?.id ?? '', requestId: 'req_old' })).toEqual({
      ok: true,
      alreadyAbsent: false,
    });
  });

  it('sends no removal when no assignment is active', async () => {
    const reference = await grantedReference();
    sim.advance(60 * MINUTE);
    expect(await provider.revoke(PIM_GRANT, ALICE, { reference, requestId: 'req_1' })).toEqual({ ok: true, alreadyAbsent: true });
    expect(removals()).toEqual([]);
  });
});

describe('GraphAccessProvider with direct membership', () => {
  it('adds, counts a duplicate add as granted, removes, and counts a missing member as removed', async () => {
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toEqual({ ok: true, alreadyPresent: false });
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toEqual({ ok: true, alreadyPresent: true });
    expect(await provider.isPresent(MEMBERSHIP, ALICE)).toEqual({ ok: true, present: true });
    expect(await provider.revoke(MEMBERSHIP, ALICE)).toEqual({ ok: true, alreadyAbsent: false });
    expect(await provider.revoke(MEMBERSHIP, ALICE)).toEqual({ ok: true, alreadyAbsent: true });
    expect(sim.log.filter((entry) => entry.method === 'DELETE').map((entry) => entry.path)).toEqual([
      `/v1.0/groups/${GROUP}/members/${ALICE}/$ref`,
      `/v1.0/groups/${GROUP}/members/${ALICE}/$ref`,
    ]);
  });

  it('counts only a direct membership as present, never one through a nested group', async () => {
    sim.addGroup({ id: TEAM, displayName: 'On-call team' });
    sim.addDirectMember(TEAM, ALICE);
    sim.addNestedGroup(GROUP, TEAM);
    expect(await provider.isPresent(MEMBERSHIP, ALICE)).toEqual({ ok: true, present: false });
    await provider.grant(order({ grant: MEMBERSHIP }));
    expect(await provider.isPresent(MEMBERSHIP, ALICE)).toEqual({ ok: true, present: true });
    await provider.revoke(MEMBERSHIP, ALICE);
    expect(await provider.isPresent(MEMBERSHIP, ALICE)).toEqual({ ok: true, present: false });
    expect(await provider.isPresent(MEMBERSHIP, BOB)).toEqual({ ok: true, present: false });
  });

  it('reports a member that does not exist as permanent', async () => {
    expect(await provider.grant(order({ grant: MEMBERSHIP, principalId: '99999999-9999-4999-8999-999999999999' }))).toMatchObject({
      ok: false,
      kind: 'permanent',
      code: 'Request_ResourceNotFound',
    });
  });
});

describe('GraphAccessProvider failures', () => {
  it('passes on Retry-After from a 429 as a transient failure', async () => {
    sim.injectFault({ route: 'POST /v1.0/identityGovernance', status: 429, retryAfterSeconds: 7 });
    expect(await provider.grant(order())).toEqual({
      ok: false,
      kind: 'transient',
      message: 'TooManyRequests: Too many requests.',
      retryAfterMs: 7000,
    });
    expect(sim.directory.assignments).toHaveLength(0);
  });

  it('calls 503, 504 and a dropped connection transient, and a 403 permanent', async () => {
    sim.injectFault({ route: 'POST /v1.0/groups', status: 503 });
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toMatchObject({ ok: false, kind: 'transient' });
    sim.injectFault({ route: 'POST /v1.0/groups', status: 504 });
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toMatchObject({ ok: false, kind: 'transient' });
    sim.injectFault({ route: 'POST /v1.0/groups', drop: true });
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toMatchObject({ ok: false, kind: 'transient' });
    sim.injectFault({ route: 'POST /v1.0/groups', status: 403, times: Number.POSITIVE_INFINITY });
    expect(await provider.grant(order({ grant: MEMBERSHIP }))).toEqual({
      ok: false,
      kind: 'permanent',
      code: 'Authorization_RequestDenied',
      message: '403 Authorization_RequestDenied: Insufficient privileges to complete the operation.',
    });
  });

  it('gives up on a call Graph does not answer in time, as a transient failure', async () => {
    const impatient = new GraphAccessProvider(graphClient(CLIENT_SECRET), sim.url, () => sim.now(), 300);
    sim.injectFault({ route: 'POST /v1.0/groups', latencyMs: 2000 });
    const started = performance.now();
    expect(await impatient.grant(order({ grant: MEMBERSHIP }))).toMatchObject({ ok: false, kind: 'transient' });
    expect(performance.now() - started).toBeLessThan(1900);
  });

  it('calls a rejected client secret permanent, with what an admin must fix', async () => {
    const rejected = new GraphAccessProvider(graphClient('not-the-secret'), sim.url, () => sim.now());
    expect(await rejected.grant(order({ grant: MEMBERSHIP }))).toEqual({
      ok: false,
      kind: 'permanent',
      code: 'credential_rejected',
      message: "Entra refused the bot's app credential (AADSTS7000215); an admin must fix AZURE_CLIENT_ID or AZURE_CLIENT_SECRET",
    });
  });

  it('calls a policy refusal permanent, with the failed rule', async () => {
    expect(await provider.grant(order({ durationMinutes: 3 }))).toEqual({
      ok: false,
      kind: 'permanent',
      code: 'RoleAssignmentRequestPolicyValidationFailed',
      message: '400 RoleAssignmentRequestPolicyValidationFailed: The following policy rules failed: ["ExpirationRule"]',
    });
  });
});

describe('GraphDirectory', () => {
  it('finds a person by UPN, then by mail with + encoded, and caches the answer', async () => {
    expect(await directory.findUserByEmail('Alice@Contoso.example')).toEqual({
      ok: true,
      principalId: ALICE,
      userPrincipalName: 'alice@contoso.example',
      guest: false,
    });
    expect(await directory.findUserByEmail('bob.o+jit@contoso.example')).toEqual({
      ok: true,
      principalId: BOB,
      userPrincipalName: 'bob@contoso.example',
      guest: false,
    });
    const requests = sim.log.length;
    await directory.findUserByEmail('bob.o+jit@contoso.example');
    expect(sim.log.length).toBe(requests);
  });

  it('finds a guest by mail with a quote in it', async () => {
    sim.addUser({
      id: '44444444-4444-4444-8444-444444444444',
      userPrincipalName: 'oneil_partner.example#EXT#@contoso.example',
      mail: "o'neil@partner.example",
      userType: 'Guest',
    });
    expect(await directory.findUserByEmail("o'neil@partner.example")).toMatchObject({
      ok: true,
      principalId: '44444444-4444-4444-8444-444444444444',
      guest: true,
    });
  });

  it('finds every account that receives mail at an address, aliases and alternate emails included', async () => {
    sim.addUser({
      id: '99999999-9999-4999-8999-999999999991',
      userPrincipalName: 'dana@contoso.example',
      proxyAddresses: ['SMTP:dana@contoso.example', "smtp:d.o'hara@contoso.example"],
      otherMails: ['dana@home.example'],
    });
    for (const address of ["D.O'Hara@contoso.example", 'dana@home.example', 'dana@contoso.example']) {
      expect(await directory.accountsWithAddress(address)).toEqual({ ok: true, principalIds: ['99999999-9999-4999-8999-999999999991'] });
    }
    expect(await directory.findUserByEmail("d.o'hara@contoso.example")).toMatchObject({ ok: false, kind: 'not_found' });
    expect(await directory.accountsWithAddress('x%27%20or%20mail%20eq%20%27dana@contoso.example')).toEqual({ ok: true, principalIds: [] });
  });

  it('refuses an address that is not a plain email before asking Graph anything', async () => {
    const before = sim.log.length;
    for (const email of ['alice@contoso.example) or (true', 'a b@contoso.example', '"alice"@contoso.example', 'alice@', 'alice']) {
      expect(await directory.findUserByEmail(email)).toMatchObject({ ok: false, kind: 'invalid_email' });
    }
    expect(sim.log.length).toBe(before);
  });

  it('keeps an encoded quote inside the literal, so an email cannot rewrite the $filter to find someone else', async () => {
    // Unencoded, %27 would reach Graph as a quote: mail eq 'x' or mail eq 'bob.o+jit@contoso.example'.
    const crafted = 'x%27%20or%20mail%20eq%20%27bob.o+jit@contoso.example';
    expect(await directory.findUserByEmail(crafted)).toMatchObject({ ok: false, kind: 'not_found' });
  });

  it('looks a person up again once the cached answer is five minutes old (a disabled account stops resolving)', async () => {
    const carol = sim.addUser({ id: '88888888-8888-4888-8888-888888888888', userPrincipalName: 'carol@contoso.example' });
    expect(await directory.findUserByEmail('carol@contoso.example')).toMatchObject({ ok: true });
    carol.accountEnabled = false;
    sim.advance(4 * MINUTE);
    expect(await directory.findUserByEmail('carol@contoso.example')).toMatchObject({ ok: true });
    sim.advance(MINUTE + 1);
    expect(await directory.findUserByEmail('carol@contoso.example')).toMatchObject({ ok: false, kind: 'disabled' });
  });

  it('refuses unknown, ambiguous and disabled accounts with the reason', async () => {
    expect(await directory.findUserByEmail('nobody@contoso.example')).toEqual({
      ok: false,
      kind: 'not_found',
      message: 'no Entra account has the email nobody@contoso.example',
    });
    sim.addUser({ id: '55555555-5555-4555-8555-555555555555', userPrincipalName: 'twin1@contoso.example', mail: 'twin@contoso.example' });
    sim.addUser({ id: '66666666-6666-4666-8666-666666666666', userPrincipalName: 'twin2@contoso.example', mail: 'twin@contoso.example' });
    expect(await directory.findUserByEmail('twin@contoso.example')).toMatchObject({ ok: false, kind: 'ambiguous' });
    sim.addUser({ id: '77777777-7777-4777-8777-777777777777', userPrincipalName: 'gone@contoso.example', accountEnabled: false });
    expect(await directory.findUserByEmail('gone@contoso.example')).toMatchObject({ ok: false, kind: 'disabled' });
  });
});
