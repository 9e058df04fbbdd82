// A strict local Slack: the Web API methods the bot uses and Socket Mode, over loopback (node http + ws).
// It enforces Slack's limits and answers with Slack's own errors. Anything the bot does that real Slack would
// refuse or cut short is also recorded in `violations`, so a test fails even when the bot swallowed the error.
// Wire facts: shared/reference/slack.md.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { FaultPlan } from '../fault-plan.js';
import { checkBlocks, checkMessageText, checkView } from './block-limits.js';
import { Person } from './person.js';
import { type SimChannel, type SimMessage, type SimUser, type SimView, Workspace } from './workspace.js';

export interface SlackSimulatorOptions {
  botToken?: string;
  appToken?: string;
  teamId?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  /** The bot token's scopes; a method needing another answers missing_scope. */
  scopes?: string[];
  /** Slack allows 3 s for an ack, and a trigger id lives 3 s. */
  ackTimeoutMs?: number;
  triggerTtlMs?: number;
  now?: () => number;
}

export const DEFAULT_BOT_SCOPES = ['commands', 'chat:write', 'users:read', 'users:read.email', 'im:write'];

// Scopes per method (reference/slack.md §5); methods not listed need none beyond a valid token.
const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'users.info': 'users:read',
  'users.lookupByEmail': 'users:read.email',
  'conversations.open': 'im:write',
};

const MAX_CONNECTIONS = 10;
const MAX_EVENT_RETRIES = 3;
const RESPONSE_URL_USES = 5;

type Params = Record<string, unknown>;

export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  accepts_response_payload: boolean;
  payload: Record<string, unknown>;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface AckResult {
  acked: boolean;
  payload?: Record<string, unknown>;
}

interface PendingAck {
  resolve: (payload: Record<string, unknown>) => void;
}

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

interface ResponseUrl {
  user: string;
  channel?: string;
  messageTs?: string;
  uses: number;
}

/** What a person could notice in Slack, for the demo's transcript. */
export type SlackActivity =
  | { kind: 'posted' | 'updated'; message: SimMessage }
  | { kind: 'ephemeral'; user: string; text: string; blocks: unknown[] }
  | { kind: 'modal_opened' | 'modal_updated' | 'home_published'; view: SimView };

export interface ApiCall {
  method: string;
  params: Params;
  ok: boolean;
  error?: string;
}

export class SlackSimulator {
  readonly botToken: string;
  readonly appToken: string;
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly workspace: Workspace;
  readonly violations: string[] = [];
  readonly calls: ApiCall[] = [];
  readonly faults = new FaultPlan();
  /** Every envelope sent, in order, with what came back and how long the ack took. */
  readonly envelopes: (Envelope & { ack?: Record<string, unknown>; ackMs?: number })[] = [];
  scopes: string[];
  readonly ackTimeoutMs: number;
  readonly triggerTtlMs: number;
  readonly now: () => number;

  private server: Server | undefined;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly connections: WebSocket[] = [];
  private nextConnection = 0;
  private readonly tickets = new Set<string>();
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** How many Socket Mode connections have ever said hello; tests watch reconnects with it. */
  connectionsOpened = 0;
  /** Called for everything a person could see change. */
  onActivity: ((activity: SlackActivity) => void) | undefined;

  constructor(options: SlackSimulatorOptions = {}) {
    this.botToken = options.botToken ?? `xoxb-sim-${randomBytes(8).toString('hex')}`;
    this.appToken = options.appToken ?? `xapp-1-sim-${randomBytes(8).toString('hex')}`;
    this.teamId = options.teamId ?? 'T0SIMTEAM1';
    this.appId = options.appId ?? 'A0SIMAPP01';
    this.botUserId = options.botUserId ?? 'U0SIMBOT01';
    this.botId = options.botId ?? 'B0SIMBOT01';
    this.scopes = options.scopes ?? DEFAULT_BOT_SCOPES;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    this.triggerTtlMs = options.triggerTtlMs ?? 3000;
    this.now = options.now ?? Date.now;
    this.workspace = new Workspace(this.now);
    this.workspace.users.set(this.botUserId, { id: this.botUserId, name: 'jit-access', realName: 'JIT Access', isBot: true });
  }

  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────

