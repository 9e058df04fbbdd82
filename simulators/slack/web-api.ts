// The Web API over HTTP as @slack/web-api calls it: form or JSON bodies, bearer tokens of the right kind,
// scopes checked against the manifest's (missing_scope with needed/provided), injected faults (an HTTP status, a
// dropped connection, or one of Slack's refusals by its error code), and `{ ok, … }` answers
// (docs.slack.dev/apis/web-api, …/reference/methods/<method>).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultPlan } from '../fault-plan.js';
import type { Messages } from './messages.js';
import { type Params, SlackApiError, type SlackHost } from './slack-host.js';
import type { SocketModeLink } from './socket-mode.js';
import { listUserGroupMembers, RateLimits } from './user-groups.js';
import { userJson } from './users.js';
import type { Views } from './views.js';

// Scopes per method (docs.slack.dev/reference/methods/<method>); methods not listed need none beyond a valid token.
const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'users.info': 'users:read',
  'users.lookupByEmail': 'users:read.email',
  'conversations.open': 'im:write',
  'usergroups.users.list': 'usergroups:read',
};

export interface ApiCall {
  method: string;
  params: Params;
  ok: boolean;
  error?: string;
}

export interface WebApiParts {
  host: SlackHost;
  tokens: { bot: string; app: string };
  faults: FaultPlan;
  calls: ApiCall[];
  socketMode: SocketModeLink;
  messages: Messages;
  views: Views;
}

export class WebApi {
  private readonly rateLimits: RateLimits;

  constructor(private readonly parts: WebApiParts) {
    this.rateLimits = new RateLimits(() => parts.host.now());
  }

  async handle(method: string, request: IncomingMessage, body: string, response: ServerResponse): Promise<void> {
    const { calls, host } = this.parts;
    const params = parseParams(request.headers['content-type'] ?? '', body);
    const fault = this.parts.faults.take(method);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    if (fault?.status) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
      response.writeHead(fault.status, headers);
      response.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'fatal_error' }));
      calls.push({ method, params, ok: false, error: `http_${fault.status}` });
      return;
    }
    if (fault?.drop) {
      request.socket.destroy();
      calls.push({ method, params, ok: false, error: 'dropped' });
      return;
    }
    if (fault?.error) {
      // One of Slack's own refusals, as Slack answers it: HTTP 200 with `ok: false` and the error's code.
      response.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': host.scopes.join(',') });
      response.end(JSON.stringify({ ok: false, error: fault.error.code }));
      calls.push({ method, params, ok: false, error: fault.error.code });
      return;
    }

    const retryAfter = this.rateLimits.retryAfterSeconds(method);
    if (retryAfter !== undefined) {
      // Over the method's tier: HTTP 429 with Retry-After in seconds, as Slack answers a rate-limited call.
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
      response.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      calls.push({ method, params, ok: false, error: 'http_429' });
      return;
    }

    let result: Record<string, unknown>;
    try {
      this.authorize(method, request, params);
      result = { ok: true, ...this.call(method, params) };
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      result = { ok: false, error: error.code, ...error.extra };
    }
    calls.push({ method, params, ok: result.ok === true, ...(result.ok !== true && { error: String(result.error) }) });
    response.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': host.scopes.join(',') });
    response.end(JSON.stringify(result));
  }

  private authorize(method: string, request: IncomingMessage, params: Params): void {
    const { bot, app } = this.parts.tokens;
    const scopes = this.parts.host.scopes;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : String(params.token ?? '');
    if (method === 'apps.connections.open') {
      if (token === app) return;
      throw new SlackApiError(token === bot ? 'not_allowed_token_type' : 'invalid_auth');
    }
    if (token === app && method !== 'auth.test') throw new SlackApiError('not_allowed_token_type');
    if (token !== bot && token !== app) throw new SlackApiError(token ? 'invalid_auth' : 'not_authed');
    const needed = METHOD_SCOPES[method];
    if (needed && !scopes.includes(needed)) throw new SlackApiError('missing_scope', { needed, provided: scopes.join(',') });
  }

  private call(method: string, params: Params): Record<string, unknown> {
    const { host, messages, views } = this.parts;
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://sim.slack.test/',
          team: 'Simulated',
          user: 'jit-access',
          team_id: host.teamId,
          user_id: host.botUserId,
          bot_id: host.botId,
        };
      case 'apps.connections.open':
        return { url: `ws://127.0.0.1:${host.port}/link/?ticket=${this.parts.socketMode.issueTicket()}&app_id=${host.appId}` };
      case 'chat.postMessage':
        return messages.postMessage(params);
      case 'chat.update':
        return messages.updateMessage(params);
      case 'chat.postEphemeral':
        return messages.postEphemeral(params);
      case 'chat.getPermalink':
        return messages.permalink(params);
      case 'views.open':
        return views.openView(params, 'open');
      case 'views.push':
        return views.openView(params, 'push');
      case 'views.update':
        return views.updateView(params);
      case 'views.publish':
        return views.publishView(params);
      case 'users.info':
        return { user: userJson(host, messages.requireUser(String(params.user ?? ''))) };
      case 'users.lookupByEmail': {
        // Several accounts may share an address (a Slack Connect user, a second account); unverified which one
        // Slack returns, so the first seeded stands in.
        const [user] = host.workspace.usersWithEmail(String(params.email ?? ''));
        if (!user) throw new SlackApiError('users_not_found');
        return { user: userJson(host, user) };
      }
      case 'usergroups.users.list':
        return listUserGroupMembers(host.workspace, params);
      case 'conversations.open': {
        const users = String(params.users ?? '')
          .split(',')
          .filter(Boolean);
        const [user] = users;
        if (users.length !== 1 || !user) throw new SlackApiError(users.length === 0 ? 'users_list_not_supplied' : 'not_implemented');
        messages.requireUser(user);
        return { channel: { id: host.workspace.imWith(user).id } };
      }
      default:
        throw new SlackApiError('unknown_method');
    }
  }
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
