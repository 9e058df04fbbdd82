import type { App, BlockStaticSelectAction } from '@slack/bolt';
import { findTarget, requestableTargets } from '../../../../domain/policy.js';
import { renderRequestModal } from '../../blocks/request-modal.js';
import { ACTION } from '../../ids.js';
import type { ListenerDeps } from '../context.js';

// Picking another target in the modal swaps its description and duration choices.
export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockStaticSelectAction>(ACTION.targetChanged, async ({ ack, body, action, client }) => {
    await ack();
    const target = findTarget(deps.policy, action.selected_option.value);
    const targets = requestableTargets(deps.policy, body.user.id);
    if (!body.view || !target || !targets.includes(target)) return;
    await client.views.update({ view_id: body.view.id, hash: body.view.hash, view: renderRequestModal(targets, target) as never });
  });
}
