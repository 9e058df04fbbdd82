// A person in the simulated workspace, for tests and the demo: types slash commands, fills and submits the
// open modal, clicks buttons on the latest version of a message or view, opens the Home tab, and reads what
// they can see.

import type { ResponseUrlTarget } from './response-urls.js';
import { SlackApiError } from './slack-host.js';
import type { AckResult, Envelope } from './socket-mode.js';
import type { SimEphemeral, SimMessage, SimView, Workspace } from './workspace.js';

type Json = Record<string, unknown>;

export interface SubmitResult {
  ack: AckResult;
  /** Inline errors Slack would show under the inputs, keyed by block_id. */
  errors: Record<string, string>;
}

/**
 * Where a button is: a message (as it is now, or as an earlier version a slow client still shows), the
 * person's top modal, or their Home tab.
 */
export type Surface = { message: SimMessage; version?: number } | 'modal' | 'home';

/** What a person's Slack client needs of the simulator: the workspace, the link to the app, and the checks. */
export interface PersonStage {
  readonly workspace: Workspace;
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  deliver(type: Envelope['type'], payload: Json, acceptsResponsePayload: boolean): Promise<AckResult>;
  issueTrigger(user: string): string;
  issueResponseUrl(target: ResponseUrlTarget): string;
  acceptView(method: string, raw: unknown, surface: 'modal' | 'home'): Json;
  pushModal(user: string, definition: Json): SimView;
  replaceDefinition(view: SimView, definition: Json): void;
  viewJson(view: SimView): Json;
  messageJson(message: SimMessage): Json;
  violate(problem: string): void;
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
}

export class Person {
  constructor(
    private readonly sim: PersonStage,
    readonly id: string,
  ) {}

  private get user() {
    const user = this.sim.workspace.users.get(this.id);
    if (!user) throw new Error(`no user ${this.id} in the simulated workspace`);
    return user;
  }

  private userJson(): Json {
    return { id: this.id, username: this.user.name, name: this.user.name, team_id: this.user.teamId ?? this.sim.teamId };
  }

  /** Runs a slash command, e.g. `slash('/jit', 'list')`; returns the ack (Bolt's `ack()` payload, if any). */
  async slash(command: string, text = '', channelId?: string): Promise<AckResult> {
    const channel = channelId ?? this.sim.workspace.imWith(this.id).id;
    const ack = await this.sim.deliver(
      'slash_commands',
      {
        token: 'deprecated-verification-token',
        team_id: this.sim.teamId,
        team_domain: 'simulated',
        channel_id: channel,
        channel_name: this.sim.workspace.channels.get(channel)?.name ?? 'directmessage',
        user_id: this.id,
        user_name: this.user.name,
        command,
        text,
        api_app_id: this.sim.appId,
        is_enterprise_install: 'false',
        response_url: this.sim.issueResponseUrl({ user: this.id, channel, uses: 0 }),
        trigger_id: this.sim.issueTrigger(this.id),
      },
      true,
    );
    // Text in the ack of a slash command is shown to the person only.
    const reply = ack.payload;
    if (reply && (typeof reply.text === 'string' || Array.isArray(reply.blocks))) {
      this.sim.workspace.ephemerals.push({
        channel,
        user: this.id,
        ts: this.sim.workspace.nextTs(),
        text: String(reply.text ?? ''),
        blocks: Array.isArray(reply.blocks) ? reply.blocks : [],
      });
    }
    return ack;
  }

  /** The modal on top of this person's stack. */
  get modal(): SimView | undefined {
    return this.sim.workspace.topModal(this.id);
  }

  async waitForModal(timeoutMs = 3000): Promise<SimView> {
    return this.sim.waitFor(() => this.modal, timeoutMs, `a modal for ${this.id}`);
  }

