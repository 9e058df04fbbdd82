import type { App, BlockStaticSelectAction } from '@slack/bolt';
import { renderRequestModal } from '../../blocks/request-modal.js';
import { ACTION } from '../../ids.js';
import type { ListenerUseCases } from '../use-cases.js';

// Picking another target in the modal swaps its description and duration choices.
export function register(app: App, { useCases }: ListenerUseCases): void {
  app.action<BlockStaticSelectAction>(ACTION.targetChanged, async ({ ack, body, action, client }) => {
    await ack();
    const { targets, selected } = useCases.requestOptions(body.user.id, action.selected_option.value);
    if (!body.view || !selected) return;
    await client.views.update({ view_id: body.view.id, hash: body.view.hash, view: renderRequestModal(targets, selected) });
  });
}
