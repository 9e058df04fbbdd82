// What the people involved in a request are told about, one word per kind of news. Each transition names the
// news it makes (a notify job); the Slack notifier turns each kind into messages. Stored as text in the jobs
// table and read back through `parseNewsKind`.

export const NEWS_KINDS = [
  'requested',
  'approval_recorded',
  'approved',
  'denied',
  'cancelled',
  'timed_out',
  'granted',
  'failed',
  'end_requested',
  'ended',
  'expiring_soon',
  'drift_removed_outside',
  'drift_still_present',
  // A grant recorded on another group than its journaled call went to: ended, and the journaled group cleaned up.
  'drift_journal_mismatch',
  'revoke_failing',
  // After a failed grant whose call may have landed: what the cleanup found and removed.
  'cleaned_up',
  // After the end: the person's Boundary sign-ins and sessions ended too.
  'signed_out',
  // The ServiceNow change record: opened (its number), closed with the outcome, or failing while the bot retries.
  'change_opened',
  'change_closed',
  'change_failing',
  // Extensions of an active grant: asked (waiting for approvers), one approval of several, granted, denied, and
  // Entra refusing to move the end of its PIM assignment.
  'extension_requested',
  'extension_approval_recorded',
  'extended',
  'extension_denied',
  'extension_failed',
  // Break-glass: the access was taken at once; still not reviewed an hour later; reviewed by another approver.
  'break_glass',
  'break_glass_unreviewed',
  'break_glass_reviewed',
  // A request still waiting: its approvers reminded in the card's thread; escalate.users made approvers of it.
  'reminder',
  'escalated',
  // A notify job stored without its news: the card, the receipt and the Home tabs are brought up to date only.
  'changed',
] as const;
export type NewsKind = (typeof NEWS_KINDS)[number];

export function isNewsKind(value: string): value is NewsKind {
  return (NEWS_KINDS as readonly string[]).includes(value);
}
