// What the Boundary simulator holds — auth methods, users, accounts, auth tokens, sessions — and how each
// looks on the wire. Field names follow the controller's JSON (proto names, snake_case; zero values omitted),
// per the generated Go client in github.com/hashicorp/boundary/api (api/authtokens, api/sessions, api/users,
// api/accounts).

import { randomBytes } from 'node:crypto';

export type AuthMethodType = 'password' | 'oidc' | 'ldap';
export type SessionStatus = 'pending' | 'active' | 'canceling' | 'terminated';
type Json = Record<string, unknown>;

const PREFIX: Record<AuthMethodType, { method: string; account: string }> = {
  password: { method: 'ampw', account: 'acctpw' },
  oidc: { method: 'amoidc', account: 'acctoidc' },
  ldap: { method: 'amldap', account: 'acctldap' },
};
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY = 24 * 60 * 60_000;
/** Auth tokens live 7 days by default (controller `auth_token_time_to_live`, internal/authtoken/options.go). */
export const TOKEN_TTL_MS = 7 * DAY;

/** Boundary public ids: a type prefix, "_", ten base62 characters (internal/db/id.go). */
export function publicId(prefix: string): string {
  const bytes = randomBytes(10);
  return `${prefix}_${[...bytes].map((byte) => ALPHABET[byte % ALPHABET.length]).join('')}`;
}

export interface SimAuthMethod {
  id: string;
  type: AuthMethodType;
  issuer?: string;
}

export interface SimAccount {
  id: string;
  authMethodId: string;
  type: AuthMethodType;
  userId: string;
  loginName?: string;
  password?: string;
  subject?: string;
  email?: string;
  fullName?: string;
  seq: number;
  createdAt: number;
}

export interface SimUser {
  id: string;
  name?: string;
  email?: string;
  accountIds: string[];
  primaryAccountId?: string;
  /** Bumped, with `updatedAt`, by every change to the user's accounts (iam repository_user.go AddUserAccounts). */
  version: number;
  seq: number;
  createdAt: number;
  updatedAt: number;
}

export interface SimAuthToken {
  id: string;
  /** The secret the bearer presents; never part of a listing. */
  token: string;
  userId: string;
  accountId: string;
  authMethodId: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
}

export interface SimSession {
  id: string;
  userId: string;
  authTokenId?: string;
  targetId: string;
  projectId: string;
  version: number;
  states: { status: SessionStatus; start: number; end?: number }[];
  seq: number;
  createdAt: number;
  updatedAt: number;
}

export type Resource = 'auth-token' | 'session' | 'account' | 'user';

export class BoundaryStore {
  readonly authMethods = new Map<string, SimAuthMethod>();
  readonly users = new Map<string, SimUser>();
  readonly accounts = new Map<string, SimAccount>();
  readonly tokens = new Map<string, SimAuthToken>();
  readonly sessions = new Map<string, SimSession>();
  /** Hard deletes, for the `removed_ids` of a refreshed listing. */
  readonly removed: { resource: Resource; id: string; at: number }[] = [];
  private sequence = 0;

  constructor(private readonly now: () => number) {}

  nextSeq(): number {
    this.sequence += 1;
    return this.sequence;
  }

  addAuthMethod(type: AuthMethodType, id = publicId(PREFIX[type].method)): SimAuthMethod {
    const method: SimAuthMethod = { id, type, ...(type === 'oidc' && { issuer: 'https://login.microsoftonline.com/tenant/v2.0' }) };
    this.authMethods.set(id, method);
    return method;
  }

  addUser(user: { name?: string; email?: string } = {}): SimUser {
    const now = this.now();
    const added: SimUser = { id: publicId('u'), accountIds: [], version: 1, seq: this.nextSeq(), createdAt: now, updatedAt: now, ...user };
    this.users.set(added.id, added);
    return added;
  }

