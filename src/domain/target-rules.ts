// What `/jit why <target>` tells a person: who may approve a target (and who is reminded, or added, when they do
// not answer, or approves at once when they are on call), for how long it is granted, what else the request
// needs or opens (a PagerDuty incident, a ServiceNow change), and whether this person may ask for it at all —
// the policy's rules as they apply to them, decided here and rendered by the Slack adapter.

import { groupsOf } from './approvers.js';
import {
  durationChoices,
  type Escalation,
  type ExtensionRule,
  findTarget,
  type IncidentField,
  isApprover,
  type Policy,
  requestableTargets,
  type Target,
} from './policy.js';

/** Whether the person may ask for the target, and which rule says so. */
export type AskRule = { may: true; because: 'anyone' | 'listed' } | { may: false; because: 'not_listed' };

export interface TargetRules {
  known: true;
  target: Target;
  approvers: { channel: string; users: readonly string[]; groups: readonly string[]; required: number };
  /** The person is one of the approvers, yet nobody approves their own request. */
  asksAsApprover: boolean;
  durations: { defaultMinutes: number; maxMinutes: number; offered: number[] };
  /** For PIM targets: whether PIM must list the person as eligible first; undefined for direct membership. */
  requireEligibility: boolean | undefined;
  pendingTimeoutMinutes: number;
  ask: AskRule;
  guestsAllowed: boolean;
  extension?: ExtensionRule;
  breakGlass?: NonNullable<Target['breakGlass']>;
  /** While a request waits: its approvers reminded after this long, then at doubling intervals. */
  remindAfterMinutes?: number;
  /** While a request waits this long undecided, these people become its approvers too. */
  escalate?: Escalation;
  /** A request of at most this long from someone on call now (PagerDuty) is approved at once. */
  onCallApprovalMaxMinutes?: number;
  /** Whether the request form asks for a PagerDuty incident, and whether it may be left empty. */
  incident?: IncidentField;
  /** Each grant is a ServiceNow change; `required`: the grant waits until the change exists. */
  changeRecord?: { required: boolean };
}

export interface UnknownTarget {
  known: false;
  /** What the person typed after `why` (empty when nothing). */
  asked: string;
  /** The targets they may ask for instead. */
  requestable: Target[];
}

export type TargetExplanation = TargetRules | UnknownTarget;

function askRule(target: Target, userId: string): AskRule {
  if (target.requesters === undefined) return { may: true, because: 'anyone' };
  return target.requesters.users.includes(userId) ? { may: true, because: 'listed' } : { may: false, because: 'not_listed' };
}

/** `departed`: listed approvers who left Slack, left out of who may approve. */
export function explainTarget(
  policy: Policy,
  targetId: string,
  userId: string,
  departed: ReadonlySet<string> = new Set(),
): TargetExplanation {
  const target = findTarget(policy, targetId);
  if (!target) return { known: false, asked: targetId, requestable: requestableTargets(policy, userId) };
  return {
    known: true,
    target,
    approvers: {
      channel: target.approvers.channel,
      users: target.approvers.users.filter((user) => !departed.has(user)),
      groups: groupsOf(target),
      required: target.approvers.required,
    },
    asksAsApprover: isApprover(target, userId),
    durations: { defaultMinutes: target.duration.defaultMinutes, maxMinutes: target.duration.maxMinutes, offered: durationChoices(target) },
    requireEligibility: target.grant.kind === 'pim_group' ? target.grant.requireEligibility : undefined,
    pendingTimeoutMinutes: policy.settings.pendingTimeoutMinutes,
    ask: askRule(target, userId),
    guestsAllowed: target.allowGuests,
    ...(target.extension && { extension: target.extension }),
    ...(target.breakGlass && { breakGlass: target.breakGlass }),
    ...(target.approvers.remindAfterMinutes !== undefined && { remindAfterMinutes: target.approvers.remindAfterMinutes }),
    ...(target.approvers.escalate && { escalate: target.approvers.escalate }),
    ...(target.autoApprove && { onCallApprovalMaxMinutes: target.autoApprove.maxMinutes }),
    ...(target.incident && { incident: target.incident }),
    ...(target.changeRecord && { changeRecord: { required: target.changeRecord.required } }),
  };
}
