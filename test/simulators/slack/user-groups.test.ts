// The Slack simulator's user groups: usergroups.users.list with Slack's answers and errors, its Tier 2 rate limit
// (HTTP 429 with Retry-After), and accounts deactivated when people leave.

import { LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_SCOPES, SlackSimulator } from '../../../simulators/slack/slack-simulator.js';

const ONCALL = 'S0ONCALL01';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const T0 = Date.UTC(2026, 10, 21, 9);

let sim: SlackSimulator;
let clock: number;

/** A client that hands a refusal or a 429 straight back, so each answer is seen as Slack gave it. */
const strictClient = (token = sim.botToken) =>
  new WebClient(token, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

async function refusal(call: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    const failure = error as { code: string; data?: { error?: string; needed?: string; provided?: string }; retryAfter?: number };
    return {
      code: failure.code,
      ...(failure.data?.error !== undefined && { error: failure.data.error }),
      ...(failure.data?.needed !== undefined && { needed: failure.data.needed, provided: failure.data.provided }),
      ...(failure.retryAfter !== undefined && { retryAfter: failure.retryAfter }),
    };
  }
  throw new Error('the call succeeded');
}

beforeEach(async () => {
  clock = T0;
  sim = new SlackSimulator({ now: () => clock, scopes: [...DEFAULT_BOT_SCOPES, 'usergroups:read'] });
  sim.addUser({ id: ALICE, name: 'alice' });
  sim.addUser({ id: BOB, name: 'bob' });
  sim.addUserGroup({ id: ONCALL, handle: 'oncall', members: [ALICE, BOB] });
  await sim.start();
});

afterEach(async () => {
  await sim.stop();
});

describe('usergroups.users.list', () => {
  it('lists the members of a user group, as they are when asked', async () => {
    const bot = strictClient();
    expect(await bot.usergroups.users.list({ usergroup: ONCALL })).toMatchObject({ ok: true, users: [ALICE, BOB] });
    sim.setUserGroupMembers(ONCALL, [BOB]);
    expect((await bot.usergroups.users.list({ usergroup: ONCALL })).users).toEqual([BOB]);
  });

  it('lists a disabled group’s members only to a caller that asks with include_disabled', async () => {
    sim.addUserGroup({ id: 'S0RETIRED1', handle: 'retired', members: [ALICE], disabled: true });
    const bot = strictClient();
    expect((await bot.usergroups.users.list({ usergroup: 'S0RETIRED1' })).users).toEqual([]);
    expect((await bot.usergroups.users.list({ usergroup: 'S0RETIRED1', include_disabled: true })).users).toEqual([ALICE]);
  });

  it('answers no_such_subteam for a group the workspace does not have, and invalid_arguments without one', async () => {
    const bot = strictClient();
    expect(await refusal(bot.usergroups.users.list({ usergroup: 'S0NOSUCH01' }))).toEqual({
      code: 'slack_webapi_platform_error',
      error: 'no_such_subteam',
    });
    expect(await refusal(bot.apiCall('usergroups.users.list', {}))).toMatchObject({ error: 'invalid_arguments' });
  });

  it('answers plan_upgrade_required on the free plan, which has no user groups', async () => {
    sim.workspace.plan = 'free';
    expect(await refusal(strictClient().usergroups.users.list({ usergroup: ONCALL }))).toMatchObject({ error: 'plan_upgrade_required' });
  });

  it('answers missing_scope, naming usergroups:read, to a token without it', async () => {
    sim.scopes = [...DEFAULT_BOT_SCOPES];
    expect(await refusal(strictClient().usergroups.users.list({ usergroup: ONCALL }))).toEqual({
      code: 'slack_webapi_platform_error',
      error: 'missing_scope',
      needed: 'usergroups:read',
      provided: DEFAULT_BOT_SCOPES.join(','),
    });
  });

  it('answers invalid_auth to a token it never issued', async () => {
    expect(await refusal(strictClient('xoxb-not-ours').usergroups.users.list({ usergroup: ONCALL }))).toMatchObject({
      error: 'invalid_auth',
    });
  });
});

describe('the Tier 2 rate limit of usergroups.users.list', () => {
  it('answers 20 calls a minute, then HTTP 429 with the seconds until the oldest call leaves the minute', async () => {
    const bot = strictClient();
    for (let call = 0; call < 20; call++) {
      await bot.usergroups.users.list({ usergroup: ONCALL });
      clock += 1000;
    }
    // The first call was 20 s ago: the minute frees a place in 40 s.
    expect(await refusal(bot.usergroups.users.list({ usergroup: ONCALL }))).toEqual({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 40,
    });
    expect(sim.calls.at(-1)).toMatchObject({ method: 'usergroups.users.list', ok: false, error: 'http_429' });
    // A refused call does not count, and other methods are not held back.
    expect((await bot.users.info({ user: ALICE })).ok).toBe(true);
    clock += 40_000;
    expect((await bot.usergroups.users.list({ usergroup: ONCALL })).users).toEqual([ALICE, BOB]);
  });

  it('is waited out by a WebClient that retries rate-limited calls, as @slack/web-api does by default', async () => {
    const strict = strictClient();
    for (let call = 0; call < 20; call++) await strict.usergroups.users.list({ usergroup: ONCALL });
    // The minute frees a place within a second on the simulator's clock, once real time has moved on too.
    clock += 59_500;
    const patient = new WebClient(sim.botToken, {
      slackApiUrl: sim.apiUrl,
      retryConfig: { retries: 1, minTimeout: 10 },
      logLevel: LogLevel.ERROR,
    });
    const limited: number[] = [];
    patient.on(WebClientEvent.RATE_LIMITED, (seconds: number) => {
      limited.push(seconds);
      clock += seconds * 1000;
    });
    expect((await patient.usergroups.users.list({ usergroup: ONCALL })).users).toEqual([ALICE, BOB]);
    expect(limited).toEqual([1]);
  });
});

describe('people who leave', () => {
  it('shows a deactivated account as deleted in users.info', async () => {
    sim.deactivateUser(BOB);
    expect((await strictClient().users.info({ user: BOB })).user).toMatchObject({ id: BOB, deleted: true });
    expect((await strictClient().users.info({ user: ALICE })).user).toMatchObject({ deleted: false });
  });
});
