// User groups (`S…`, mentioned as <!subteam^S…>) and usergroups.users.list as Slack answers it
// (docs.slack.dev/reference/methods/usergroups.users.list): `usergroup` required, `include_disabled` optional;
// `{ ok: true, users: [...] }`; `no_such_subteam` for a group the workspace does not have, `plan_upgrade_required`
// on the free plan (user groups need a paid plan). The Tier 2 rate limit is in RateLimits below.

import { type Params, SlackApiError } from './slack-host.js';
import type { Workspace } from './workspace.js';

export interface SimUserGroup {
  id: string;
  handle: string;
  /** Slack user ids, in the order they were added. */
  members: string[];
  /** A disabled group keeps its members, but lists them only to a caller that asks with include_disabled. */
  disabled?: boolean;
}

const truthy = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

export function listUserGroupMembers(workspace: Workspace, params: Params): Record<string, unknown> {
  if (workspace.plan === 'free') throw new SlackApiError('plan_upgrade_required');
  const id = params.usergroup;
  // A required argument left out: Slack's generic answer for a call it cannot read.
  if (typeof id !== 'string' || id === '') throw new SlackApiError('invalid_arguments');
  const group = workspace.userGroups.get(id);
  if (!group) throw new SlackApiError('no_such_subteam');
  // Unverified what Slack lists for a disabled group asked without include_disabled; nobody, here, which is also
  // what a disabled group means for its mentions.
  if (group.disabled && !truthy(params.include_disabled)) return { users: [] };
  return { users: [...group.members] };
}

// Calls a minute per method (docs.slack.dev/apis/web-api/rate-limits): Tier 2 is "20+ per minute". Only the
// methods listed here are limited; the others are not modelled.
const PER_MINUTE: Record<string, number> = { 'usergroups.users.list': 20 };
const WINDOW_MS = 60_000;

/**
 * Per-method limits over a sliding minute on the simulator's clock: a call over the limit is refused (not counted)
 * with how many whole seconds remain until the oldest call in the window leaves it, which Slack sends as
 * Retry-After.
 */
export class RateLimits {
  private readonly accepted = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /** Undefined when the call may go ahead (and is counted); else the seconds to wait. */
  retryAfterSeconds(method: string): number | undefined {
    const limit = PER_MINUTE[method];
    if (limit === undefined) return undefined;
    const now = this.now();
    const recent = (this.accepted.get(method) ?? []).filter((at) => at > now - WINDOW_MS);
    this.accepted.set(method, recent);
    const [oldest] = recent;
    if (recent.length >= limit && oldest !== undefined) return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
    recent.push(now);
    return undefined;
  }
}
