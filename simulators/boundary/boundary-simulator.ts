// A strict local HashiCorp Boundary controller (API v1, as at 0.21) over plain http on loopback: password
// sign-in, bearer tokens, accounts, users, auth tokens and sessions with Boundary's filters, pagination and
// error bodies; per-route faults, a request log, seeding helpers, and grants a test can take away.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { answerFault, type Fault, FaultPlan, waitOut } from '../fault-plan.js';
import { LoopbackServer, parseJson, readBody } from '../loopback-server.js';
import { Paginator } from './listing.js';
import { type Answer, route } from './routes.js';
import {
  type AuthMethodType,
  BoundaryStore,
  type Resource,
  type SessionStatus,
  type SimAccount,
  type SimAuthToken,
  type SimSession,
  type SimUser,
  statusOf,
  TOKEN_TTL_MS,
} from './store.js';
import { BoundaryApiError, faultError, unauthenticated } from './wire.js';

export type { SessionStatus, SimAccount, SimAuthToken, SimSession, SimUser };

export interface BoundarySimulatorOptions {
  botLoginName?: string;
  botPassword?: string;
  now?: () => number;
  /** The controller's `max_page_size` (default 1000): smaller makes every listing span pages. */
  maxPageSize?: number;
}

export interface BoundaryRequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The request body, with any password replaced. */
  body: unknown;
  status: number;
  /** The user behind the bearer token, when it was valid. */
  userId: string | null;
  at: number;
}

const ALL_GRANTS = [
  'auth-token:list',
  'auth-token:read',
  'auth-token:delete',
  'session:list',
  'session:read',
  'session:cancel',
  'account:list',
  'account:read',
  'user:list',
  'user:read',
];

export class BoundarySimulator {
  readonly store: BoundaryStore;
  readonly faults = new FaultPlan(() => this.now());
  readonly log: BoundaryRequestRecord[] = [];
  readonly passwordAuthMethodId: string;
  readonly oidcAuthMethodId: string;
  readonly botLoginName: string;
  readonly botPassword: string;
  readonly botUser: SimUser;
  /** The grants of the bot's role, as "resource:action". */
  readonly grants = new Set(ALL_GRANTS);
  /** Called for every request once it is answered: the demo's transcript, a test's kill at an exact point. */
  onRequest: ((record: BoundaryRequestRecord) => void) | undefined;
  private readonly paginator: Paginator;
  private readonly baseNow: () => number;
  private offset = 0;
  private readonly http = new LoopbackServer('Boundary');

  constructor(options: BoundarySimulatorOptions = {}) {
    this.baseNow = options.now ?? Date.now;
    this.store = new BoundaryStore(() => this.now());
    this.paginator = new Paginator(() => this.now(), options.maxPageSize);
    this.passwordAuthMethodId = this.store.addAuthMethod('password').id;
    this.oidcAuthMethodId = this.store.addAuthMethod('oidc').id;
    this.botLoginName = options.botLoginName ?? 'jit-bot';
    this.botPassword = options.botPassword ?? 'sim-bot-password-0123';
    this.botUser = this.store.addUser({ name: 'jit-access-bot' });
    this.store.addAccount(this.botUser.id, {
      authMethodId: this.passwordAuthMethodId,
      loginName: this.botLoginName,
      password: this.botPassword,
    });
  }

  static async start(options: BoundarySimulatorOptions = {}): Promise<BoundarySimulator> {
    const simulator = new BoundarySimulator(options);
    await simulator.start();
    return simulator;
  }

  now(): number {
    return this.baseNow() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }

  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────

  addAuthMethod(type: AuthMethodType): string {
    return this.store.addAuthMethod(type).id;
  }

  addUser(user: { name?: string; email?: string } = {}): SimUser {
    return this.store.addUser(user);
  }

