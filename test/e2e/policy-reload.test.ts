// SIGHUP reloads the policy: a valid file takes effect for waiting requests too; an invalid one keeps the policy
// in force and tells the admins by DM with the file, line and field.

import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteOf } from '../../simulators/sandbox.js';
import { APPROVALS, DEFAULT_POLICY, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

describe('reloading the policy', () => {
  it('keeps the policy in force when the new file is invalid, and tells the admins where it is wrong', async () => {
    world = await startWorld();
    writeFileSync(world.policyFile, DEFAULT_POLICY.replace('approvers: { channel', 'aprovers: { channel'));
    const outcome = await world.bot.reloadPolicy();
    expect(outcome).toMatchObject({ ok: false });
    const admin = world.slack.person('U0ADMIN01');
    const dm = await world.slack.waitFor(() => admin.dms()[0], 3000, 'the admin DM');
    expect(dm.text).toMatch(/^The policy file was not reloaded/);
    expect(dm.text).toMatch(/policy\.yml:\d+:\d+: targets\[0\]\.aprovers: unknown field "aprovers"/);
    // The old policy still works: a request reaches the approvers.
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    expect((await sam.submit({ reason: 'Investigating incident INC-42 on web-1' })).errors).toEqual({});
  });

  it('applies a valid file to a waiting request: an approver removed from the policy can no longer approve', async () => {
    world = await startWorld();
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    await sam.submit({ reason: 'Investigating incident INC-42 on web-1' });
    const card = await world.slack.waitFor(() => world?.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');

    writeFileSync(
      world.policyFile,
      DEFAULT_POLICY.replace('users: [U0MANAGER1, U0MANAGER2], required: 1', 'users: [U0MANAGER2], required: 1'),
    );
    expect(await world.bot.reloadPolicy()).toEqual({ ok: true });
    const maria = world.slack.person(PEOPLE.approver1.slack);
    await maria.click('jit_approve', { message: card });
    await world.slack.waitFor(() => maria.ephemerals().length > 0, 3000, 'the refusal');
    expect(maria.ephemerals()[0]?.text).toMatch(/^Only the approvers listed/);
    expect(sqliteOf(world.bot).prepare('SELECT state FROM requests').pluck().get()).toBe('pending');
  });
});
