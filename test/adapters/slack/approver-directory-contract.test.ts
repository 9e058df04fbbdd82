// One contract for the approver directory, held by the Slack adapter (over the Web API, against the strict Slack
// simulator on loopback) and by the hand-written fake alike, so the use-case tests that run on the fake say
// something true of Slack.

import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_SCOPES, SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import { SlackApproverDirectory } from '../../../src/adapters/slack/slack-approver-directory.js';
import type { ApproverDirectory } from '../../../src/application/ports.js';
import { FakeApproverDirectory } from '../../support/fake-approver-directory.js';
import { APPROVER_1, APPROVER_2, OUTSIDER } from '../../support/fixtures.js';

const ONCALL = 'S0ONCALL01';
const T0 = Date.UTC(2026, 10, 21, 9);

/** The directory, and how a test puts groups and people behind it. */
interface Subject {
  directory: ApproverDirectory;
  addGroup(groupId: string, members: string[]): void;
  deactivate(userId: string): void;
  /** The workspace moves to a plan without user groups, or the bot's token loses usergroups:read. */
  refuseGroups(problem: 'plan_upgrade_required' | 'missing_scope'): void;
  failNext(kind: 'transient' | 'permanent'): void;
  stop(): Promise<void>;
}

function inMemory(): Subject {
  const fake = new FakeApproverDirectory();
  return {
    directory: fake,
    addGroup: (groupId, members) => fake.groups.set(groupId, members),
    deactivate: (userId) => fake.departed.add(userId),
    refuseGroups: (problem) => {
      fake.problem = problem;
    },
    failNext: (kind) =>
      fake.failNext(
        kind === 'transient'
          ? { ok: false, kind: 'transient', message: 'Slack answered 503' }
          : { ok: false, kind: 'permanent', code: 'invalid_auth', message: 'Slack refused: invalid_auth' },
      ),
    stop: async () => {},
  };
}

async function overSlack(): Promise<Subject> {
  const sim = new SlackSimulator({ now: () => T0, scopes: [...DEFAULT_BOT_SCOPES, 'usergroups:read'] });
  for (const id of [APPROVER_1, APPROVER_2, OUTSIDER]) sim.addUser({ id, name: id.toLowerCase() });
  await sim.start();
  // No retries, so that each failure reaches the adapter at once.
  const client = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
  return {
    directory: new SlackApproverDirectory(client, () => T0),
    addGroup: (groupId, members) => sim.addUserGroup({ id: groupId, handle: groupId.toLowerCase(), members }),
    deactivate: (userId) => sim.deactivateUser(userId),
    refuseGroups: (problem) => {
      if (problem === 'plan_upgrade_required') sim.workspace.plan = 'free';
      else sim.scopes = [...DEFAULT_BOT_SCOPES];
    },
    // An empty route is a prefix of every method: the next call fails, whichever it is.
    failNext: (kind) =>
      sim.faults.add(kind === 'transient' ? { route: '', status: 503 } : { route: '', error: { code: 'invalid_auth', message: '' } }),
    stop: async () => {
      await sim.stop();
      expect(sim.violations).toEqual([]);
    },
  };
}

const subjects: [string, () => Subject | Promise<Subject>][] = [
  ['the in-memory fake', inMemory],
  ['Slack, through the Web API', overSlack],
];

describe.each(subjects)('the approver directory contract: %s', (_name, makeSubject) => {
  let subject: Subject | undefined;
  afterEach(async () => {
    await subject?.stop();
    subject = undefined;
  });

  async function start(): Promise<Subject> {
    subject = await makeSubject();
    return subject;
  }

  it('lists the members of a user group', async () => {
    const { directory, addGroup } = await start();
    addGroup(ONCALL, [APPROVER_1, APPROVER_2]);
    expect(await directory.membersOf(ONCALL)).toEqual({ ok: true, members: [APPROVER_1, APPROVER_2] });
  });

  it('answers an empty group with no members', async () => {
    const { directory, addGroup } = await start();
    addGroup(ONCALL, []);
    expect(await directory.membersOf(ONCALL)).toEqual({ ok: true, members: [] });
  });

  it('calls a group Slack does not have unreadable, for no_such_subteam', async () => {
    const { directory } = await start();
    expect(await directory.membersOf('S0NOSUCH01')).toMatchObject({ ok: false, kind: 'unreadable', code: 'no_such_subteam' });
  });

  it.each(['plan_upgrade_required', 'missing_scope'] as const)('calls every group unreadable for %s', async (problem) => {
    const { directory, addGroup, refuseGroups } = await start();
    addGroup(ONCALL, [APPROVER_1]);
    refuseGroups(problem);
    expect(await directory.membersOf(ONCALL)).toMatchObject({ ok: false, kind: 'unreadable', code: problem });
  });

  it('answers an outage as transient and a refusal of the bot itself as permanent, never as an empty group', async () => {
    const { directory, addGroup, failNext } = await start();
    addGroup(ONCALL, [APPROVER_1]);
    failNext('transient');
    expect(await directory.membersOf(ONCALL)).toMatchObject({ ok: false, kind: 'transient' });
    failNext('permanent');
    expect(await directory.membersOf(ONCALL)).toMatchObject({ ok: false, kind: 'permanent', code: 'invalid_auth' });
  });

  it('tells a person still in Slack from one whose account was deactivated', async () => {
    const { directory, deactivate } = await start();
    deactivate(APPROVER_2);
    expect(await directory.isActive(APPROVER_1)).toEqual({ ok: true, active: true });
    expect(await directory.isActive(APPROVER_2)).toEqual({ ok: true, active: false });
  });

  it('answers an outage while looking a person up as transient, not as gone', async () => {
    const { directory, failNext } = await start();
    failNext('transient');
    expect(await directory.isActive(APPROVER_1)).toMatchObject({ ok: false, kind: 'transient' });
  });
});
