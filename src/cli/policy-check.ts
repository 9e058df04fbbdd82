// npm run policy:check -- policy.yml [more.yml …]
// Validates policy files the way the bot does at start; exits 1 with every problem when one is invalid,
// so a CI pipeline can review a policy change before it ships.

import { formatDuration } from '../domain/duration.js';
import { pagerDutyBlocks, targetsSharingGroups } from '../domain/policy.js';
import { formatPolicyProblem, loadPolicyFile } from '../policy-file.js';

const groupsNamed = (groups: readonly string[] | undefined) =>
  groups && groups.length > 0 ? ` and members of ${groups.length} user group(s) (${groups.join(', ')})` : '';

function main(files: string[]): number {
  if (files.length === 0) {
    process.stderr.write('usage: npm run policy:check -- <policy.yml> [more.yml …]\n');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const result = loadPolicyFile(file);
    if (!result.ok) {
      failed = true;
      for (const problem of result.problems) process.stderr.write(`${formatPolicyProblem(problem)}\n`);
      process.stderr.write(`${file}: ${result.problems.length} problem(s)\n`);
      continue;
    }
    const { targets, admins, settings } = result.policy;
    process.stdout.write(
      `${file}: ok — ${targets.length} target(s), ${admins.length} admin(s), ` +
        `pending timeout ${formatDuration(settings.pendingTimeoutMinutes)}, expiry warning ${formatDuration(settings.expiryWarningMinutes)}\n`,
    );
    for (const shared of targetsSharingGroups(result.policy)) {
      process.stdout.write(
        `  warning: ${shared.targetIds.join(', ')} grant the same group ${shared.groupId}; a person's membership stays until the last of their grants on it ends\n`,
      );
    }
    for (const target of targets) {
      const { approvers, duration, grant } = target;
      process.stdout.write(
        `  ${target.id}: ${grant.kind} ${grant.groupId}, default ${formatDuration(duration.defaultMinutes)}, max ${formatDuration(duration.maxMinutes)}, ` +
          `${approvers.required} of ${approvers.users.length} approver(s)${groupsNamed(approvers.groups)} in ${approvers.channel}` +
          (target.breakGlass
            ? `, break-glass up to ${formatDuration(target.breakGlass.maxMinutes)} alerting ${target.breakGlass.alertChannel}\n`
            : '\n'),
      );
      if (target.autoApprove) {
        const { onCall, maxMinutes } = target.autoApprove;
        const listed = (what: string, ids: readonly string[]) => (ids.length > 0 ? [`${what} ${ids.join(', ')}`] : []);
        const scope = [...listed('schedules', onCall.scheduleIds), ...listed('escalation policies', onCall.escalationPolicyIds)];
        process.stdout.write(
          `    auto-approved up to ${formatDuration(maxMinutes)} when on call in PagerDuty (${scope.join('; ')}; level ≤ ${onCall.maxLevel})\n`,
        );
      }
      const { remindAfterMinutes, escalate } = approvers;
      if (remindAfterMinutes !== undefined)
        process.stdout.write(`    reminds its approvers after ${formatDuration(remindAfterMinutes)}, then at doubling intervals\n`);
      if (escalate)
        process.stdout.write(
          `    escalates to ${escalate.users.join(', ')} after ${formatDuration(escalate.afterMinutes)} without a decision\n`,
        );
      if (target.incident) process.stdout.write(`    asks for a PagerDuty incident (${target.incident})\n`);
    }
    // The environment is not read here: whether PagerDuty is configured is checked when the bot starts.
    const needPagerDuty = targets.filter((target) => pagerDutyBlocks(target).length > 0).map((target) => target.id);
    if (needPagerDuty.length > 0) {
      process.stdout.write(`  note: ${needPagerDuty.join(', ')} uses PagerDuty: the bot starts only with PAGERDUTY_TOKEN set\n`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
