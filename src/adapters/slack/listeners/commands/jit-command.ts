import type { App } from '@slack/bolt';
import { requestOptions, warmUpIdentity } from '../../../../application/request-access.js';
import { findTarget } from '../../../../domain/policy.js';
import { renderHelp, renderMyRequests } from '../../blocks/command-replies.js';
import { renderRequestModal } from '../../blocks/request-modal.js';
import type { ListenerDeps } from '../context.js';

// `/jit` opens the request modal (`/jit <target-id>` preselects a target); `/jit help`, `/jit list`.
export function register(app: App, deps: ListenerDeps): void {
  app.command('/jit', async ({ ack, body, client }) => {
    const [word = '', ...rest] = body.text.trim().split(/\s+/);
    const subcommand = word.toLowerCase();
    if (subcommand === 'help') return ack(renderHelp());
    if (subcommand === 'list') return ack(renderMyRequests(deps.requests.listByRequester(body.user_id, 20), deps.policy));

    if (subcommand && (!findTarget(deps.policy, word) || rest.length > 0)) return ack(renderHelp(`I don't know \`${word}\`.`));
    const { targets, selected } = requestOptions(deps.policy, body.user_id, subcommand ? word : undefined);
    if (!selected) {
      return ack({
        text: 'You may not request any target in the policy. Ask an admin if you think you should.',
        response_type: 'ephemeral',
      });
    }
    await ack();
    // The trigger id lives 3 seconds from the command; open the modal before anything else.
    await client.views.open({ trigger_id: body.trigger_id, view: renderRequestModal(targets, selected) });
    warmUpIdentity(deps, body.user_id).catch((error: unknown) =>
      deps.log.warn({ err: error, userId: body.user_id }, 'identity warm-up failed'),
    );
  });
}
