// The Slack approver directory's own behaviour, beyond the contract: how long it keeps answers (on the clock it is
// given), one ask for a burst, Slack's rate limit waited out, and a deadline that never holds a click for long.

import { LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_SCOPES, SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import { APPROVER_CACHE_MS, SlackApproverDirectory } from '../../../src/adapters/slack/slack-approver-directory.js';
import { APPROVER_1, APPROVER_2 } from '../../support/fixtures.js';
import { waitFor } from '../../support/wait-for.js';

const ONCALL = 'S0ONCALL01';
const T0 = Date.UTC(2026, 10, 21, 9);

let sim: SlackSimulator;
let clock: number;

const lookups = (method: string) => sim.calls.filter((call) => call.method === method).length;
const directory = (client = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } }), deadlineMs?: number) =>
  new SlackApproverDirectory(client, () => clock, deadlineMs === undefined ? {} : { groupLookupMs: deadlineMs });

beforeEach(async () => {
  clock = T0;
  sim = new SlackSimulator({ now: () => clock, scopes: [...DEFAULT_BOT_SCOPES, 'usergroups:read'] });
  sim.addUser({ id: APPROVER_1, name: 'maria' });
  sim.addUser({ id: APPROVER_2, name: 'li' });
  sim.addUserGroup({ id: ONCALL, handle: 'oncall', members: [APPROVER_1, APPROVER_2] });
  await sim.start();
});

afterEach(async () => {
  await sim.stop();
});

describe('the Slack approver directory', () => {
  it('keeps a group’s members for five minutes, then asks again and sees who left', async () => {
    const groups = directory();
    expect(await groups.membersOf(ONCALL)).toEqual({ ok: true, members: [APPROVER_1, APPROVER_2] });
    sim.setUserGroupMembers(ONCALL, [APPROVER_1]);
    clock += APPROVER_CACHE_MS - 1;
    expect(await groups.membersOf(ONCALL)).toEqual({ ok: true, members: [APPROVER_1, APPROVER_2] });
    expect(lookups('usergroups.users.list')).toBe(1);
    clock += 1;
    expect(await groups.membersOf(ONCALL)).toEqual({ ok: true, members: [APPROVER_1] });
    expect(lookups('usergroups.users.list')).toBe(2);
  });

  it('asks Slack once for a burst of clicks on the same group', async () => {
    const groups = directory();
    const answers = await Promise.all(Array.from({ length: 25 }, () => groups.membersOf(ONCALL)));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(lookups('usergroups.users.list')).toBe(1);
  });

  it('asks again after an outage, and keeps a group that cannot be read as long as any answer', async () => {
    const groups = directory();
    sim.faults.add({ route: 'usergroups.users.list', status: 503 });
    expect(await groups.membersOf(ONCALL)).toMatchObject({ ok: false, kind: 'transient' });
    expect(await groups.membersOf(ONCALL)).toMatchObject({ ok: true });
    expect(await groups.membersOf('S0NOSUCH01')).toMatchObject({ kind: 'unreadable', code: 'no_such_subteam' });
    expect(await groups.membersOf('S0NOSUCH01')).toMatchObject({ kind: 'unreadable', code: 'no_such_subteam' });
    expect(lookups('usergroups.users.list')).toBe(3);
  });

  it('says what to fix when the token lacks usergroups:read', async () => {
    sim.scopes = [...DEFAULT_BOT_SCOPES];
    expect(await directory().membersOf(ONCALL)).toEqual({
      ok: false,
      kind: 'unreadable',
      code: 'missing_scope',
      message: 'the bot’s token lacks the usergroups:read scope: add it to the Slack app and reinstall it',
    });
  });

  it('counts someone Slack does not know as gone, and keeps a person’s account for five minutes', async () => {
    const accounts = directory();
    expect(await accounts.isActive('U0NOBODY01')).toEqual({ ok: true, active: false });
    expect(await accounts.isActive(APPROVER_2)).toEqual({ ok: true, active: true });
    sim.deactivateUser(APPROVER_2);
    expect(await accounts.isActive(APPROVER_2)).toEqual({ ok: true, active: true });
    clock += APPROVER_CACHE_MS;
    expect(await accounts.isActive(APPROVER_2)).toEqual({ ok: true, active: false });
  });

  it('waits out the Tier 2 rate limit with a client that retries a 429, as the bot’s own does', async () => {
    const strict = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    for (let call = 0; call < 20; call++) await strict.usergroups.users.list({ usergroup: ONCALL });
    // The minute frees a place one second after the first 429 on the simulator's clock.
    clock += 59_000;
    const retrying = new WebClient(sim.botToken, {
      slackApiUrl: sim.apiUrl,
      retryConfig: { retries: 2, minTimeout: 10 },
      logLevel: LogLevel.ERROR,
    });
    retrying.on(WebClientEvent.RATE_LIMITED, (seconds: number) => {
      clock += seconds * 1000;
    });
    expect(await directory(retrying).membersOf(ONCALL)).toEqual({ ok: true, members: [APPROVER_1, APPROVER_2] });
    expect(sim.calls.filter((call) => call.error === 'http_429')).toHaveLength(1);
  });

  it('answers a Slack slower than its deadline as transient, and keeps the late answer for the next click', async () => {
    const groups = directory(undefined, 100);
    sim.faults.add({ route: 'usergroups.users.list', latencyMs: 400 });
    expect(await groups.membersOf(ONCALL)).toEqual({
      ok: false,
      kind: 'transient',
      message: 'Slack did not tell the members of S0ONCALL01 within 100 ms',
    });
    await waitFor(() => lookups('usergroups.users.list') === 1, 5000, 'the slow answer');
    await waitFor(async () => (await groups.membersOf(ONCALL)).ok, 5000, 'the late answer kept');
    expect(lookups('usergroups.users.list')).toBe(1);
  });
});
