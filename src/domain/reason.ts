// The reason is shown to approvers and kept in the audit trail; it must say something.
export const REASON_MIN_LENGTH = 10;
// Escaping for mrkdwn can grow a character to five (`&` → `&amp;`); 500 keeps the card's text under Slack's 3000.
export const REASON_MAX_LENGTH = 500;

export type ReasonCheck = { ok: true; reason: string } | { ok: false; code: 'reason_missing' | 'reason_too_short' | 'reason_too_long' };

export function checkReason(text: string | undefined): ReasonCheck {
  const reason = (text ?? '').trim();
  if (reason === '') return { ok: false, code: 'reason_missing' };
  if (reason.length < REASON_MIN_LENGTH) return { ok: false, code: 'reason_too_short' };
  if (reason.length > REASON_MAX_LENGTH) return { ok: false, code: 'reason_too_long' };
  return { ok: true, reason };
}
