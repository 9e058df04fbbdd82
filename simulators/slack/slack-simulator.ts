// A strict local Slack: the Web API methods the bot uses and Socket Mode, over loopback (node http + ws).
// It enforces Slack's limits and answers with Slack's own errors. Anything the bot does that real Slack would
// refuse or cut short is also recorded in `violations`, so a test fails even when the bot swallowed the error.
// This class is the face tests seed and drive; the wire lives in socket-mode.ts, web-api.ts, messages.ts,
// views.ts and response-urls.ts.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan } from '../fault-plan.js';
import { readBody } from '../loopback-server.js';
import { Messages } from './messages.js';
import { Person } from './person.js';
import { ResponseUrls, type ResponseUrlTarget } from './response-urls.js';
import type { SlackActivity, SlackHost } from './slack-host.js';
import { type AckResult, type Envelope, SocketModeLink } from './socket-mode.js';
import type { SimUserGroup } from './user-groups.js';
import { Views } from './views.js';
import { type ApiCall, sleep, WebApi } from './web-api.js';
import { type PersonSeed, type SimChannel, type SimMessage, type SimUser, type SimView, Workspace } from './workspace.js';

export { type Params, type SlackActivity, SlackApiError } from './slack-host.js';
export type { AckResult, Envelope } from './socket-mode.js';
export type { SimUserGroup } from './user-groups.js';
export { initialValues } from './views.js';
export type { ApiCall } from './web-api.js';
export { sleep };

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

export class SlackSimulator implements SlackHost {
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
  scopes: string[];
  readonly ackTimeoutMs: number;
  readonly triggerTtlMs: number;
  readonly now: () => number;
  /** Called for everything a person could see change. */
  onActivity: ((activity: SlackActivity) => void) | undefined;

  private server: Server | undefined;
  private readonly socketMode: SocketModeLink;
  private readonly messages: Messages;
  private readonly views: Views;
  private readonly responseUrls: ResponseUrls;
  private readonly webApi: WebApi;

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
    this.socketMode = new SocketModeLink({
      appId: this.appId,
      ackTimeoutMs: this.ackTimeoutMs,
      violate: (problem) => this.violate(problem),
    });
    this.messages = new Messages(this);
    this.views = new Views(this, this.messages, this.triggerTtlMs);
    this.responseUrls = new ResponseUrls(this, this.messages);
    this.webApi = new WebApi({
      host: this,
      tokens: { bot: this.botToken, app: this.appToken },
      faults: this.faults,
      calls: this.calls,
      socketMode: this.socketMode,
      messages: this.messages,
      views: this.views,
    });
  }

  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────

  addUser(user: PersonSeed): SimUser {
    return this.workspace.addPerson(user);
  }

  /** A channel with its members; the bot is a member unless `botIsMember: false`. */
  addChannel(channel: { id: string; name: string; members: string[]; isPrivate?: boolean; botIsMember?: boolean }): SimChannel {
    const members = new Set(channel.members);
    if (channel.botIsMember !== false) members.add(this.botUserId);
    const added = { id: channel.id, name: channel.name, isIm: false, isPrivate: channel.isPrivate ?? false, members };
    this.workspace.channels.set(channel.id, added);
    return added;
  }

  /** A user group (`S…`) with these members; `setUserGroupMembers` changes them later, as an admin would. */
  addUserGroup(group: { id: string; handle: string; members: string[]; disabled?: boolean }): SimUserGroup {
    const added = { ...group, members: [...group.members] };
    this.workspace.userGroups.set(group.id, added);
    return added;
  }

  setUserGroupMembers(groupId: string, members: string[]): void {
    const group = this.workspace.userGroups.get(groupId);
    if (!group) throw new Error(`no user group ${groupId}`);
    group.members = [...members];
  }

  /** Deactivates an account, as a workspace admin does when someone leaves: users.info then says `deleted: true`. */
  deactivateUser(userId: string): void {
    const user = this.workspace.users.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    user.deleted = true;
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
    server.on('upgrade', (request, socket, head) => this.socketMode.upgrade(request, socket, head));
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
    this.socketMode.close();
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

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request);
    if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
      await this.webApi.handle(url.pathname.slice('/api/'.length), request, body, response);
      return;
    }
    if (request.method === 'POST' && url.pathname.startsWith('/respond/')) {
      const status = this.responseUrls.receive(url.pathname.slice('/respond/'.length), body);
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status === 200 ? 'ok' : 'used_url');
      return;
    }
    response.writeHead(404);
    response.end();
  }

  // ── Socket Mode ─────────────────────────────────────────────────────────────────────────────────────────

  /** Every envelope sent, in order, with what came back, how long the ack took and which connection got it. */
  get envelopes(): SocketModeLink['envelopes'] {
    return this.socketMode.envelopes;
  }

  get openConnections(): number {
    return this.socketMode.openConnections;
  }

  /** How many Socket Mode connections have ever said hello; tests watch reconnects with it. */
  get connectionsOpened(): number {
    return this.socketMode.connectionsOpened;
  }

  dropSockets(): void {
    this.socketMode.dropSockets();
  }

  refreshSockets(): void {
    this.socketMode.refreshSockets();
  }

  async waitForConnection(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.socketMode.openConnections > 0, timeoutMs, 'a Socket Mode connection');
  }

  deliver(type: Envelope['type'], payload: Record<string, unknown>, acceptsResponsePayload: boolean): Promise<AckResult> {
    return this.socketMode.deliver(type, payload, acceptsResponsePayload);
  }

  // ── what a person's client needs ────────────────────────────────────────────────────────────────────────

  issueTrigger(user: string): string {
    return this.views.issueTrigger(user);
  }

  issueResponseUrl(target: ResponseUrlTarget): string {
    return this.responseUrls.issue(target);
  }

  acceptView(method: string, raw: unknown, surface: 'modal' | 'home'): Record<string, unknown> {
    return this.views.acceptView(method, raw, surface);
  }

  pushModal(user: string, definition: Record<string, unknown>): SimView {
    return this.views.pushModal(user, definition);
  }

  replaceDefinition(view: SimView, definition: Record<string, unknown>): void {
    this.views.replaceDefinition(view, definition);
  }

  viewJson(view: SimView): Record<string, unknown> {
    return this.views.viewJson(view);
  }

  messageJson(message: SimMessage): Record<string, unknown> {
    return this.messages.messageJson(message);
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