  addUser(user: Omit<SimUser, 'realName'> & { realName?: string }): SimUser {
    const added = { realName: user.name, ...user };
    this.workspace.users.set(user.id, added);
    return added;
  }

  /** A channel with its members; the bot is a member unless `botIsMember: false`. */
  addChannel(channel: { id: string; name: string; members: string[]; isPrivate?: boolean; botIsMember?: boolean }): SimChannel {
    const members = new Set(channel.members);
    if (channel.botIsMember !== false) members.add(this.botUserId);
    const added = { id: channel.id, name: channel.name, isIm: false, isPrivate: channel.isPrivate ?? false, members };
    this.workspace.channels.set(channel.id, added);
    return added;
  }

  /** A person-level driver acting as `userId`. */
  person(userId: string): Person {
    return new Person(this, userId);
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: false, error: 'internal_error', detail: String(error) }));
      });
    });
    server.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname.replace(/\/$/, '') !== '/link' || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
  }

  get port(): number {
    if (!this.server) throw new Error('the Slack simulator is not started');
    return (this.server.address() as AddressInfo).port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async stop(): Promise<void> {
    for (const timer of this.retryTimers) clearTimeout(timer);
    for (const ws of this.connections) ws.terminate();
    this.sockets.close();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  violate(problem: string): void {
    this.violations.push(problem);
  }

  // ── Socket Mode ─────────────────────────────────────────────────────────────────────────────────────────

  get openConnections(): number {
    return this.connections.length;
  }

  private accept(ws: WebSocket): void {
    if (this.connections.length >= MAX_CONNECTIONS) {
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'sim' } }));
      ws.close(1000);
      return;
    }
    this.connections.push(ws);
    this.connectionsOpened += 1;
    ws.on('message', (data) => this.receiveAck(String(data)));
    ws.on('close', () => {
      const index = this.connections.indexOf(ws);
      if (index >= 0) this.connections.splice(index, 1);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.length,
        debug_info: { host: 'sim-applink', approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
  }

  private receiveAck(text: string): void {
    let frame: { envelope_id?: unknown; payload?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.violate(`socket: the app sent a frame that is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const pending = typeof frame.envelope_id === 'string' ? this.pendingAcks.get(frame.envelope_id) : undefined;
    if (!pending) return;
    this.pendingAcks.delete(frame.envelope_id as string);
    pending.resolve((frame.payload as Record<string, unknown> | undefined) ?? {});
  }

  /** Ends every socket the way a network failure does: no close handshake. */
  dropSockets(): void {
    for (const ws of [...this.connections]) ws.terminate();
  }

  /** Asks every connection to reconnect, as Slack does every few hours. */
  refreshSockets(): void {
    for (const ws of this.connections)
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'sim' } }));
  }

  async waitForConnection(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.connections.length > 0, timeoutMs, 'a Socket Mode connection');
  }

  /**
   * Sends an envelope to one connection and waits for its ack. Slash commands and interactions that are not
   * acked in time are not retried (the person sees an error); Events API envelopes are retried up to 3 times.
   */
  async deliver(
    type: Envelope['type'],
    payload: Record<string, unknown>,
    acceptsResponsePayload: boolean,
    attempt = 0,
  ): Promise<AckResult> {
    const envelope: Envelope = { envelope_id: randomUUID(), type, accepts_response_payload: acceptsResponsePayload, payload };
    if (type === 'events_api') Object.assign(envelope, { retry_attempt: attempt, retry_reason: attempt > 0 ? 'timeout' : '' });
    this.envelopes.push(envelope);

    const ws = this.connections[this.nextConnection++ % Math.max(this.connections.length, 1)];
    const sentAt = performance.now();
    const acked = ws
      ? await new Promise<Record<string, unknown> | undefined>((resolve) => {
          const timer = setTimeout(() => {
            this.pendingAcks.delete(envelope.envelope_id);
            resolve(undefined);
          }, this.ackTimeoutMs);
          this.pendingAcks.set(envelope.envelope_id, {
            resolve: (ackPayload) => {
              clearTimeout(timer);
              resolve(ackPayload);
            },
          });
          ws.send(JSON.stringify(envelope));
        })
      : undefined;

    if (acked !== undefined) {
      Object.assign(envelope, { ack: acked, ackMs: performance.now() - sentAt });
      return { acked: true, payload: acked };
    }
    if (type === 'events_api' && attempt < MAX_EVENT_RETRIES) {
      return this.deliver(type, payload, acceptsResponsePayload, attempt + 1);
    }
    this.violate(
      `${type}: envelope ${envelope.envelope_id} was not acknowledged within ${this.ackTimeoutMs} ms${ws ? '' : ' (no connection)'}`,
    );
    return { acked: false };
  }

  // ── Web API ─────────────────────────────────────────────────────────────────────────────────────────────

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request);
    if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
      await this.handleApi(url.pathname.slice('/api/'.length), request, body, response);
      return;
    }
    if (request.method === 'POST' && url.pathname.startsWith('/respond/')) {
      const status = this.handleResponseUrl(url.pathname.slice('/respond/'.length), body);
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status === 200 ? 'ok' : 'used_url');
      return;
    }
    response.writeHead(404);
    response.end();
  }

  private async handleApi(method: string, request: IncomingMessage, body: string, response: ServerResponse): Promise<void> {
    const params = parseParams(request.headers['content-type'] ?? '', body);
    const fault = this.faults.take(method);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    if (fault?.status) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
      response.writeHead(fault.status, headers);
      response.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'fatal_error' }));
      this.calls.push({ method, params, ok: false, error: `http_${fault.status}` });
      return;
    }
    if (fault?.drop) {
      request.socket.destroy();
      this.calls.push({ method, params, ok: false, error: 'dropped' });
      return;
    }

    let result: Record<string, unknown>;
    try {
      this.authorize(method, request, params);
      result = { ok: true, ...this.callMethod(method, params) };
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      result = { ok: false, error: error.code, ...error.extra };
    }
    this.calls.push({ method, params, ok: result.ok === true, ...(result.ok !== true && { error: String(result.error) }) });
    response.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': this.scopes.join(',') });
    response.end(JSON.stringify(result));
  }

  private authorize(method: string, request: IncomingMessage, params: Params): void {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : String(params.token ?? '');
    if (method === 'apps.connections.open') {
      if (token === this.appToken) return;
      throw new SlackApiError(token === this.botToken ? 'not_allowed_token_type' : 'invalid_auth');
    }
    if (token === this.appToken && method !== 'auth.test') throw new SlackApiError('not_allowed_token_type');
    if (token !== this.botToken && token !== this.appToken) throw new SlackApiError(token ? 'invalid_auth' : 'not_authed');
    const needed = METHOD_SCOPES[method];
    if (needed && !this.scopes.includes(needed)) throw new SlackApiError('missing_scope', { needed, provided: this.scopes.join(',') });
  }

  private callMethod(method: string, params: Params): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://sim.slack.test/',
          team: 'Simulated',
          user: 'jit-access',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        };
      case 'apps.connections.open': {
        const ticket = randomUUID();
        this.tickets.add(ticket);
        return { url: `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=${this.appId}` };
      }
      case 'chat.postMessage':
        return this.postMessage(params);
      case 'chat.update':
        return this.updateMessage(params);
      case 'chat.postEphemeral':
        return this.postEphemeral(params);
      case 'views.open':
        return this.openView(params, 'open');
      case 'views.push':
        return this.openView(params, 'push');
      case 'views.update':
        return this.updateView(params);
      case 'views.publish':
        return this.publishView(params);
      case 'users.info':
        return { user: this.userJson(this.requireUser(String(params.user ?? ''))) };
      case 'users.lookupByEmail': {
        const email = String(params.email ?? '').toLowerCase();
        const user = [...this.workspace.users.values()].find((candidate) => candidate.email?.toLowerCase() === email);
        if (!user) throw new SlackApiError('users_not_found');
        return { user: this.userJson(user) };
      }
      case 'conversations.open': {
        const users = String(params.users ?? '')
          .split(',')
          .filter(Boolean);
        const [user] = users;
        if (users.length !== 1 || !user) throw new SlackApiError(users.length === 0 ? 'users_list_not_supplied' : 'not_implemented');
        this.requireUser(user);
        return { channel: { id: this.workspace.imWith(user).id } };
      }
      default:
        throw new SlackApiError('unknown_method');
    }
  }

  private requireUser(id: string): SimUser {
    const user = this.workspace.users.get(id);
    if (!user) throw new SlackApiError('user_not_found');
    return user;
  }

  private userJson(user: SimUser): Record<string, unknown> {
    const profile: Record<string, unknown> = { real_name: user.realName, display_name: user.name };
    if (user.email && this.scopes.includes('users:read.email')) profile.email = user.email;
    return {
      id: user.id,
      team_id: this.teamId,
      name: user.name,
      real_name: user.realName,
      deleted: user.deleted ?? false,
      is_bot: user.isBot ?? false,
      tz: user.tz ?? 'Europe/Amsterdam',
      profile,
    };
  }

  /** The channel a chat.* call names: a channel id, an IM id, or a user id (Slack opens the DM). */
  private resolveChannel(id: string): SimChannel {
    if (/^[UW]/.test(id)) {
      this.requireUser(id);
      return this.workspace.imWith(id);
    }
    const channel = this.workspace.channels.get(id);
    if (!channel) throw new SlackApiError('channel_not_found');
    if (!channel.isIm && !channel.members.has(this.botUserId)) {
      if (channel.isPrivate || !this.scopes.includes('chat:write.public')) throw new SlackApiError('not_in_channel');
    }
    return channel;
  }

  private checkContent(method: string, params: Params, surface: 'message'): { text: string; blocks: unknown[] } {
    const blocks = params.blocks === undefined ? [] : params.blocks;
    const text = typeof params.text === 'string' ? params.text : '';
    const problems = [...checkBlocks(params.blocks, surface), ...checkMessageText(params.text)];
    if (problems.length > 0) {
      for (const problem of problems) this.violate(`${method}: ${problem}`);
      throw new SlackApiError('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    }
    if (!text && (!Array.isArray(blocks) || blocks.length === 0)) throw new SlackApiError('no_text');
    if (!text) this.violate(`${method}: blocks sent without a top-level text fallback (notifications and screen readers show nothing)`);
    if (params.thread_ts !== undefined && typeof params.thread_ts !== 'string') this.violate(`${method}: thread_ts must be a string`);
    return { text, blocks: Array.isArray(blocks) ? blocks : [] };
  }

  private postMessage(params: Params): Record<string, unknown> {
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const content = this.checkContent('chat.postMessage', params, 'message');
    const threadTs = params.thread_ts === undefined ? undefined : String(params.thread_ts);
    if (threadTs !== undefined && !this.workspace.findMessage(channel.id, threadTs)) throw new SlackApiError('thread_not_found');
    const message: SimMessage = {
      channel: channel.id,
      ts: this.workspace.nextTs(),
      user: this.botUserId,
      botId: this.botId,
      ...content,
      history: [],
      ...(threadTs !== undefined && { threadTs }),
    };
    this.workspace.messages.push(message);
    this.onActivity?.({ kind: 'posted', message });
    return { channel: channel.id, ts: message.ts, message: this.messageJson(message) };
  }

  private updateMessage(params: Params): Record<string, unknown> {
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const message = this.workspace.findMessage(channel.id, String(params.ts ?? ''));
    if (!message) throw new SlackApiError('message_not_found');
    if (message.user !== this.botUserId) throw new SlackApiError('cant_update_message');
    const content = this.checkContent('chat.update', { ...params, thread_ts: undefined }, 'message');
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = content.text;
    message.blocks = content.blocks;
    this.onActivity?.({ kind: 'updated', message });
    return { channel: channel.id, ts: message.ts, text: message.text, message: this.messageJson(message) };
  }

  private postEphemeral(params: Params): Record<string, unknown> {
    const channel = this.resolveChannel(String(params.channel ?? ''));
    const user = this.requireUser(String(params.user ?? ''));
    if (!channel.isIm && !channel.members.has(user.id)) throw new SlackApiError('user_not_in_channel');
    const content = this.checkContent('chat.postEphemeral', params, 'message');
    const ts = this.workspace.nextTs();
    this.workspace.ephemerals.push({ channel: channel.id, user: user.id, ts, ...content });
    this.onActivity?.({ kind: 'ephemeral', user: user.id, ...content });
    return { message_ts: ts };
  }

  messageJson(message: SimMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: message.user,
      ...(message.botId && { bot_id: message.botId, app_id: this.appId }),
      text: message.text,
      blocks: message.blocks,
      ts: message.ts,
      ...(message.threadTs && { thread_ts: message.threadTs }),
      team: this.teamId,
    };
  }

  // ── views ───────────────────────────────────────────────────────────────────────────────────────────────

  /** A trigger id the simulator hands out with a slash command or a click. */
  issueTrigger(user: string): string {
    const id = `${Math.floor(this.now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(id, { user, issuedAt: this.now(), used: false });
    return id;
  }

  private useTrigger(method: string, id: string): Trigger {
    const trigger = this.triggers.get(id);
    if (!trigger) {
      this.violate(`${method}: unknown trigger_id`);
      throw new SlackApiError('invalid_trigger_id');
    }
    if (trigger.used) {
      this.violate(`${method}: trigger_id used twice`);
      throw new SlackApiError('exchanged_trigger_id');
    }
    if (this.now() - trigger.issuedAt > this.triggerTtlMs) {
      this.violate(`${method}: trigger_id used ${this.now() - trigger.issuedAt} ms after it was issued (limit ${this.triggerTtlMs} ms)`);
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
      for (const problem of problems) this.violate(`${method}: ${problem}`);
      throw new SlackApiError('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    }
    return view as Record<string, unknown>;
  }

  private openView(params: Params, mode: 'open' | 'push'): Record<string, unknown> {
    const method = mode === 'open' ? 'views.open' : 'views.push';
    const definition = this.acceptView(method, params.view, 'modal');
    const trigger = this.useTrigger(method, String(params.trigger_id ?? ''));
    if (mode === 'push' && !this.workspace.topModal(trigger.user)) throw new SlackApiError('not_found');
    if (mode === 'open') this.workspace.modalStacks.set(trigger.user, []);
    const view = this.pushModal(trigger.user, definition);
    this.onActivity?.({ kind: 'modal_opened', view });
    return { view: this.viewJson(view) };
  }

  /** Puts a modal on top of the person's stack: root plus at most two pushed views. */
  pushModal(user: string, definition: Record<string, unknown>): SimView {
    const stack = this.workspace.modalStacks.get(user) ?? [];
    if (stack.length >= 3) throw new SlackApiError('push_limit_reached');
    const id = this.workspace.nextId('V');
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
    this.workspace.views.set(id, view);
    this.workspace.modalStacks.set(user, [...stack, id]);
    return view;
  }

  private findView(params: Params): SimView {
    const byId = typeof params.view_id === 'string' ? this.workspace.views.get(params.view_id) : undefined;
    const byExternal =
      typeof params.external_id === 'string'
        ? [...this.workspace.views.values()].find((view) => view.definition.external_id === params.external_id)
        : undefined;
    const view = byId ?? byExternal;
    if (!view) throw new SlackApiError('not_found');
    return view;
  }

  private updateView(params: Params): Record<string, unknown> {
    const view = this.findView(params);
    if (typeof params.hash === 'string' && params.hash !== view.hash) throw new SlackApiError('hash_conflict');
    const definition = this.acceptView('views.update', params.view, view.type);
    this.replaceDefinition(view, definition);
    this.onActivity?.({ kind: 'modal_updated', view });
    return { view: this.viewJson(view) };
  }

  private publishView(params: Params): Record<string, unknown> {
    const user = this.requireUser(String(params.user_id ?? ''));
    const definition = this.acceptView('views.publish', params.view, 'home');
    const existing = this.workspace.views.get(this.workspace.homeViews.get(user.id) ?? '');
    if (existing && typeof params.hash === 'string' && params.hash !== existing.hash) throw new SlackApiError('hash_conflict');
    if (existing) {
      this.replaceDefinition(existing, definition);
      this.onActivity?.({ kind: 'home_published', view: existing });
      return { view: this.viewJson(existing) };
    }
    const id = this.workspace.nextId('V');
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
    this.workspace.views.set(id, view);
    this.workspace.homeViews.set(user.id, id);
    this.onActivity?.({ kind: 'home_published', view });
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
      team_id: this.teamId,
      type: view.type,
      state: { values: view.values },
      hash: view.hash,
      root_view_id: view.rootViewId,
      previous_view_id: view.previousViewId,
      app_id: this.appId,
      bot_id: this.botId,
      private_metadata: view.definition.private_metadata ?? '',
      callback_id: view.definition.callback_id ?? '',
    };
  }

  // ── response_url ────────────────────────────────────────────────────────────────────────────────────────

  issueResponseUrl(target: ResponseUrl): string {
    const id = randomUUID();
    this.responseUrls.set(id, target);
    return `http://127.0.0.1:${this.port}/respond/${id}`;
  }

  private handleResponseUrl(id: string, body: string): number {
    const target = this.responseUrls.get(id);
    if (!target || target.uses >= RESPONSE_URL_USES) return 404;
    target.uses += 1;
    const params = JSON.parse(body || '{}') as Params;
    const message = target.channel && target.messageTs ? this.workspace.findMessage(target.channel, target.messageTs) : undefined;
    if (params.delete_original === true && message) {
      this.workspace.messages.splice(this.workspace.messages.indexOf(message), 1);
      return 200;
    }
    if (params.replace_original === true && message) {
      const content = this.checkContent('response_url', params, 'message');
      message.history.push({ text: message.text, blocks: message.blocks });
      Object.assign(message, content);
      return 200;
    }
    const content = this.checkContent('response_url', params, 'message');
    if (params.response_type === 'in_channel' && target.channel) {
      this.workspace.messages.push({
        channel: target.channel,
        ts: this.workspace.nextTs(),
        user: this.botUserId,
        botId: this.botId,
        ...content,
        history: [],
      });
    } else {
      this.workspace.ephemerals.push({ channel: target.channel ?? '', user: target.user, ts: this.workspace.nextTs(), ...content });
    }
    return 200;
  }

  // ── waiting ─────────────────────────────────────────────────────────────────────────────────────────────

  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5000, what = 'the condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(10);
    }
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

function parseParams(contentType: string, body: string): Params {
  if (contentType.includes('application/json')) return body ? (JSON.parse(body) as Params) : {};
  const params: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    // The SDK sends objects (blocks, view, metadata) as JSON strings inside the form.
    params[key] = ['blocks', 'view', 'attachments', 'metadata'].includes(key) ? JSON.parse(value) : value;
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