  /**
   * Types into or picks in an input of the top modal. A select is given by option value. When the element has
   * `dispatch_action`, Slack tells the app at once (block_actions), as it would.
   */
  async fill(blockId: string, value: string): Promise<void> {
    const view = this.requireModal();
    const block = blocks(view.definition).find((candidate) => candidate.block_id === blockId && candidate.type === 'input');
    if (!block) throw new Error(`the modal has no input block "${blockId}"`);
    const element = (block.element ?? {}) as Json;
    const actionId = String(element.action_id ?? '');
    const state: Json = { type: element.type };
    if (element.type === 'plain_text_input') state.value = value;
    else {
      const option = (Array.isArray(element.options) ? (element.options as Json[]) : []).find((candidate) => candidate.value === value);
      if (!option) throw new Error(`"${value}" is not an option of ${blockId}`);
      state.selected_option = option;
    }
    view.values[blockId] = { [actionId]: state };
    if (block.dispatch_action === true) {
      await this.sim.deliver(
        'interactive',
        {
          type: 'block_actions',
          user: this.userJson(),
          api_app_id: this.sim.appId,
          token: 'deprecated-verification-token',
          container: { type: 'view', view_id: view.id },
          trigger_id: this.sim.issueTrigger(this.id),
          team: { id: this.sim.teamId, domain: 'simulated' },
          is_enterprise_install: false,
          view: this.sim.viewJson(view),
          actions: [{ ...state, action_id: actionId, block_id: blockId, action_ts: this.sim.workspace.nextTs() }],
        },
        false,
      );
    }
  }

  /** Submits the top modal, after filling `values` (block_id → text or option value). */
  async submit(values: Record<string, string> = {}): Promise<SubmitResult> {
    for (const [blockId, value] of Object.entries(values)) await this.fill(blockId, value);
    const view = this.requireModal();
    const ack = await this.sim.deliver(
      'interactive',
      {
        type: 'view_submission',
        team: { id: this.sim.teamId, domain: 'simulated' },
        user: this.userJson(),
        api_app_id: this.sim.appId,
        token: 'deprecated-verification-token',
        trigger_id: this.sim.issueTrigger(this.id),
        view: this.sim.viewJson(view),
        response_urls: [],
        is_enterprise_install: false,
      },
      true,
    );
    return { ack, errors: ack.acked ? this.applySubmissionAck(view, ack.payload ?? {}) : {} };
  }

  /** Closes the top modal with its Cancel button; the app hears of it when the view asked to be notified. */
  async close(): Promise<void> {
    const view = this.requireModal();
    this.popModal();
    if (view.definition.notify_on_close === true) {
      await this.sim.deliver(
        'interactive',
        {
          type: 'view_closed',
          team: { id: this.sim.teamId },
          user: this.userJson(),
          api_app_id: this.sim.appId,
          view: this.sim.viewJson(view),
          is_cleared: false,
        },
        false,
      );
    }
  }

  private applySubmissionAck(view: SimView, payload: Json): Record<string, string> {
    const action = payload.response_action;
    if (action === undefined) {
      this.popModal();
      return {};
    }
    if (action === 'errors') {
      const errors = (payload.errors ?? {}) as Record<string, string>;
      const inputs = new Set(
        blocks(view.definition)
          .filter((block) => block.type === 'input')
          .map((block) => block.block_id),
      );
      for (const key of Object.keys(errors)) {
        if (!inputs.has(key)) this.sim.violate(`view_submission ack: errors key "${key}" is not the block_id of an input`);
      }
      view.errors = errors;
      return errors;
    }
    if (action === 'clear') {
      this.sim.workspace.modalStacks.set(this.id, []);
      return {};
    }
    if (action === 'update' || action === 'push') {
      try {
        const definition = this.sim.acceptView(`view_submission ack (${action})`, payload.view, 'modal');
        if (action === 'update') this.sim.replaceDefinition(view, definition);
        else this.sim.pushModal(this.id, definition);
      } catch (error) {
        // Slack shows the person an error and keeps the view; the violation is already recorded.
        if (!(error instanceof SlackApiError)) throw error;
        if (error.code === 'push_limit_reached') this.sim.violate('view_submission ack: push beyond the 3-view modal stack');
      }
      return {};
    }
    this.sim.violate(`view_submission ack: unknown response_action "${String(action)}"`);
    return {};
  }

  private popModal(): void {
    const stack = this.sim.workspace.modalStacks.get(this.id) ?? [];
    this.sim.workspace.modalStacks.set(this.id, stack.slice(0, -1));
  }

  private requireModal(): SimView {
    const view = this.modal;
    if (!view) throw new Error(`${this.id} has no modal open`);
    return view;
  }

