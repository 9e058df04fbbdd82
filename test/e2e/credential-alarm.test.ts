// The real bot against the simulators, after the app's client secret stopped working (expired, rotated, or the
// app deleted): the admins hear of it once, with what to check, however many requests run into it.

import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, LEAST_PRIVILEGE } from '../support/simulators.js';
import { PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

let world: World | undefined;
const MINUTE = 60_000;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

async function tryToRequest(w: World, who: string): Promise<void> {
  const person = w.slack.person(who);
  await person.slash('/jit', 'prod-db');
  await person.waitForModal();
  const { errors } = await person.submit({ reason: 'Investigating incident INC-42 on db-1' });
  expect(errors.target).toMatch(/^The bot could not check your account just now/);
  await person.close();
}

describe('a rejected app credential', () => {
  it('tells the admins once an hour what to check, not once per failed call', async () => {
    world = await startWorld();
    // The secret the bot holds is no longer the app's: Entra answers AADSTS7000215 to every token request.
    world.graph.addApp({ clientId: CLIENT_ID, secret: 'a-new-secret-the-bot-does-not-have', roles: LEAST_PRIVILEGE });
    const ada = world.slack.person(PEOPLE.admin.slack);

    await tryToRequest(world, PEOPLE.requester.slack);
    const [dm] = await world.slack.waitFor(() => ada.dms().length > 0 && ada.dms(), 3000, 'the admin DM');
    expect(dm?.text).toMatch(/^Entra rejected the bot's app credential \(AADSTS7000215\): until it is fixed/);
    for (const check of ['client secret has not expired', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID) still exists'])
      expect(dm?.text).toContain(check);
    expect(dm?.text).not.toContain('sim~secret');

    await tryToRequest(world, PEOPLE.outsider.slack);
    await tryToRequest(world, PEOPLE.requester.slack);
    expect(ada.dms()).toHaveLength(1);

    await world.advance(61 * MINUTE);
    await tryToRequest(world, PEOPLE.requester.slack);
    await world.slack.waitFor(() => ada.dms().length === 2, 3000, 'the reminder an hour later');
  });
});
