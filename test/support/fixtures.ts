import {
  type AccessRequest,
  fieldsOf,
  type GrantedRequest,
  isGranted,
  openRequest,
  parseRequest,
  type RequestFields,
  type RequestIn,
  type RequestState,
  type Transition,
} from '../../src/domain/access-request.js';
import type { Policy, Target } from '../../src/domain/policy.js';

export const REQUESTER = 'U0SRE0001';
export const APPROVER_1 = 'U0MANAGER1';
export const APPROVER_2 = 'U0MANAGER2';
export const OUTSIDER = 'U0OUTSIDE1';
export const ADMIN = 'U0ADMIN01';
export const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

export function makeTarget(overrides: Partial<Target> = {}): Target {
  return {
    id: 'prod-ssh',
    name: 'Production servers (SSH)',
    grant: { kind: 'pim_group', groupId: 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a', requireEligibility: false },
    duration: { defaultMinutes: 60, maxMinutes: 240, choices: [30, 60, 120, 240] },
    approvers: { channel: 'C0APPROVALS', users: [APPROVER_1, APPROVER_2], required: 1 },
    allowGuests: false,
    ...overrides,
  };
}

/** The request REQUESTER opens at T0 for `target`, as a store's tests open one: its opening, to store with `create`. */
export function opening(id: string, target: Target = makeTarget(), overrides: { principalId?: string } = {}): Transition {
  return openRequest({
    id,
    requesterId: REQUESTER,
    ...overrides,
    target,
    reason: 'Investigating INC-42',
    durationMinutes: 60,
    pendingTimeoutMinutes: 240,
    now: T0,
  });
}

export function makePolicy(targets: Target[] = [makeTarget()]): Policy {
  return { version: 1, admins: [ADMIN], settings: { pendingTimeoutMinutes: 240, expiryWarningMinutes: 10 }, targets };
}

/** A request as it would look after reaching `state` by the usual path. */
export function requestIn<S extends RequestState>(state: S, overrides: Partial<RequestFields> = {}): RequestIn<S> {
  const base: RequestFields = {
    id: 'req_TEST',
    requesterId: REQUESTER,
    targetId: 'prod-ssh',
    reason: 'Investigating incident INC-42',
    durationMinutes: 60,
    requiredApprovals: 1,
    state: 'pending',
    version: 1,
    createdAt: T0,
    pendingUntil: T0 + 4 * 3_600_000,
    approvals: [],
  };
  const approved = { approvals: [{ approverId: APPROVER_1, at: T0 + 1000 }], decidedAt: T0 + 1000 };
  const granted = {
    ...approved,
    grant: {
      kind: 'pim_group' as const,
      groupId: 'c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a',
      principalId: '11111111-1111-1111-1111-111111111111',
    },
    grantedAt: T0 + 2000,
    endsAt: T0 + 2000 + 3_600_000,
  };
  const byState: Record<RequestState, Partial<RequestFields>> = {
    pending: {},
    approved,
    active: granted,
    ended: { ...granted, ending: { reason: 'expired', by: 'system', at: T0 + 3_602_000 }, endedAt: T0 + 3_603_000, endReason: 'expired' },
    denied: { denial: { by: APPROVER_1, at: T0 + 1000 }, decidedAt: T0 + 1000 },
    cancelled: { cancelledAt: T0 + 1000 },
    timed_out: { decidedAt: T0 + 4 * 3_600_000 },
    failed: { ...approved, failure: 'Graph refused the grant' },
  };
  // Checked as the stores check what they read: a state's required field left out fails here.
  return parseRequest({ ...base, ...byState[state], state, ...overrides }) as RequestIn<S>;
}

/** A request seen as every field any state may carry, for tests that read a field whatever the state. */
export function fields(request: AccessRequest | undefined): RequestFields | undefined {
  return request && fieldsOf(request);
}

/** An active request with its confirmed grant, typed as such. */
export function grantedIn(state: 'active' | 'ended' = 'active', overrides: Partial<RequestFields> = {}): GrantedRequest {
  const request = requestIn(state, overrides);
  if (!isGranted(request)) throw new Error(`requestIn('${state}') has no confirmed grant`);
  return request;
}

/**
 * Text a reason or a comment may hold: quotes, backslashes, line breaks, control characters, non-ASCII
 * letters, an emoji (a surrogate pair in JavaScript) and a lone surrogate.
 */
export const AWKWARD_TEXT = 'He said "don\'t" \\ C:\\path\nline two\ttab \u0001 Zürich 東京 🚀 \ud800 end';
