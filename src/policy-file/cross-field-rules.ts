import { formatDuration } from '../domain/duration.js';
import { DEFAULT_SETTINGS, PIM_MIN_MINUTES } from '../domain/policy.js';
import { duration, quorumSchema } from './schema.js';

export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

const minutesAt = (value: unknown): number | undefined => {
  const parsed = duration.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

/** The policy's `settings.pending_timeout` in minutes (its default when absent), or undefined when it is not valid. */
export function pendingTimeoutOf(policy: Record<string, unknown>): number | undefined {
  const settings = policy.settings as Record<string, unknown> | undefined;
  const written = settings && typeof settings === 'object' ? settings.pending_timeout : undefined;
  return written === undefined ? DEFAULT_SETTINGS.pendingTimeoutMinutes : minutesAt(written);
}

/**
 * Rules that relate one field of a target to another, or to the policy's pending timeout. Each field is parsed
 * on its own, so these are checked (and reported with everything else) even when an unrelated field of the same
 * target is wrong.
 */
export function crossFieldProblems(raw: Record<string, unknown>, pendingTimeoutMinutes?: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const block = (raw.duration ?? {}) as Record<string, unknown>;
  const preset = minutesAt(block.default);
  const max = minutesAt(block.max);
  const choices = Array.isArray(block.choices) ? block.choices.map(minutesAt) : [];
  const named: [(string | number)[], number | undefined][] = [
    [['duration', 'default'], preset],
    [['duration', 'max'], max],
    ...choices.map((choice, index): [(string | number)[], number | undefined] => [['duration', 'choices', index], choice]),
  ];

  if (max !== undefined) {
    for (const [path, minutes] of named) {
      if (minutes !== undefined && minutes > max)
        problems.push({ path, message: `${formatDuration(minutes)} is above max (${formatDuration(max)})` });
    }
  }
  if (preset !== undefined && choices.length > 0 && choices.every((choice) => choice !== undefined) && !choices.includes(preset)) {
    problems.push({ path: ['duration', 'default'], message: `${formatDuration(preset)} must be one of the choices` });
  }
  const breakGlassMax = minutesAt((raw.break_glass as { max?: unknown } | undefined)?.max);
  if ((raw.grant as { kind?: unknown } | undefined)?.kind === 'pim_group') {
    const withBreakGlass: typeof named = [...named, [['break_glass', 'max'], breakGlassMax]];
    for (const [path, minutes] of withBreakGlass) {
      if (minutes !== undefined && minutes < PIM_MIN_MINUTES) {
        problems.push({ path, message: `${formatDuration(minutes)} is under 5m, the shortest PIM assignment Entra accepts` });
      }
    }
  }
  const autoApprove = raw.auto_approve as Record<string, unknown> | undefined;
  if (autoApprove && typeof autoApprove === 'object') {
    const autoMax = minutesAt(autoApprove.max);
    if (autoMax !== undefined && max !== undefined && autoMax > max) {
      problems.push({
        path: ['auto_approve', 'max'],
        message: `${formatDuration(autoMax)} is above duration.max (${formatDuration(max)}); no request could be that long`,
      });
    }
    const onCall = autoApprove.on_call as Record<string, unknown> | undefined;
    const listed = (key: string) => {
      const ids = onCall?.[key];
      return Array.isArray(ids) ? ids.length : 0;
    };
    if (onCall && typeof onCall === 'object' && listed('schedule_ids') + listed('escalation_policy_ids') === 0) {
      problems.push({
        path: ['auto_approve', 'on_call'],
        message: 'lists no schedule_ids and no escalation_policy_ids: nobody could ever be approved by being on call',
      });
    }
  }
  const extension = (raw.extension ?? {}) as Record<string, unknown>;
  const maxTotal = minutesAt(extension.max_total);
  if (maxTotal !== undefined && max !== undefined && maxTotal <= max) {
    problems.push({
      path: ['extension', 'max_total'],
      message: `${formatDuration(maxTotal)} leaves no room to extend a grant of duration.max (${formatDuration(max)}); make it longer than that`,
    });
  }
  problems.push(...followUpProblems(raw, pendingTimeoutMinutes));
  const quorum = quorumSchema.safeParse(raw.approvers);
  if (quorum.success && quorum.data.users.length + quorum.data.groups.length === 0) {
    problems.push({ path: ['approvers', 'users'], message: 'must list at least one approver, here or as a user group in groups' });
  } else if (quorum.success && quorum.data.groups.length === 0) {
    // How many people a user group holds is known only when Slack is asked, at each decision.
    const distinct = new Set(quorum.data.users).size;
    if (quorum.data.required > distinct) {
      problems.push({
        path: ['approvers', 'required'],
        message: `${quorum.data.required} approvals can never be reached: only ${distinct} distinct approver(s) are listed`,
      });
    }
  }
  return problems;
}

/**
 * A reminder or an escalation due no sooner than the pending timeout never happens: the request times out first.
 * (An escalation before the first reminder, or at the same time, is fine.)
 */
function followUpProblems(raw: Record<string, unknown>, pendingTimeoutMinutes: number | undefined): FieldProblem[] {
  const approvers = raw.approvers as Record<string, unknown> | undefined;
  if (!approvers || typeof approvers !== 'object' || pendingTimeoutMinutes === undefined) return [];
  const escalate = approvers.escalate as Record<string, unknown> | undefined;
  const named: [(string | number)[], number | undefined, string][] = [
    [['approvers', 'remind_after'], minutesAt(approvers.remind_after), 'nobody would ever be reminded'],
    [
      ['approvers', 'escalate', 'after'],
      minutesAt(escalate && typeof escalate === 'object' ? escalate.after : undefined),
      'no request would ever escalate',
    ],
  ];
  return named
    .filter(([, minutes]) => minutes !== undefined && minutes >= pendingTimeoutMinutes)
    .map(([path, minutes, never]) => ({
      path,
      message: `${formatDuration(minutes ?? 0)} is not before settings.pending_timeout (${formatDuration(pendingTimeoutMinutes)}): requests time out first, so ${never}`,
    }));
}
