// A small client for the Boundary controller API (developer.hashicorp.com/boundary/api-docs): password or LDAP
// sign-in for the bot's own account, a bearer token on every call, a timeout on every call, list-all through
// pagination, and every failure as the port's OutsideFailure. The password and tokens never reach a message.

import type { OutsideFailure } from '../../application/ports.js';
import { describeNetworkError, retryAfterMs } from '../common/http-answers.js';

export interface BoundaryClientOptions {
  /** The controller's address, e.g. https://boundary.example.com:9200 */
  addr: string;
  /** The bot's password (`ampw_…`) or LDAP (`amldap_…`) auth method. */
  authMethodId: string;
  loginName: string;
  password: string;
  timeoutMs?: number;
}

export type BoundaryReply = { ok: true; status: number; body: Record<string, unknown> | undefined } | OutsideFailure;
/**
 * A whole listing. `listToken`: the token of the complete listing, which, sent again, lists only what changed
 * since (the items changed, `removedIds` those deleted): developer.hashicorp.com/boundary/api-docs/pagination.
 */
export type BoundaryList = { ok: true; items: Record<string, unknown>[]; removedIds: string[]; listToken?: string } | OutsideFailure;

export interface BoundaryCall {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Record<string, string>;
  body?: unknown;
  /** Statuses the caller handles itself (a 404 on a delete that already happened), answered as ok. */
  expect?: readonly number[];
  /** The grant the call needs, named in the message when Boundary answers 403. */
  grant: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Pages stop at `response_type: complete`; this bound only keeps a misbehaving server from looping forever.
const MAX_PAGES = 1000;

export class BoundaryClient {
  private readonly root: string;
  private readonly timeoutMs: number;
  private token: Promise<string | OutsideFailure> | undefined;
  private current: string | undefined;

  constructor(private readonly options: BoundaryClientOptions) {
    this.root = options.addr.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async request(path: string, call: BoundaryCall): Promise<BoundaryReply> {
    const first = await this.signedIn();
    if (typeof first !== 'string') return first;
    const reply = await this.send(path, call, first);
    // The bot's token expired or was deleted: sign in once more, then try the call once again.
    if (!reply.ok || reply.status !== 401) return reply;
    this.forget(first);
    const second = await this.signedIn();
    if (typeof second !== 'string') return second;
    const retried = await this.send(path, call, second);
    if (retried.ok && retried.status === 401) {
      return { ok: false, kind: 'permanent', code: 'Unauthenticated', message: 'Boundary refused a token it had just issued to the bot' };
    }
    return retried;
  }

  /**
   * Every item of a listing, following `list_token` until Boundary says the listing is complete. With `listToken`
   * (a complete listing's), only what changed since that listing.
   */
  async listAll(path: string, call: Omit<BoundaryCall, 'method' | 'body' | 'expect'> & { listToken?: string }): Promise<BoundaryList> {
    const items: Record<string, unknown>[] = [];
    const removedIds: string[] = [];
    let listToken = call.listToken;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = { ...call.query, ...(listToken !== undefined && { list_token: listToken }) };
      const reply = await this.request(path, { query, grant: call.grant });
      if (!reply.ok) return reply;
      const body = reply.body ?? {};
      // An empty page has no `items` key: the gateway omits zero values.
      if (Array.isArray(body.items)) items.push(...(body.items as Record<string, unknown>[]));
      if (Array.isArray(body.removed_ids)) removedIds.push(...body.removed_ids.filter((id): id is string => typeof id === 'string'));
      const next = typeof body.list_token === 'string' ? body.list_token : undefined;
      if (body.response_type !== 'delta' || next === undefined)
        return { ok: true, items, removedIds, ...(next !== undefined && { listToken: next }) };
      listToken = next;
    }
    return { ok: false, kind: 'transient', message: `Boundary listing ${path} did not complete within ${MAX_PAGES} pages` };
  }

  private signedIn(): Promise<string | OutsideFailure> {
    // Concurrent calls share one sign-in; a failed sign-in is not kept, so the next call tries again.
    this.token ??= this.authenticate().then((result) => {
      if (typeof result === 'string') this.current = result;
      else this.token = undefined;
      return result;
    });
    return this.token;
  }

  /** Drops a refused token, unless another call has already replaced it. */
  private forget(token: string): void {
    if (this.current !== token) return;
    this.current = undefined;
    this.token = undefined;
  }

  /** POST /v1/auth-methods/{id}:authenticate, command login (handlers/authmethods/password.go). */
  private async authenticate(): Promise<string | OutsideFailure> {
    const reply = await this.send(
      `/v1/auth-methods/${encodeURIComponent(this.options.authMethodId)}:authenticate`,
      {
        method: 'POST',
        body: {
          command: 'login',
          type: 'token',
          attributes: { login_name: this.options.loginName, password: this.options.password },
        },
        grant: 'none (authentication is open to every account)',
      },
      undefined,
    );
    if (!reply.ok) return reply;
    if (reply.status === 401) {
      return {
        ok: false,
        kind: 'permanent',
        code: 'BoundarySignInRefused',
        message: `Boundary refused the bot's sign-in as "${this.options.loginName}" on ${this.options.authMethodId}; check BOUNDARY_LOGIN_NAME and BOUNDARY_PASSWORD`,
      };
    }
    const token = (reply.body?.attributes as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token === '') {
      return { ok: false, kind: 'permanent', code: 'BoundaryBadReply', message: 'Boundary answered the sign-in without a token' };
    }
    return token;
  }

  /** One HTTP exchange; a 401 comes back as ok for `request` to handle, everything else unexpected as a failure. */
  private async send(path: string, call: BoundaryCall, token: string | undefined): Promise<BoundaryReply> {
    const url = new URL(`${this.root}${path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
    const method = call.method ?? 'GET';
    const what = `${method} ${url.pathname}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(call.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { ok: false, kind: 'transient', message: `Boundary ${what}: ${describeNetworkError(error, this.timeoutMs)}` };
    }
    const body = parseBody(text);
    if (response.ok || response.status === 401 || call.expect?.includes(response.status)) {
      return { ok: true, status: response.status, body };
    }
    return classify(response, body, what, call.grant);
  }
}

/** A Boundary error answer as a retry decision (status codes per internal/daemon/controller/handlers/errors.go). */
function classify(response: Response, body: Record<string, unknown> | undefined, what: string, grant: string): OutsideFailure {
  const kind = typeof body?.kind === 'string' ? body.kind : `HTTP ${response.status}`;
  const detail = typeof body?.message === 'string' ? `: ${body.message}` : '';
  if (response.status === 429 || response.status >= 500) {
    const wait = retryAfterMs(response.headers);
    return {
      ok: false,
      kind: 'transient',
      message: `Boundary ${what} answered ${response.status} ${kind}${detail}`,
      ...(wait !== undefined && { retryAfterMs: wait }),
    };
  }
  if (response.status === 403) {
    return {
      ok: false,
      kind: 'permanent',
      code: 'PermissionDenied',
      message: `Boundary refused ${what} (403 PermissionDenied): the bot's role needs the grant "${grant}"`,
    };
  }
  return { ok: false, kind: 'permanent', code: kind, message: `Boundary ${what} answered ${response.status} ${kind}${detail}` };
}

function parseBody(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
