import type { WebClient } from '@slack/web-api';
import type { ApproverProblem, ApproverProblems, Clock, OutsideFailure } from '../../application/ports.js';
import type { Logger } from '../../logger.js';
import { escapeMrkdwn } from './blocks/mrkdwn.js';

/** A DM to each admin of the policy (a user id is a DM channel for chat.postMessage). */
export async function alertAdmins(client: WebClient, admins: readonly string[], lines: readonly string[]): Promise<void> {
  const text = lines.map(escapeMrkdwn).join('\n');
  await Promise.all(admins.map((admin) => client.chat.postMessage({ channel: admin, text })));
}

export interface AdminAlarmDeps {
  client: WebClient;
  /** Read at each alarm, so a reloaded policy's admins are the ones told. */
  admins(): readonly string[];
  clock: Clock;
  log: Logger;
}

// A trouble that every job and every request runs into would otherwise DM the admins once per call.
export const ALARM_REPEAT_MS = 60 * 60_000;

/** Tells the admins about a trouble once, and again only if it is still there an hour later (or never again). */
export class AdminAlarm {
  private readonly lastRaised = new Map<string, number>();

  constructor(private readonly deps: AdminAlarmDeps) {}

  /**
   * `key` names the trouble; the same key within `repeatAfterMs` (an hour; Infinity: never again while the bot
   * runs) sends nothing. Never throws: a failed DM is logged.
   */
  raise(key: string, lines: readonly string[], repeatAfterMs = ALARM_REPEAT_MS): void {
    const now = this.deps.clock.now();
    const last = this.lastRaised.get(key);
    if (last !== undefined && now - last < repeatAfterMs) return;
    this.lastRaised.set(key, now);
    this.deps.log.error({ alarm: key }, lines[0] ?? key);
    alertAdmins(this.deps.client, this.deps.admins(), lines).catch((error: unknown) => {
      // Not sent, so not told: the next occurrence tries again.
      this.lastRaised.delete(key);
      this.deps.log.error({ err: error, alarm: key }, 'telling the admins failed');
    });
  }
}

/**
 * The admins' DM when Entra refuses the bot's app credential: what broke, and the three things to check. Keyed
 * by Entra's code, so a different refusal (a deleted app after an expired secret) is told at once.
 */
export function credentialRejectedAlarm(failure: Extract<OutsideFailure, { kind: 'permanent' }>): { key: string; lines: string[] } {
  const code = /AADSTS\d+/.exec(failure.message)?.[0] ?? failure.code;
  return {
    key: `${failure.code}:${code}`,
    lines: [
      `Entra rejected the bot's app credential (${code}): until it is fixed, the bot can neither grant nor remove access, and requests fail.`,
      'Check, in the app registration the bot signs in with:',
      '• the client secret has not expired or been deleted (AZURE_CLIENT_SECRET must hold the secret’s value, not its ID);',
      '• AZURE_TENANT_ID names the tenant the app is registered in;',
      '• the app (AZURE_CLIENT_ID) still exists in that tenant and has not been deleted.',
      'Then restart the bot with the corrected settings.',
    ],
  };
}

/**
 * The admins' DM when ServiceNow refuses the bot's change records for a reason of the configuration: what broke,
 * what it does to grants, and what to check. Keyed by the refusal's code, so a different one is told at once.
 */
export function changeRecordsRefusedAlarm(refusal: Extract<OutsideFailure, { kind: 'permanent' }>): { key: string; lines: string[] } {
  const check: Record<string, string> = {
    Unauthenticated:
      '• SERVICENOW_USERNAME and SERVICENOW_PASSWORD are those of the integration user, and its password has not expired or been reset;',
    Forbidden: '• the integration user has the itil role (or change_manager), which the Change Management API requires;',
    TemplateNotFound:
      '• change_record.template_id in the policy is the sys_id of an active standard change template (std_change_record_producer);',
    TemplateRefused: '• the standard change template is active and its fields satisfy the instance’s data policies;',
    Redirected: '• SERVICENOW_INSTANCE_URL is the instance itself (https://<name>.service-now.com), not a login or SSO page;',
    BadReply:
      '• SERVICENOW_INSTANCE_URL is the instance itself, and the instance is awake (a hibernating developer instance answers a web page);',
  };
  return {
    key: `servicenow:${refusal.code}`,
    lines: [
      `ServiceNow refused the bot's change records (${refusal.code}): until it is fixed, no change is opened or closed; grants of targets with change_record.required wait, and then fail.`,
      'Check:',
      check[refusal.code] ??
        '• the ServiceNow settings (SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME, SERVICENOW_PASSWORD) and the policy’s change_record blocks;',
      'The bot keeps retrying once a minute, and catches up on every change once ServiceNow accepts it.',
    ],
  };
}

/**
 * The admins' DM about a target's approvers. A group Slack cannot read and a request nobody left can approve are
 * told again hourly while they last; an approver who left Slack is told once.
 */
export function approverProblemAlarm(problem: ApproverProblem): { key: string; lines: string[]; repeatAfterMs: number } {
  switch (problem.kind) {
    case 'group_unreadable':
      return {
        key: `approver_group:${problem.targetId}:${problem.groupId}:${problem.code}`,
        repeatAfterMs: ALARM_REPEAT_MS,
        lines: [
          `The policy's approver group ${problem.groupId} of target ${problem.targetId} cannot be read: ${problem.message} (${problem.code}).`,
          "Until it is fixed it counts as empty: only the people listed in the target's approvers.users can decide its requests.",
        ],
      };
    case 'approver_departed':
      return {
        key: `approver_departed:${problem.targetId}:${problem.userId}`,
        repeatAfterMs: Number.POSITIVE_INFINITY,
        lines: [
          `Approver ${problem.userId} of target ${problem.targetId} has left Slack or was deactivated: the bot no longer names them or waits for them.`,
          "Remove them from the target's approvers.users in the policy.",
        ],
      };
    case 'quorum_unreachable':
      return {
        key: `quorum_unreachable:${problem.targetId}`,
        repeatAfterMs: ALARM_REPEAT_MS,
        lines: [
          `Request ${problem.requestId} for target ${problem.targetId} needs ${problem.required} approvals, but only ${problem.available} approver(s) other than the requester are still in Slack.`,
          'It cannot be approved until the policy names more approvers; the bot never lowers the quorum.',
        ],
      };
  }
}

/** Approver problems told to the admins through `alarm` (and logged by it). */
export function approverProblemsFor(alarm: AdminAlarm): ApproverProblems {
  return {
    report(problem) {
      const { key, lines, repeatAfterMs } = approverProblemAlarm(problem);
      alarm.raise(key, lines, repeatAfterMs);
    },
  };
}
