// At the end of a grant, once Entra confirms the membership gone, the real bot ends the person's Boundary
// sign-ins and sessions on the Boundary simulator, verifies it, and posts one checklist in the card's thread.

import { afterEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../simulators/boundary/boundary-simulator.js';
import { APPROVALS, MEMBER_GROUP, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
let boundary: BoundarySimulator | undefined;
const MINUTE = 60_000;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  await boundary?.stop();
  boundary = undefined;
  expect(violations).toEqual([]);
});

const POLICY = `version: 1
admins: [U0ADMIN01]
targets:
  - id: prod-db
    name: Production databases
    boundary: { managed_group: Production databases, target_ids: [ttcp_1234567890] }
    grant: { kind: group_membership, group_id: ${MEMBER_GROUP} }
    duration: { default: 30m, max: 2h }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1] }
`;

describe('Boundary follow-through', () => {
  it('ends the person’s Boundary sign-ins and sessions with the grant, verified, and leaves everyone else’s alone', async () => {
    boundary = await BoundarySimulator.start();
    const sam = boundary.addUser({ name: 'sam' });
    const samOidc = boundary.addAccount(sam.id, { subject: PEOPLE.requester.entra, email: 'sam@example.com' });
    const samToken = boundary.signIn(samOidc.id);
    const samSession = boundary.addSession(sam.id, { authTokenId: samToken.id });
    const other = boundary.addUser({ name: 'other' });
    const otherToken = boundary.signIn(boundary.addAccount(other.id, { subject: '99999999-9999-4999-8999-999999999999' }).id);

    world = await startWorld({ policy: POLICY, boundary });
    const person = world.slack.person(PEOPLE.requester.slack);
    await person.slash('/jit', 'prod-db');
    await person.waitForModal();
    await person.submit({ reason: 'Investigating incident INC-42 on db-1' });
    const approver = world.slack.person(PEOPLE.approver1.slack);
    const card = await world.slack.waitFor(() => approver.channel(APPROVALS)[0], 5000, 'the card');
    await approver.click('jit_approve', { message: card });
    const granted = await world.slack.waitFor(
      () => person.dms().find((message) => message.text.includes('is active until')),
      5000,
      'the granted DM',
    );
    expect(JSON.stringify(granted.blocks)).toContain(`boundary authenticate oidc -auth-method-id ${boundary.oidcAuthMethodId}`);
    expect(JSON.stringify(granted.blocks)).toContain('boundary connect -target-id ttcp_1234567890');

    await world.advance(31 * MINUTE);
    const thread = () => approver.thread(card).map((message) => JSON.stringify(message.blocks));
    await world.slack.waitFor(() => thread().some((text) => text.includes('(verified)')), 5000, 'the checklist');
    expect(thread().find((text) => text.includes('(verified)'))).toContain('Boundary: 1 sign-in revoked');
    expect(world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra)).toBe(false);
    expect(boundary.tokensOf(sam.id)).toEqual([]);
    expect(boundary.sessionStatus(samSession.id)).not.toBe('active');
    expect(boundary.tokensOf(other.id).map((token) => token.id)).toEqual([otherToken.id]);
  });
});
