import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';

let sim: SlackSimulator;
let bot: WebClient;

const HOME_TEAM = 'T0SIMTEAM1';
const PARTNER_TEAM = 'T0PARTNER1';

beforeEach(async () => {
  // No app is connected: envelopes go unacked, so the ack wait is kept short.
  sim = new SlackSimulator({ teamId: HOME_TEAM, ackTimeoutMs: 50 });
  await sim.start();
  bot = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
});

afterEach(async () => {
  await sim.stop();
});

describe('guests, Slack Connect users and strangers', () => {
  it('reports a full member as neither restricted nor a stranger, on the workspace’s team', async () => {
    sim.addUser({ id: 'U0MEMBER01', name: 'sam', email: 'sam@contoso.example' });
    expect((await bot.users.info({ user: 'U0MEMBER01' })).user).toMatchObject({
      team_id: HOME_TEAM,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: false,
    });
    expect((await bot.users.info({ user: 'U0MEMBER01' })).user).not.toHaveProperty('is_stranger');
  });

  it('reports multi-channel and single-channel guests as Slack does', async () => {
    sim.workspace.addGuest({ id: 'U0GUEST001', name: 'gail', email: 'gail@contractor.example' });
    sim.workspace.addGuest({ id: 'U0GUEST002', name: 'gus', email: 'gus@contractor.example' }, { singleChannel: true });
    expect((await bot.users.info({ user: 'U0GUEST001' })).user).toMatchObject({ is_restricted: true, is_ultra_restricted: false });
    expect((await bot.users.info({ user: 'U0GUEST002' })).user).toMatchObject({ is_restricted: true, is_ultra_restricted: true });
  });

  it('reports a Slack Connect user with their own team, and a stranger as is_stranger', async () => {
    sim.workspace.addExternalUser({ id: 'W0PARTNER1', name: 'pat', email: 'pat@partner.example' }, { teamId: PARTNER_TEAM });
    sim.workspace.addExternalUser(
      { id: 'W0STRANGE1', name: 'sid', email: 'sid@partner.example' },
      { teamId: PARTNER_TEAM, stranger: true },
    );
    const partner = (await bot.users.info({ user: 'W0PARTNER1' })).user;
    expect(partner).toMatchObject({ team_id: PARTNER_TEAM, is_restricted: false });
    expect(partner).not.toHaveProperty('is_stranger');
    expect((await bot.users.info({ user: 'W0STRANGE1' })).user).toMatchObject({ team_id: PARTNER_TEAM, is_stranger: true });
  });

  it('sends an external person’s own team in the payloads of what they do', async () => {
    sim.workspace.addExternalUser({ id: 'W0PARTNER1', name: 'pat' }, { teamId: PARTNER_TEAM });
    sim.addChannel({ id: 'C0SHARED01', name: 'shared', members: ['W0PARTNER1'] });
    const posted = await bot.chat.postMessage({
      channel: 'C0SHARED01',
      text: 'card',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' } }] }],
    });
    const card = sim.workspace.findMessage('C0SHARED01', String(posted.ts));
    if (!card) throw new Error('the card was not posted');
    await sim.person('W0PARTNER1').click('go', { message: card });
    expect(sim.envelopes.at(-1)?.payload).toMatchObject({ user: { id: 'W0PARTNER1', team_id: PARTNER_TEAM } });
  });
});

describe('accounts sharing an email', () => {
  it('gives each account its own email in users.info, and lookupByEmail the first one seeded', async () => {
    sim.addUser({ id: 'U0ALICE001', name: 'alice', email: 'alice@contoso.example' });
    sim.workspace.addExternalUser({ id: 'W0ALICE002', name: 'alice-ext', email: 'Alice@Contoso.example' }, { teamId: PARTNER_TEAM });
    sim.addUser({ id: 'U0ALICE003', name: 'alice-alias', email: 'alice+jit@contoso.example' });
    expect((await bot.users.info({ user: 'W0ALICE002' })).user?.profile?.email).toBe('Alice@Contoso.example');
    expect((await bot.users.lookupByEmail({ email: 'alice@contoso.example' })).user?.id).toBe('U0ALICE001');
    expect((await bot.users.lookupByEmail({ email: 'alice+jit@contoso.example' })).user?.id).toBe('U0ALICE003');
    expect(sim.workspace.usersWithEmail('ALICE@contoso.example').map((user) => user.id)).toEqual(['U0ALICE001', 'W0ALICE002']);
  });
});
