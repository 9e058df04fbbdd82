// What the admins are told about a target's approvers, and how often, against the Slack simulator's DMs.

import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';
import { AdminAlarm, ALARM_REPEAT_MS, approverProblemAlarm, approverProblemsFor } from '../../../src/adapters/slack/admin-alerts.js';
import type { ApproverProblem } from '../../../src/application/ports.js';
import { createLogger } from '../../../src/logger.js';
import { ADMIN, APPROVER_2 } from '../../support/fixtures.js';

describe('the admins’ message about a target’s approvers', () => {
  it.each<[string, ApproverProblem, string, number]>([
    [
      'a group Slack cannot read, told hourly while it lasts',
      {
        kind: 'group_unreadable',
        targetId: 'prod-db',
        groupId: 'S0ONCALL01',
        code: 'no_such_subteam',
        message: 'Slack has no user group with this id',
      },
      "The policy's approver group S0ONCALL01 of target prod-db cannot be read: Slack has no user group with this id (no_such_subteam).",
      ALARM_REPEAT_MS,
    ],
    [
      'an approver who left Slack, told once',
      { kind: 'approver_departed', targetId: 'prod-db', userId: APPROVER_2 },
      `Approver ${APPROVER_2} of target prod-db has left Slack or was deactivated: the bot no longer names them or waits for them.`,
      Number.POSITIVE_INFINITY,
    ],
    [
      'a waiting request those left cannot approve, told hourly',
      { kind: 'quorum_unreachable', targetId: 'prod-db', requestId: 'req_1', available: 1, required: 2 },
      'Request req_1 for target prod-db needs 2 approvals, but only 1 approver(s) other than the requester are still in Slack.',
      ALARM_REPEAT_MS,
    ],
  ])('%s', (_case, problem, first, repeatAfterMs) => {
    const alarm = approverProblemAlarm(problem);
    expect(alarm.lines[0]).toBe(first);
    expect(alarm.repeatAfterMs).toBe(repeatAfterMs);
  });
});

describe('telling the admins', () => {
  let sim: SlackSimulator;
  let clock: number;

  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 21, 9);
    sim = new SlackSimulator({ now: () => clock });
    sim.addUser({ id: ADMIN, name: 'ada' });
    await sim.start();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('tells of an approver who left once, and of an unreadable group again an hour later', async () => {
    const client = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    const alarm = new AdminAlarm({ client, admins: () => [ADMIN], clock: { now: () => clock }, log: createLogger('silent') });
    const problems = approverProblemsFor(alarm);
    const departed: ApproverProblem = { kind: 'approver_departed', targetId: 'prod-db', userId: APPROVER_2 };
    const group: ApproverProblem = {
      kind: 'group_unreadable',
      targetId: 'prod-db',
      groupId: 'S0ONCALL01',
      code: 'missing_scope',
      message: 'no scope',
    };
    const dms = () => sim.workspace.messages.map((message) => message.text.split('\n')[0]);

    problems.report(departed);
    problems.report(group);
    problems.report(departed);
    problems.report(group);
    await sim.waitFor(() => dms().length === 2, 5000, 'two DMs');
    clock += ALARM_REPEAT_MS;
    problems.report(departed);
    problems.report(group);
    await sim.waitFor(() => dms().length === 3, 5000, 'the group told again');
    expect(dms()).toEqual([
      `Approver ${APPROVER_2} of target prod-db has left Slack or was deactivated: the bot no longer names them or waits for them.`,
      "The policy's approver group S0ONCALL01 of target prod-db cannot be read: no scope (missing_scope).",
      "The policy's approver group S0ONCALL01 of target prod-db cannot be read: no scope (missing_scope).",
    ]);
  });
});
