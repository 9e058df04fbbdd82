// Every Slack listener of the app. Commands: /jit. Actions: jit_approve, jit_deny, jit_cancel,
// jit_end_access, jit_revoke, jit_target, jit_request_again, jit_extend, jit_extension_approve,
// jit_extension_deny, jit_break_glass_ack. Views: jit_request, jit_deny_reason, jit_extend. Events: app_home_opened.

import type { App } from '@slack/bolt';
import * as breakGlassActions from './actions/break-glass-actions.js';
import * as decisionActions from './actions/decision-actions.js';
import * as extensionActions from './actions/extension-actions.js';
import * as requestActions from './actions/request-actions.js';
import * as requestAgain from './actions/request-again.js';
import * as targetChanged from './actions/target-changed.js';
import * as jitCommand from './commands/jit-command.js';
import * as appHomeOpened from './events/app-home-opened.js';
import type { ListenerUseCases } from './use-cases.js';
import * as denySubmission from './views/deny-submission.js';
import * as extendSubmission from './views/extend-submission.js';
import * as requestSubmission from './views/request-submission.js';

export function registerListeners(app: App, deps: ListenerUseCases): void {
  for (const listener of [
    jitCommand,
    targetChanged,
    requestSubmission,
    decisionActions,
    denySubmission,
    requestActions,
    requestAgain,
    extensionActions,
    extendSubmission,
    appHomeOpened,
    breakGlassActions,
  ]) {
    listener.register(app, deps);
  }
}