  addAccount(
    userId: string,
    account: { authMethodId: string; loginName?: string; password?: string; subject?: string; email?: string; fullName?: string },
  ): SimAccount {
    const method = this.authMethods.get(account.authMethodId);
    const user = this.users.get(userId);
    if (!method || !user) throw new Error(`no auth method ${account.authMethodId} or user ${userId}`);
    const added: SimAccount = {
      id: publicId(PREFIX[method.type].account),
      type: method.type,
      userId,
      seq: this.nextSeq(),
      createdAt: this.now(),
      ...account,
    };
    this.accounts.set(added.id, added);
    user.accountIds.push(added.id);
    user.primaryAccountId ??= added.id;
    this.touch(user);
    return added;
  }

  /**
   * Moves an account to another user, as `boundary users add-accounts` does after a `remove-accounts`: both
   * users' versions change. The account stays the old user's primary no longer, and becomes the new user's
   * primary only if that user had none.
   */
  linkAccount(accountId: string, userId: string): void {
    const account = this.accounts.get(accountId);
    const user = this.users.get(userId);
    if (!account || !user) throw new Error(`no account ${accountId} or user ${userId}`);
    const previous = this.users.get(account.userId);
    if (previous) {
      previous.accountIds = previous.accountIds.filter((id) => id !== accountId);
      if (previous.primaryAccountId === accountId) delete previous.primaryAccountId;
      this.touch(previous);
    }
    account.userId = userId;
    user.accountIds.push(accountId);
    user.primaryAccountId ??= accountId;
    this.touch(user);
  }

  private touch(user: SimUser): void {
    user.version += 1;
    user.updatedAt = this.now();
  }

  issueToken(accountId: string): SimAuthToken {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    const id = publicId('at');
    const now = this.now();
    const token: SimAuthToken = {
      id,
      token: `${id}_s~${randomBytes(24).toString('base64url')}`,
      userId: account.userId,
      accountId,
      authMethodId: account.authMethodId,
      seq: this.nextSeq(),
      createdAt: now,
      updatedAt: now,
    };
    this.tokens.set(id, token);
    return token;
  }

