// The user object users.info and users.lookupByEmail return (docs.slack.dev/reference/objects/user-object).
// A Slack Connect user carries their own team's id; `is_stranger` appears only for strangers.

import type { SlackHost } from './slack-host.js';
import type { SimUser } from './workspace.js';

export function userJson(host: SlackHost, user: SimUser): Record<string, unknown> {
  const profile: Record<string, unknown> = { real_name: user.realName, display_name: user.name };
  // profile.email needs users:read.email besides users:read.
  if (user.email && host.scopes.includes('users:read.email')) profile.email = user.email;
  const teamId = user.teamId ?? host.teamId;
  profile.team = teamId;
  return {
    id: user.id,
    team_id: teamId,
    name: user.name,
    real_name: user.realName,
    deleted: user.deleted ?? false,
    is_bot: user.isBot ?? false,
    is_app_user: false,
    is_admin: false,
    is_owner: false,
    is_restricted: user.isRestricted ?? false,
    is_ultra_restricted: user.isUltraRestricted ?? false,
    ...(user.isStranger && { is_stranger: true }),
    tz: user.tz ?? 'Europe/Amsterdam',
    profile,
  };
}
