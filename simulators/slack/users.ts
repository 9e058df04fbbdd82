// The user object users.info and users.lookupByEmail return (docs.slack.dev/reference/objects/user-object).

import type { SlackHost } from './slack-host.js';
import type { SimUser } from './workspace.js';

export function userJson(host: SlackHost, user: SimUser): Record<string, unknown> {
  const profile: Record<string, unknown> = { real_name: user.realName, display_name: user.name };
  // profile.email needs users:read.email besides users:read.
  if (user.email && host.scopes.includes('users:read.email')) profile.email = user.email;
  return {
    id: user.id,
    team_id: host.teamId,
    name: user.name,
    real_name: user.realName,
    deleted: user.deleted ?? false,
    is_bot: user.isBot ?? false,
    tz: user.tz ?? 'Europe/Amsterdam',
    profile,
  };
}
