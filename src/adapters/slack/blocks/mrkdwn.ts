// Text that people typed goes into mrkdwn escaped, so `<!channel>`, `<@U…>` or `<https://x|label>` in a reason
// never pings anyone or renders as a link. Slack asks for exactly these three, in this order
// (api.slack.com/reference/surfaces/formatting#escaping).
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const mention = (userId: string): string => `<@${userId}>`;
/** A Slack user group, shown by its handle (docs.slack.dev/messaging/formatting-message-text#mentioning-groups). */
export const groupMention = (groupId: string): string => `<!subteam^${groupId}>`;
export const channelLink = (channelId: string): string => `<#${channelId}>`;

/** A time each viewer sees in their own time zone; the fallback is UTC for clients that cannot render it. */
export function slackDate(ms: number): string {
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/** Cuts text to Slack's limit for a field, marking the cut. */
export function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
