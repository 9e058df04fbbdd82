// Every action_id and callback_id the app handles, in one place (listeners/index.ts registers each).
export const ACTION = {
  approve: 'jit_approve',
  deny: 'jit_deny',
  cancel: 'jit_cancel',
  endAccess: 'jit_end_access',
  revoke: 'jit_revoke',
  targetChanged: 'jit_target',
  requestAgain: 'jit_request_again',
  extend: 'jit_extend',
  approveExtension: 'jit_extension_approve',
  denyExtension: 'jit_extension_deny',
  acknowledgeBreakGlass: 'jit_break_glass_ack',
} as const;

/** The values of the request modal's `how` choice. */
export const HOW = {
  approvers: 'approvers',
  breakGlass: 'break_glass',
} as const;

export const VIEW = {
  request: 'jit_request',
  denyReason: 'jit_deny_reason',
  extend: 'jit_extend',
} as const;

export const INPUT = {
  target: 'target',
  reason: 'reason',
  /** The duration block's id carries the target, so Slack drops the old pick when the target changes. */
  durationPrefix: 'duration_',
  denyComment: 'comment',
  /** The PagerDuty incident, where the target asks for one. */
  incident: 'incident',
  extensionMinutes: 'extension_minutes',
  /** The request modal's choice of how to ask: the approvers, or break-glass (where the target offers it). */
  how: 'how',
  value: 'value',
} as const;
