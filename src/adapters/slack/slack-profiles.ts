import type { WebClient } from '@slack/web-api';
import type { EmailLookup, SlackProfiles } from '../../application/ports.js';
import { LookupCache } from '../common/lookup-cache.js';
import { classifySlackError } from './slack-errors.js';

// A guest flag or a removed email reaches the bot within a minute; a click or a submission within it asks Slack
// nothing (an approver's identity is checked before the click's ack).
export const PROFILE_CACHE_MS = 60_000;

/** The bot's own workspace and, on Enterprise Grid, its organisation: people from anywhere else are outsiders. */
interface Home {
  teamId: string;
  enterpriseId?: string;
}

interface SlackUser {
  team_id?: string;
  enterprise_user?: { enterprise_id?: string };
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_stranger?: boolean;
}

/**
 * Guests are is_restricted (multi-channel) or is_ultra_restricted (single-channel). A Slack Connect user keeps
 * their own organisation's team_id, and is_stranger only when they share no channel with the workspace, so the
 * team decides; a user of another workspace of the same Grid organisation is no outsider
 * (https://docs.slack.dev/reference/objects/user-object, https://docs.slack.dev/apis/slack-connect).
 */
export function isGuestOrOutsider(user: SlackUser, home: Home): boolean {
  if (user.is_restricted === true || user.is_ultra_restricted === true || user.is_stranger === true) return true;
  if (user.team_id === undefined || user.team_id === home.teamId) return false;
  return home.enterpriseId === undefined || user.enterprise_user?.enterprise_id !== home.enterpriseId;
}

/** A Slack user's email, from users.info (needs users:read and users:read.email). */
export class SlackUserProfiles implements SlackProfiles {
  private home: Home | undefined;
  private readonly profiles: LookupCache<EmailLookup>;

  constructor(
    private readonly client: WebClient,
    now: () => number,
  ) {
    this.profiles = new LookupCache(PROFILE_CACHE_MS, now, (found) => found.ok);
  }

  emailOf(userId: string): Promise<EmailLookup> {
    return this.profiles.get(userId, () => this.lookUp(userId));
  }

  private async lookUp(userId: string): Promise<EmailLookup> {
    try {
      const home = await this.homeTeam();
      const { user } = await this.client.users.info({ user: userId });
      const email = user?.profile?.email;
      if (!user || user.deleted || user.is_bot || !email)
        return { ok: false, kind: 'no_email', message: `Slack user ${userId} has no email in their profile` };
      return { ok: true, email, guest: isGuestOrOutsider(user, home) };
    } catch (error) {
      return classifySlackError(error);
    }
  }

  /** Asked once (auth.test); a failed ask is asked again next time. */
  private async homeTeam(): Promise<Home> {
    if (this.home) return this.home;
    const identity = await this.client.auth.test();
    if (!identity.team_id) throw new Error('auth.test named no team');
    this.home = { teamId: identity.team_id, ...(identity.enterprise_id && { enterpriseId: identity.enterprise_id }) };
    return this.home;
  }
}
