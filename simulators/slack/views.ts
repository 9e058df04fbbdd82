// Modals and the Home tab: trigger ids (valid 3 s, single use), views.open/push/update/publish with Slack's
// limits, the modal stack (root plus two), and state.values kept across updates as Slack keeps them
// (docs.slack.dev/reference/methods/views.open, …/views.push, …/views.update, …/views.publish).

import { randomBytes } from 'node:crypto';
import { checkView } from './block-limits.js';
import type { Messages } from './messages.js';
import { type Params, SlackApiError, type SlackHost } from './slack-host.js';
import type { SimView } from './workspace.js';

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

export class Views {
  private readonly triggers = new Map<string, Trigger>();

  constructor(
    private readonly host: SlackHost,
    private readonly messages: Messages,
    private readonly triggerTtlMs: number,
  ) {}

  /** A trigger id the simulator hands out with a slash command or a click. */
  issueTrigger(user: string): string {
    const now = this.host.now();
    const id = `${Math.floor(now / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(id, { user, issuedAt: now, used: false });
    return id;
  }

  private useTrigger(method: string, id: string): Trigger {
    const trigger = this.triggers.get(id);
    if (!trigger) {
      this.host.violate(`${method}: unknown trigger_id`);
      throw new SlackApiError('invalid_trigger_id');
    }
    if (trigger.used) {
      this.host.violate(`${method}: trigger_id used twice`);
      throw new SlackApiError('exchanged_trigger_id');
    }
    const age = this.host.now() - trigger.issuedAt;
    if (age > this.triggerTtlMs) {
      this.host.violate(`${method}: trigger_id used ${age} ms after it was issued (limit ${this.triggerTtlMs} ms)`);
      throw new SlackApiError('expired_trigger_id');
    }
    trigger.used = true;
    return trigger;
  }

  /** A view the app sent (by method or ack), checked against Slack's limits; a violation is Slack's error. */
  acceptView(method: string, raw: unknown, surface: 'modal' | 'home'): Record<string, unknown> {
    const view = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown> | undefined;
    const problems = checkView(view, surface);
    if (problems.length > 0) {
      for (const problem of problems) this.host.violate(`${method}: ${problem}`);
      throw new SlackApiError('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    }
    return view as Record<string, unknown>;
  }

  openView(params: Params, mode: 'open' | 'push'): Record<string, unknown> {
    const { workspace } = this.host;
    const method = mode === 'open' ? 'views.open' : 'views.push';
    const definition = this.acceptView(method, params.view, 'modal');
    const trigger = this.useTrigger(method, String(params.trigger_id ?? ''));
    if (mode === 'push' && !workspace.topModal(trigger.user)) throw new SlackApiError('not_found');
    if (mode === 'open') workspace.modalStacks.set(trigger.user, []);
    const view = this.pushModal(trigger.user, definition);
    this.host.onActivity?.({ kind: 'modal_opened', view });
    return { view: this.viewJson(view) };
  }

  /** Puts a modal on top of the person's stack: root plus at most two pushed views. */
  pushModal(user: string, definition: Record<string, unknown>): SimView {
    const { workspace } = this.host;
    const stack = workspace.modalStacks.get(user) ?? [];
    if (stack.length >= 3) throw new SlackApiError('push_limit_reached');
    const id = workspace.nextId('V');
    const view: SimView = {
      id,
      type: 'modal',
      user,
      hash: randomBytes(6).toString('hex'),
      definition,
      values: initialValues(definition),
      rootViewId: stack[0] ?? id,
      previousViewId: stack[stack.length - 1] ?? null,
      errors: {},
    };
    workspace.views.set(id, view);
    workspace.modalStacks.set(user, [...stack, id]);
    return view;
  }

  private findView(params: Params): SimView {
    const { workspace } = this.host;
    const byId = typeof params.view_id === 'string' ? workspace.views.get(params.view_id) : undefined;
    const byExternal =
      typeof params.external_id === 'string'
        ? [...workspace.views.values()].find((view) => view.definition.external_id === params.external_id)
        : undefined;
    const view = byId ?? byExternal;
    if (!view) throw new SlackApiError('not_found');
    return view;
  }

  updateView(params: Params): Record<string, unknown> {
    const view = this.findView(params);
    if (typeof params.hash === 'string' && params.hash !== view.hash) throw new SlackApiError('hash_conflict');
    const definition = this.acceptView('views.update', params.view, view.type);
    this.replaceDefinition(view, definition);
    this.host.onActivity?.({ kind: 'modal_updated', view });
    return { view: this.viewJson(view) };
  }

  publishView(params: Params): Record<string, unknown> {
    const { workspace } = this.host;
    const user = this.messages.requireUser(String(params.user_id ?? ''));
    const definition = this.acceptView('views.publish', params.view, 'home');
    const existing = workspace.views.get(workspace.homeViews.get(user.id) ?? '');
    if (existing && typeof params.hash === 'string' && params.hash !== existing.hash) throw new SlackApiError('hash_conflict');
    if (existing) {
      this.replaceDefinition(existing, definition);
      this.host.onActivity?.({ kind: 'home_published', view: existing });
      return { view: this.viewJson(existing) };
    }
    const id = workspace.nextId('V');
    const view: SimView = {
      id,
      type: 'home',
      user: user.id,
      hash: randomBytes(6).toString('hex'),
      definition,
      values: initialValues(definition),
      rootViewId: id,
      previousViewId: null,
      errors: {},
    };
    workspace.views.set(id, view);
    workspace.homeViews.set(user.id, id);
    this.host.onActivity?.({ kind: 'home_published', view });
    return { view: this.viewJson(view) };
  }

  /** Slack keeps what the person typed in inputs whose block and action ids survive the update. */
  replaceDefinition(view: SimView, definition: Record<string, unknown>): void {
    const fresh = initialValues(definition);
    for (const [blockId, actions] of Object.entries(view.values)) {
      for (const [actionId, value] of Object.entries(actions)) {
        const kept = fresh[blockId];
        if (kept && actionId in kept && !hasInitialValue(definition, blockId)) kept[actionId] = value;
      }
    }
    view.definition = definition;
    view.values = fresh;
    view.hash = randomBytes(6).toString('hex');
    view.errors = {};
  }

  viewJson(view: SimView): Record<string, unknown> {
    return {
      ...view.definition,
      id: view.id,
      team_id: this.host.teamId,
      type: view.type,
      state: { values: view.values },
      hash: view.hash,
      root_view_id: view.rootViewId,
      previous_view_id: view.previousViewId,
      app_id: this.host.appId,
      bot_id: this.host.botId,
      private_metadata: view.definition.private_metadata ?? '',
      callback_id: view.definition.callback_id ?? '',
    };
  }
}

function hasInitialValue(definition: Record<string, unknown>, blockId: string): boolean {
  const block = blocksOf(definition).find((candidate) => candidate.block_id === blockId);
  const element = block?.element as Record<string, unknown> | undefined;
  return element !== undefined && ('initial_value' in element || 'initial_option' in element);
}

function blocksOf(definition: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(definition.blocks) ? (definition.blocks as Record<string, unknown>[]) : [];
}

/** state.values as Slack builds it when a view opens: one entry per input, holding its initial value. */
export function initialValues(definition: Record<string, unknown>): SimView['values'] {
  const values: SimView['values'] = {};
  for (const block of blocksOf(definition)) {
    if (block.type !== 'input' || typeof block.block_id !== 'string') continue;
    const element = (block.element ?? {}) as Record<string, unknown>;
    const actionId = String(element.action_id ?? '');
    const type = String(element.type ?? '');
    const value: Record<string, unknown> = { type };
    if (type === 'plain_text_input') value.value = element.initial_value ?? null;
    if (type === 'static_select' || type === 'radio_buttons') value.selected_option = element.initial_option ?? null;
    values[block.block_id] = { [actionId]: value };
  }
  return values;
}
