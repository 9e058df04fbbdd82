// A person asks for access: the cheap checks first (answered inline in the modal), then who they are in Entra
// and, where the policy demands it, whether PIM lists them as eligible — all before any approver is bothered.

import { openRequestFor } from '../domain/membership.js';
import { checkRequestedDuration, findTarget, mayRequest, type Policy, requestableTargets, type Target } from '../domain/policy.js';
import { checkReason } from '../domain/reason.js';
import type { AccessProvider, Clock, EntraDirectory, IdSource, RequestRepository, SlackProfiles } from './ports.js';
import { type RecordInput, type RecordOutcome, recordRequest } from './record-request.js';

export type FormInput = Omit<RecordInput, 'principalId'>;

export type FormCheck =
  | { ok: true; target: Target }
  | {
      ok: false;
      field: 'target' | 'reason' | 'duration';
      code: Extract<RecordOutcome, { ok: false }>['code'];
    };

/** What the modal can answer within Slack's 3 seconds: the policy and the person's own requests, no outside service. */
async function checkForm(deps: { policy: Policy; requests: RequestRepository }, input: FormInput): Promise<FormCheck> {
  const target = findTarget(deps.policy, input.targetId);
  if (!target) return { ok: false, field: 'target', code: 'unknown_target' };
  if (!mayRequest(target, input.requesterId)) return { ok: false, field: 'target', code: 'not_a_requester' };
  if (openRequestFor(await deps.requests.listByRequester(input.requesterId, 500), target.id))
    return { ok: false, field: 'target', code: 'already_open' };
  const reason = checkReason(input.reason);
  if (!reason.ok) return { ok: false, field: 'reason', code: reason.code };
  const duration = checkRequestedDuration(target, input.durationMinutes);
  if (!duration.ok) return { ok: false, field: 'duration', code: duration.code };
  if (input.breakGlass && !target.breakGlass) return { ok: false, field: 'target', code: 'break_glass_not_offered' };
  return { ok: true, target };
}

/**
 * The targets a person may pick in the modal, and the one shown picked: `targetId` if they may request it,
 * else (with no `targetId`) the first they may request.
 */
export function requestOptions(policy: Policy, userId: string, targetId?: string): { targets: Target[]; selected: Target | undefined } {
  const targets = requestableTargets(policy, userId);
  return { targets, selected: targetId === undefined ? targets[0] : targets.find((target) => target.id === targetId) };
}

export type RequestAccessOutcome =
  | RecordOutcome
  | Extract<FormCheck, { ok: false }>
  | {
      ok: false;
      code:
        | 'no_slack_email'
        | 'no_entra_account'
        | 'entra_account_ambiguous'
        | 'entra_account_disabled'
        | 'not_eligible'
        | 'email_not_usable'
        | 'guest_not_allowed'
        | 'already_held';
      message: string;
    }
  | { ok: false; code: 'lookup_failed'; message: string };

export interface RequestAccessDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  ids: IdSource;
  profiles: SlackProfiles;
  directory: EntraDirectory;
  access: AccessProvider;
}

/** Form mistakes come back at once, before any outside call, with the field they concern. */
export async function requestAccess(deps: RequestAccessDeps, input: FormInput): Promise<RequestAccessOutcome> {
  const form = await checkForm(deps, input);
  if (!form.ok) return form;
  const { target } = form;

  const email = await deps.profiles.emailOf(input.requesterId);
  if (!email.ok) {
    return email.kind === 'no_email'
      ? { ok: false, code: 'no_slack_email', message: email.message }
      : { ok: false, code: 'lookup_failed', message: email.message };
  }
  const user = await deps.directory.findUserByEmail(email.email);
  if (!user.ok) {
    if (user.kind === 'invalid_email') return { ok: false, code: 'email_not_usable', message: user.message };
    if (user.kind === 'not_found') return { ok: false, code: 'no_entra_account', message: user.message };
    if (user.kind === 'ambiguous') return { ok: false, code: 'entra_account_ambiguous', message: user.message };
    if (user.kind === 'disabled') return { ok: false, code: 'entra_account_disabled', message: user.message };
    return { ok: false, code: 'lookup_failed', message: user.message };
  }
  if ((email.guest || user.guest) && !target.allowGuests) {
    const who = email.guest ? 'a guest or external user in Slack' : `a guest account in Entra (${user.userPrincipalName})`;
    return { ok: false, code: 'guest_not_allowed', message: `${target.name} is not open to guests, and you are ${who}` };
  }
  if (target.grant.kind === 'pim_group' && target.grant.requireEligibility) {
    const eligible = await deps.access.isEligible(target.grant.groupId, user.principalId);
    if (!eligible.ok) return { ok: false, code: 'lookup_failed', message: eligible.message };
    if (!eligible.present) {
      return {
        ok: false,
        code: 'not_eligible',
        message: `${user.userPrincipalName} has no PIM eligibility for the group behind ${target.name}`,
      };
    }
  }
  // Access the person holds outside the bot is theirs: the bot neither grants it again nor ever removes it.
  const held = await deps.access.isPresent(target.grant, user.principalId);
  if (!held.ok) return { ok: false, code: 'lookup_failed', message: held.message };
  if (held.present && (await deps.requests.listCovering(target.grant.groupId, user.principalId, '')).length === 0) {
    return { ok: false, code: 'already_held', message: `${user.userPrincipalName} already has standing access to ${target.name}` };
  }
  return recordRequest(deps, { ...input, principalId: user.principalId, principalName: user.userPrincipalName, email: email.email });
}

/**
 * Looks the person up while they fill in the modal, so the adapters' caches answer at once when they submit.
 * Failures are left for the submission to report.
 */
export async function warmUpIdentity(deps: Pick<RequestAccessDeps, 'profiles' | 'directory'>, requesterId: string): Promise<void> {
  const email = await deps.profiles.emailOf(requesterId);
  if (email.ok) await deps.directory.findUserByEmail(email.email);
}
