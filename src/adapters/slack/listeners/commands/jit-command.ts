import type { App } from '@slack/bolt';
import { renderHelp, renderMyRequests } from '../../blocks/command-replies.js';
import { escapeMrkdwn } from '../../blocks/mrkdwn.js';
import { renderRequestModal } from '../../blocks/request-modal.js';
import { renderTargetRules } from '../../blocks/target-rules.js';
import { afterAcks } from '../after-acks.js';
import type { ListenerUseCases } from '../use-cases.js';

// `/jit` opens the request modal (`/jit <target-id>` preselects a target); `/jit help`, `/jit list`,
// `/jit why <target-id>` (the target's rules, as they apply to the person).
export function register(app: App, { useCases, log }: ListenerUseCases): void {
  app.command('/jit', async ({ ack, body, client }) => {
    const [word = '', ...rest] = body.text.trim().split(/\s+/);
    const subcommand = word.toLowerCase();
    if (subcommand === 'help') return ack(renderHelp());
    if (subcommand === 'list') return ack(renderMyRequests(await useCases.listRequests(body.user_id), useCases.targetOf));
    if (subcommand === 'why') return ack(renderTargetRules(await useCases.explainTarget(body.user_id, rest[0] ?? '')));

    if (subcommand && (!useCases.targetOf(word) || rest.length > 0)) return ack(renderHelp(`I don't know \`${word}\`.`));
    const { targets, selected } = useCases.requestOptions(body.user_id, subcommand ? word : undefined);
    if (!selected) {
      const named = subcommand ? useCases.targetOf(word) : undefined;
      const text = named
        ? `You may not request *${escapeMrkdwn(named.name)}*; only the people the policy lists for it may. Ask an admin if you think you should.`
        : 'You may not request any target in the policy. Ask an admin if you think you should.';
      return ack({ text, response_type: 'ephemeral' });
    }
    await ack();
    // The trigger id lives 3 seconds from the command: ample for the other acks of a burst to go first.
    await afterAcks();
    await client.views.open({ trigger_id: body.trigger_id, view: renderRequestModal(targets, selected) });
    useCases
      .warmUpIdentity(body.user_id)
      .catch((error: unknown) => log.warn({ err: error, userId: body.user_id }, 'identity warm-up failed'));
  });
}
