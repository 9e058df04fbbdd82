// A person asks for access: the cheap checks first (answered inline in the modal), then who they are in Entra
// and, where the policy demands it, whether PIM lists them as eligible, and the PagerDuty incident they named —
// all before any approver is bothered.

import type { IncidentRef } from '../domain/access-request.js';
import { openRequestFor } from '../domain/membership.js';
import { checkRequestedDuration, findTarget, mayRequest, type Policy, requestableTargets, type Target } from '../domain/policy.js';
import { checkReason } from '../domain/reason.js';
import type { AccessProvider, Clock, EntraDirectory, IdSource, IncidentLookup, RequestRepository, SlackProfiles } from './ports.js';
import { type RecordInput, type RecordOutcome, recordRequest } from './record-request.js';

export type FormInput = Omit<RecordInput, 'principalId' | 'incident'> & {
  /** The PagerDuty incident as typed: its id or number; empty or absent when none was given. */
  incident?: string | undefined;
};

export type FormCheck =
  | { ok: true; target: Target }
  | {
      ok: false;
      field: 'target' | 'reason' | 'duration';
      code: Extract<RecordOutcome, { ok: false }>['code'];
    }
  | { ok: false; field: 'incident'; code: 'incident_missing' };

/**
 * Why the incident named in the form was refused, on its field: none given where one is required, no such
 * incident (or not an id or number), resolved, or PagerDuty did not answer (`optional`: the field may be left
 * empty to ask without it).
 */
export type IncidentRefusal =
  | { ok: false; field: 'incident'; code: 'incident_missing' | 'incident_not_found' }
  | { ok: false; field: 'incident'; code: 'incident_resolved'; number: number }
  | { ok: false; field: 'incident'; code: 'incident_unchecked'; optional: boolean; message: string };

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
  if (target.incident === 'required' && !input.incident?.trim()) return { ok: false, field: 'incident', code: 'incident_missing' };
  if (input.breakGlass && !target.breakGlass) return { ok: false, field: 'target', code: 'break_glass_not_offered' };
  return { ok: true, target };
}

/**
 * The incident named in the form, as PagerDuty describes it now: it must exist and not be resolved. A lookup
 * that fails or runs out of time is refused too, required or not: an incident nobody could check never reaches
 * the card, Entra or the audit trail as if it were confirmed, and an optional one can be left out to ask at once.
 */
async function findOpenIncident(
  incidents: IncidentLookup | undefined,
  target: Target,
  typed: string | undefined,
): Promise<{ ok: true; incident?: IncidentRef } | IncidentRefusal> {
  const reference = typed?.trim() ?? '';
  if (!target.incident || reference === '') return { ok: true };
  if (!incidents) {
    return { ok: false, field: 'incident', code: 'incident_unchecked', optional: true, message: 'PagerDuty is not configured' };
  }
  const found = await incidents.findIncident(reference);
  if (!found.ok) {
    if (found.kind === 'not_found' || found.kind === 'invalid_reference')
      return { ok: false, field: 'incident', code: 'incident_not_found' };
    return { ok: false, field: 'incident', code: 'incident_unchecked', optional: target.incident === 'optional', message: found.message };
  }
  const { id, number, title, status } = found.incident;
  if (status === 'resolved') return { ok: false, field: 'incident', code: 'incident_resolved', number };
  return { ok: true, incident: { id, number, title } };
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
  | { ok: false; code: 'lookup_failed'; message: string }
  | IncidentRefusal;

export interface RequestAccessDeps {
  requests: RequestRepository;
  policy: Policy;
  clock: Clock;
  ids: IdSource;
  profiles: SlackProfiles;
  directory: EntraDirectory;
  access: AccessProvider;
  /**
   * Absent without PAGERDUTY_TOKEN. Its deadline must leave the listener time to answer inline within Slack's
   * 3 seconds (the composition gives it a shorter one than the on-call check's).
   */
  incidents?: IncidentLookup;
}

type Identity = { ok: true; principalId: string; principalName: string; email: string };

/**
 * Form mistakes come back at once, before any outside call, with the field they concern. The incident is looked
 * up while the person is found in Entra, and its refusal comes first: it is the one the form can show on a field.
 */
export async function requestAccess(deps: RequestAccessDeps, input: FormInput): Promise<RequestAccessOutcome> {
  const form = await checkForm(deps, input);
  if (!form.ok) return form;
  const { target } = form;
  const [incident, identity] = await Promise.all([findOpenIncident(deps.incidents, target, input.incident), identify(deps, target, input)]);
  if (!incident.ok) return incident;
  if (!identity.ok) return identity;
  const { incident: _typed, ...fields } = input;
  return recordRequest(deps, {
    ...fields,
    principalId: identity.principalId,
    principalName: identity.principalName,
    email: identity.email,
    ...(incident.incident && { incident: incident.incident }),
  });
}

/** Who the person is in Entra, and whether they may have this target's access through the bot. */
async function identify(
  deps: RequestAccessDeps,
  target: Target,
  input: FormInput,
): Promise<Identity | Exclude<RequestAccessOutcome, { ok: true } | IncidentRefusal | RecordOutcome>> {
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
  return { ok: true, principalId: user.principalId, principalName: user.userPrincipalName, email: email.email };
}

/**
 * Looks the person up while they fill in the modal, so the adapters' caches answer at once when they submit.
 * Failures are left for the submission to report.
 */
export async function warmUpIdentity(deps: Pick<RequestAccessDeps, 'profiles' | 'directory'>, requesterId: string): Promise<void> {
  const email = await deps.profiles.emailOf(requesterId);
  if (email.ok) await deps.directory.findUserByEmail(email.email);
}
