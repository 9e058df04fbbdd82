import type { WebClient } from '@slack/web-api';
import type { EmailLookup, SlackProfiles } from '../../application/ports.js';
import { classifySlackError } from './slack-errors.js';

/** A Slack user's email, from users.info (needs users:read and users:read.email). */
export class SlackUserProfiles implements SlackProfiles {
  constructor(private readonly client: WebClient) {}

  async emailOf(userId: string): Promise<EmailLookup> {
    try {
      const { user } = await this.client.users.info({ user: userId });
      const email = user?.profile?.email;
      if (!user || user.deleted || user.is_bot || !email)
        return { ok: false, kind: 'no_email', message: `Slack user ${userId} has no email in their profile` };
      // Guests are is_restricted (multi-channel) or is_ultra_restricted (single-channel); a Slack Connect user
      // from another organisation is is_stranger (https://docs.slack.dev/reference/objects/user-object).
      const guest =
        user.is_restricted === true || user.is_ultra_restricted === true || (user as { is_stranger?: boolean }).is_stranger === true;
      return { ok: true, email, guest };
    } catch (error) {
      return classifySlackError(error);
    }
  }
}