  addSession(userId: string, options: { authTokenId?: string; status?: SessionStatus; projectId?: string } = {}): SimSession {
    const now = this.now();
    const status = options.status ?? 'active';
    const states: SimSession['states'] = [{ status: 'pending', start: now }];
    for (const later of ['active', 'canceling', 'terminated'] as const) {
      if (status === 'pending' || states.at(-1)?.status === status) break;
      this.closeState(states, now);
      states.push({ status: later, start: now });
    }
    const session: SimSession = {
      id: publicId('s'),
      userId,
      targetId: publicId('ttcp'),
      projectId: options.projectId ?? 'p_1234567890',
      version: states.length,
      states,
      seq: this.nextSeq(),
      createdAt: now,
      updatedAt: now,
      ...(options.authTokenId !== undefined && { authTokenId: options.authTokenId }),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /**
   * Deleting a token sets its sessions' auth_token_id to null (`on delete set null`), and the trigger
   * `cancel_session_with_null_fk` cancels them (internal/db/schema/migrations/oss/postgres/0/50_session.up.sql).
   */
  deleteToken(id: string): void {
    this.tokens.delete(id);
    this.removed.push({ resource: 'auth-token', id, at: this.now() });
    for (const session of this.sessions.values()) {
      if (session.authTokenId !== id) continue;
      delete session.authTokenId;
      this.cancel(session);
    }
  }

  cancel(session: SimSession): void {
    if (isEnded(session)) return;
    this.setStatus(session, 'canceling');
  }

  setStatus(session: SimSession, status: SessionStatus): void {
    const now = this.now();
    this.closeState(session.states, now);
    session.states.push({ status, start: now });
    session.version += 1;
    session.updatedAt = now;
  }

  private closeState(states: SimSession['states'], now: number): void {
    const current = states.at(-1);
    if (current) current.end = now;
  }

  // ── wire views ──────────────────────────────────────────────────────────────────────────────────────────

  tokenJson(token: SimAuthToken, withSecret = false): Json {
    return {
      id: token.id,
      scope_id: 'global',
      scope: GLOBAL_SCOPE,
      ...(withSecret && { token: token.token }),
      user_id: token.userId,
      auth_method_id: token.authMethodId,
      account_id: token.accountId,
      created_time: iso(token.createdAt),
      updated_time: iso(token.updatedAt),
      approximate_last_used_time: iso(token.updatedAt),
      expiration_time: iso(token.createdAt + TOKEN_TTL_MS),
    };
  }

  sessionJson(session: SimSession): Json {
    return {
      id: session.id,
      target_id: session.targetId,
      scope: { id: session.projectId, type: 'project', name: 'Production', parent_scope_id: 'o_1234567890' },
      created_time: iso(session.createdAt),
      updated_time: iso(session.updatedAt),
      version: session.version,
      type: 'tcp',
      expiration_time: iso(session.createdAt + 8 * 60 * 60_000),
      ...(session.authTokenId !== undefined && { auth_token_id: session.authTokenId }),
      user_id: session.userId,
      scope_id: session.projectId,
      endpoint: 'tcp://10.0.0.5:5432',
      // Newest state first, as the controller returns them.
      states: [...session.states].reverse().map((state) => ({
        status: state.status,
        start_time: iso(state.start),
        ...(state.end !== undefined && { end_time: iso(state.end) }),
      })),
      status: statusOf(session),
    };
  }

  accountJson(account: SimAccount): Json {
    const method = this.authMethods.get(account.authMethodId);
    const attributes: Json =
      account.type === 'oidc'
        ? { issuer: method?.issuer, subject: account.subject, full_name: account.fullName, email: account.email }
        : { login_name: account.loginName, ...(account.type === 'ldap' && { email: account.email }) };
    return {
      id: account.id,
      scope: GLOBAL_SCOPE,
      created_time: iso(account.createdAt),
      updated_time: iso(account.createdAt),
      version: 1,
      type: account.type,
      auth_method_id: account.authMethodId,
      attributes: withoutEmpty(attributes),
    };
  }

  /** A listed user has no `account_ids`: ListUsers builds items without them (handlers/users/user_service.go). */
  userJson(user: SimUser, withAccounts: boolean): Json {
    const primary = user.primaryAccountId ? this.accounts.get(user.primaryAccountId) : undefined;
    return withoutEmpty({
      id: user.id,
      scope_id: 'global',
      scope: GLOBAL_SCOPE,
      name: user.name,
      created_time: iso(user.createdAt),
      updated_time: iso(user.updatedAt),
      version: user.version,
      ...(withAccounts && {
        account_ids: user.accountIds.length > 0 ? [...user.accountIds] : undefined,
        accounts: user.accountIds.length > 0 ? user.accountIds.map((id) => ({ id, scope_id: 'global' })) : undefined,
      }),
      login_name: primary?.loginName,
      full_name: primary?.fullName,
      email: primary?.email ?? user.email,
      primary_account_id: user.primaryAccountId,
    });
  }
}

export const GLOBAL_SCOPE = { id: 'global', type: 'global', name: 'global', description: 'Global Scope' };

export function statusOf(session: SimSession): SessionStatus {
  return session.states.at(-1)?.status ?? 'pending';
}

export function isEnded(session: SimSession): boolean {
  return session.states.some((state) => state.status === 'canceling' || state.status === 'terminated');
}

// Listing 1,000 sessions formats 6,000 times, most of them formatted on the last listing too: a quarter of the
// simulator's time under the bench before this cache. Kept small; the bench's clock only moves forward.
const formatted = new Map<number, string>();

export function iso(ms: number): string {
  let text = formatted.get(ms);
  if (text === undefined) {
    if (formatted.size >= 100_000) formatted.clear();
    text = new Date(ms).toISOString();
    formatted.set(ms, text);
  }
  return text;
}

function withoutEmpty(record: Json): Json {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== ''));
}
