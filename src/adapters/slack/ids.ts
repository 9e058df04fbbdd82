// Every action_id and callback_id the app handles, in one place (listeners/index.ts registers each).
export const ACTION = {
  approve: 'jit_approve',
  deny: 'jit_deny',
  cancel: 'jit_cancel',
  endAccess: 'jit_end_access',
  revoke: 'jit_revoke',
  targetChanged: 'jit_target',
  requestAgain: 'jit_request_again',
} as const;

export const VIEW = {
  request: 'jit_request',
  denyReason: 'jit_deny_reason',
} as const;

export const INPUT = {
  target: 'target',
  reason: 'reason',
  /** The duration block's id carries the target, so Slack drops the old pick when the target changes. */
  durationPrefix: 'duration_',
  denyComment: 'comment',
  /** The PagerDuty incident, where the target asks for one. */
  incident: 'incident',
  value: 'value',
} as const;