  /** An OIDC account in the default OIDC auth method unless `authMethodId` says otherwise. */
  addAccount(
    userId: string,
    account: { authMethodId?: string; loginName?: string; password?: string; subject?: string; email?: string; fullName?: string } = {},
  ): SimAccount {
    return this.store.addAccount(userId, { ...account, authMethodId: account.authMethodId ?? this.oidcAuthMethodId });
  }

  /** Moves an account to another user (`boundary users remove-accounts` then `add-accounts`). */
  linkAccount(accountId: string, userId: string): void {
    this.store.linkAccount(accountId, userId);
  }

  /** An auth token as if the account had just signed in. */
  signIn(accountId: string): SimAuthToken {
    return this.store.issueToken(accountId);
  }

  addSession(userId: string, options: { authTokenId?: string; status?: SessionStatus } = {}): SimSession {
    return this.store.addSession(userId, options);
  }

  sessionStatus(id: string): SessionStatus | undefined {
    const session = this.store.sessions.get(id);
    return session && statusOf(session);
  }

  /** Workers close the connections of canceling sessions, which then end as terminated. */
  finishCanceling(): void {
    for (const session of this.store.sessions.values()) {
      if (statusOf(session) === 'canceling') this.store.setStatus(session, 'terminated');
    }
  }

  /** Deletes the bot's own tokens, as an operator or the token's expiry would. */
  revokeBotTokens(): void {
    for (const token of [...this.store.tokens.values()]) {
      if (token.userId === this.botUser.id) this.store.deleteToken(token.id);
    }
  }

  tokensOf(userId: string): SimAuthToken[] {
    return [...this.store.tokens.values()].filter((token) => token.userId === userId);
  }

  denyGrant(resource: Resource, action: string): void {
    this.grants.delete(`${resource}:${action}`);
  }

  /** A fault on the routes it names; with `forMs`, for that long on the simulator's clock. */
  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  // ── server ──────────────────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await this.http.start(
      createServer,
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, 500, { kind: 'Internal', message: String(error) }),
    );
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  get url(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const body = parseJson(raw);
    const record: BoundaryRequestRecord = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: redactPassword(body),
      status: 0,
      userId: null,
      at: this.now(),
    };
    this.log.push(record);

    const fault = this.faults.take(`${method} ${url.pathname}`);
    await waitOut(fault);
    const faulted = answerFault(fault, request, (status, headers) => this.send(response, status, faultError(status).body(), headers));
    if (faulted !== undefined) {
      record.status = faulted;
      this.onRequest?.(record);
      return;
    }

    let answer: Answer;
    try {
      const caller = this.caller(request);
      if (caller) record.userId = caller.userId;
      answer = route(
        { store: this.store, paginator: this.paginator, grants: this.grants },
        { method, path: url.pathname, query: url.searchParams, body, ...(caller && { caller }) },
      );
    } catch (error) {
      if (!(error instanceof BoundaryApiError)) throw error;
      answer = [error.status, error.body()];
    }
    record.status = answer[0];
    this.send(response, answer[0], answer[1]);
    this.onRequest?.(record);
  }

  /** The token behind `Authorization: Bearer`; none given is fine only for authenticate, which route checks. */
  private caller(request: IncomingMessage): SimAuthToken | undefined {
    const header = request.headers.authorization;
    if (!header) return undefined;
    const secret = /^Bearer (.+)$/.exec(header)?.[1];
    const token = [...this.store.tokens.values()].find((candidate) => candidate.token === secret);
    if (!token || token.createdAt + TOKEN_TTL_MS <= this.now()) throw unauthenticated();
    token.updatedAt = this.now();
    return token;
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    // A handler that returns nothing answers 204 with no body (controller interceptor.go statusCodeInterceptor).
    if (body === undefined) {
      response.writeHead(status, headers);
      response.end();
      return;
    }
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }
}

function redactPassword(body: unknown): unknown {
  const attributes = (body as { attributes?: Record<string, unknown> } | undefined)?.attributes;
  if (!attributes || typeof attributes !== 'object' || !('password' in attributes)) return body;
  return { ...(body as object), attributes: { ...attributes, password: '[redacted]' } };
}