  /** Clicks the button with `actionId` on the latest version of the message or view, as this person. */
  async click(actionId: string, where: Surface): Promise<AckResult> {
    const base = {
      type: 'block_actions',
      user: this.userJson(),
      api_app_id: this.sim.appId,
      token: 'deprecated-verification-token',
      trigger_id: this.sim.issueTrigger(this.id),
      team: { id: this.sim.teamId, domain: 'simulated' },
      is_enterprise_install: false,
    };
    if (where === 'modal' || where === 'home') {
      const view = where === 'modal' ? this.requireModal() : this.home;
      if (!view) throw new Error(`${this.id} has no Home tab published`);
      const { button, blockId } = findButton(blocks(view.definition), actionId);
      return this.sim.deliver(
        'interactive',
        {
          ...base,
          container: { type: 'view', view_id: view.id },
          view: this.sim.viewJson(view),
          actions: [action(button, blockId, this.sim.workspace.nextTs())],
        },
        false,
      );
    }
    const message = this.sim.workspace.findMessage(where.message.channel, where.message.ts);
    if (!message) throw new Error('that message is gone');
    const channel = this.sim.workspace.channels.get(message.channel);
    if (!channel?.members.has(this.id)) throw new Error(`${this.id} cannot see channel ${message.channel}`);
    const shown = where.version === undefined ? message.blocks : message.history[where.version]?.blocks;
    if (!shown) throw new Error(`that message has no version ${where.version}`);
    const { button, blockId } = findButton(shown as Json[], actionId);
    return this.sim.deliver(
      'interactive',
      {
        ...base,
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
        channel: { id: channel.id, name: channel.name },
        message: this.sim.messageJson(message),
        state: { values: {} },
        response_url: this.sim.issueResponseUrl({ user: this.id, channel: message.channel, messageTs: message.ts, uses: 0 }),
        actions: [action(button, blockId, this.sim.workspace.nextTs())],
      },
      false,
    );
  }

  /** Opens the app's Home tab (the app_home_opened event) and returns once the app has acked it. */
  async openHome(): Promise<AckResult> {
    const home = this.home;
    return this.sim.deliver(
      'events_api',
      {
        token: 'deprecated-verification-token',
        team_id: this.sim.teamId,
        api_app_id: this.sim.appId,
        event: {
          type: 'app_home_opened',
          user: this.id,
          channel: this.sim.workspace.imWith(this.id).id,
          tab: 'home',
          event_ts: this.sim.workspace.nextTs(),
          ...(home && { view: this.sim.viewJson(home) }),
        },
        type: 'event_callback',
        event_id: `Ev${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e6)}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: this.sim.teamId, user_id: this.sim.botUserId, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      },
      false,
    );
  }

  get home(): SimView | undefined {
    return this.sim.workspace.views.get(this.sim.workspace.homeViews.get(this.id) ?? '');
  }

  /** Top-level messages of a channel this person is in, oldest first. */
  channel(channelId: string): SimMessage[] {
    const channel = this.sim.workspace.channels.get(channelId);
    if (!channel?.members.has(this.id)) throw new Error(`${this.id} is not in ${channelId}`);
    return this.sim.workspace.messages.filter((message) => message.channel === channelId && message.threadTs === undefined);
  }

  /** The replies under a message, oldest first. */
  thread(parent: SimMessage): SimMessage[] {
    this.channel(parent.channel);
    return this.sim.workspace.messages.filter((message) => message.channel === parent.channel && message.threadTs === parent.ts);
  }

  /** The bot's direct messages to this person, oldest first. */
  dms(): SimMessage[] {
    const im = this.sim.workspace.imWith(this.id);
    return this.sim.workspace.messages.filter((message) => message.channel === im.id);
  }

  /** Messages only this person was shown (ephemeral replies). */
  ephemerals(): SimEphemeral[] {
    return this.sim.workspace.ephemerals.filter((message) => message.user === this.id);
  }
}

function blocks(definition: Json): Json[] {
  return Array.isArray(definition.blocks) ? (definition.blocks as Json[]) : [];
}

function findButton(list: Json[], actionId: string): { button: Json; blockId: string } {
  for (const block of list) {
    const elements = [
      ...(Array.isArray(block.elements) ? (block.elements as Json[]) : []),
      ...(block.accessory ? [block.accessory as Json] : []),
    ];
    const button = elements.find((element) => element.type === 'button' && element.action_id === actionId);
    if (button) return { button, blockId: String(block.block_id ?? '') };
  }
  throw new Error(`no button "${actionId}" on it (it may have been removed)`);
}

function action(button: Json, blockId: string, ts: string): Json {
  return {
    type: 'button',
    action_id: button.action_id,
    block_id: blockId,
    text: button.text,
    ...(button.value !== undefined && { value: button.value }),
    ...(button.style !== undefined && { style: button.style }),
    action_ts: ts,
  };
}
