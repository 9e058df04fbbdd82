// The use cases a chat front end calls, bound once to their dependencies in the composition root. A listener
// gets this object and nothing else from the core: no repository, no clock, no provider.

import type { AccessRequest } from '../domain/access-request.js';
import { findTarget, type Target } from '../domain/policy.js';
import { explainTarget, type TargetExplanation } from '../domain/target-rules.js';
import { type AcknowledgeOutcome, acknowledgeBreakGlassAccess } from './acknowledge-break-glass.js';
import type { ChangeOutcome } from './apply-transition.js';
import { type ApproverDeps, departedApprovers, type GroupsUnavailable } from './approvers-now.js';
import { atMostAtOnce } from './at-most.js';
import { cancelRequest } from './cancel-request.js';
import { type DecideInput, type DecideOutcome, decideRequest, previewDecision } from './decide-request.js';
import { endAccess } from './end-access.js';
import {
  decideExtension,
  type ExtensionAskInput,
  type ExtensionAskOutcome,
  type ExtensionDecisionInput,
  type ExtensionForm,
  extensionForm,
  requestExtension,
} from './extend-access.js';
import {
  type FormInput,
  type RequestAccessDeps,
  type RequestAccessOutcome,
  requestAccess,
  requestOptions,
  warmUpIdentity,
} from './request-access.js';
import { type RequestAgainOutcome, requestAgain } from './request-again.js';
import { describeHomes, type HomeData, homeViewersOf, listRequests } from './request-views.js';

export type PreviewOutcome = Awaited<ReturnType<typeof previewDecision>>;

export interface RequestChoice {
  requestId: string;
  actorId: string;
}

export interface EndAccessInput extends RequestChoice {
  reason: 'released' | 'revoked';
}

/** What a person can ask of the bot, and what the bot's surfaces show them. */
export interface UseCases {
  /** The targets a person may pick in the request form, and the one shown picked (`targetId`, else the first). */
  requestOptions(userId: string, targetId?: string): { targets: Target[]; selected: Target | undefined };
  /** The target as the policy describes it now, for names and limits in replies. */
  targetOf(targetId: string): Target | undefined;
  requestAccess(form: FormInput): Promise<RequestAccessOutcome>;
  /** Looks the person up while they fill in the form, so their submission is answered in time. */
  warmUpIdentity(userId: string): Promise<void>;
  decide(input: DecideInput): Promise<DecideOutcome>;
  /** Whether a decision would be accepted, without making it (Deny asks for a reason first). */
  previewDecision(input: DecideInput): Promise<PreviewOutcome>;
  cancel(input: RequestChoice): Promise<ChangeOutcome>;
  endAccess(input: EndAccessInput): Promise<ChangeOutcome | GroupsUnavailable>;
  /** Whether the person may ask to extend this grant, and how much more the policy allows (for the Extend form). */
  extensionForm(input: RequestChoice): Promise<ExtensionForm>;
  /** The requester asks for more time on an active grant. */
  requestExtension(input: ExtensionAskInput): Promise<ExtensionAskOutcome>;
  /** An approver's Approve or Deny on a pending extension. */
  decideExtension(input: ExtensionDecisionInput): Promise<DecideOutcome>;
  /** Another approver of the target or an admin reviews a break-glass. */
  acknowledgeBreakGlass(input: RequestChoice): Promise<AcknowledgeOutcome>;
  /** A person's most recent requests, newest first. */
  listRequests(userId: string): Promise<AccessRequest[]>;
  /** What the Home tabs of these people show, reading what they share once. */
  describeHomes(userIds: readonly string[]): Promise<Map<string, HomeData>>;
  /** Whose Home tab shows this request. */
  homeViewersOf(request: AccessRequest): string[];
  /** The request form pre-filled from one of the person's requests that is over. */
  requestAgain(input: RequestChoice): Promise<RequestAgainOutcome>;
  /** What the policy says about a target, as it applies to this person (`/jit why`), its approvers still in Slack. */
  explainTarget(userId: string, targetId: string): Promise<TargetExplanation>;
}

/**
 * Binds every use case to `deps`. `changed` runs after each stored change, so the job worker writes the cards
 * and runs the grants at once rather than on its next timer.
 */
const WARM_UPS_AT_ONCE = 4;

export type UseCaseDeps = RequestAccessDeps & ApproverDeps;

export function bindUseCases(deps: UseCaseDeps, changed: () => void): UseCases {
  const afterChange = <T extends { ok: boolean }>(outcome: T): T => {
    if (outcome.ok) changed();
    return outcome;
  };
  // A burst of /jit commands (an incident) would otherwise look up every person at once, on the event loop that
  // acks the rest of the burst; a few at a time still has each done long before its modal is submitted.
  const warmUp = atMostAtOnce(WARM_UPS_AT_ONCE);
  return {
    requestOptions: (userId, targetId) => requestOptions(deps.policy, userId, targetId),
    targetOf: (targetId) => findTarget(deps.policy, targetId),
    requestAccess: async (form) => afterChange(await requestAccess(deps, form)),
    warmUpIdentity: (userId) => warmUp(() => warmUpIdentity(deps, userId)),
    decide: async (input) => afterChange(await decideRequest(deps, input)),
    previewDecision: (input) => previewDecision(deps, input),
    cancel: async (input) => afterChange(await cancelRequest(deps, input)),
    endAccess: async (input) => afterChange(await endAccess(deps, input)),
    extensionForm: (input) => extensionForm(deps, input),
    requestExtension: async (input) => afterChange(await requestExtension(deps, input)),
    decideExtension: async (input) => afterChange(await decideExtension(deps, input)),
    acknowledgeBreakGlass: async (input) => afterChange(await acknowledgeBreakGlassAccess(deps, input)),
    listRequests: (userId) => listRequests(deps, userId),
    describeHomes: (userIds) => describeHomes(deps, userIds),
    homeViewersOf: (request) => homeViewersOf(deps.policy, request),
    requestAgain: (input) => requestAgain(deps, input),
    explainTarget: async (userId, targetId) => {
      const target = findTarget(deps.policy, targetId);
      const departed = target ? await departedApprovers(deps, target) : new Set<string>();
      return explainTarget(deps.policy, targetId, userId, departed);
    },
  };
}
