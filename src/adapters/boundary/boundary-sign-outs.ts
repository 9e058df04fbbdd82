// Ends a person's Boundary sign-ins once their Entra group membership is gone. Boundary evaluates OIDC managed
// groups only when an account authenticates (developer.hashicorp.com/boundary/docs/concepts/domain-model/
// managed-groups), so existing auth tokens keep the old grants until they expire, and running sessions keep
// running. Grants belong to the user, across all their accounts (internal/iam/query.go
// resourceRoleGrantsForUsers), so every token of the user goes, whichever auth method issued it.

import type { BoundaryPerson, BoundarySignOutResult, BoundarySignOuts, OutsideFailure } from '../../application/ports.js';
import { BoundaryClient, type BoundaryClientOptions } from './boundary-client.js';
import { anyOf, filterLiteral, GRANTS, type Item, idsOf, type Outcome, RECURSIVE } from './boundary-queries.js';
import { type LinkedUser, UserAccountLinks } from './boundary-user-links.js';

export { filterLiteral } from './boundary-queries.js';

export interface BoundarySignOutOptions extends BoundaryClientOptions {
  /** The OIDC auth method (`amoidc_…`) people sign in with through Entra. */
  oidcAuthMethodId: string;
}

const LIVE = '("/item/status" == "active" or "/item/status" == "pending")';
// A cancel at a stale version fails (500 Internal from the optimistic update; 404 for some resources); the
// session is read again and cancelled at its new version, as the Go client's automatic versioning does
// (api/sessions/cancel.go).
const CANCEL_ATTEMPTS = 3;

export class BoundarySessionRevoker implements BoundarySignOuts {
  private readonly client: BoundaryClient;
  private readonly oidcAuthMethodId: string;
  private readonly links: UserAccountLinks;

  constructor(options: BoundarySignOutOptions) {
    this.client = new BoundaryClient(options);
    this.oidcAuthMethodId = options.oidcAuthMethodId;
    this.links = new UserAccountLinks(this.client);
  }

  async endSignIns(person: BoundaryPerson): Promise<BoundarySignOutResult> {
    const accounts = await this.findAccounts(person);
    if (!accounts.ok) return accounts;
    if (accounts.value.length === 0) return { ok: true, tokensRevoked: 0, sessionsEnded: 0, users: 0, otherAccounts: 0, verified: true };
    const accountIds = idsOf(accounts.value);
    const users = await this.links.holdersOf(accountIds, scopesOf(accounts.value));
    if (!users.ok) return users;
    const userIds = users.value.map((user) => user.id);
    if (userIds.length === 0) return { ok: true, tokensRevoked: 0, sessionsEnded: 0, users: 0, otherAccounts: 0, verified: true };

    // Listed before the tokens go, so that sessions ending with their token count among those this step ended.
    const liveBefore = await this.liveSessions(userIds);
    if (!liveBefore.ok) return liveBefore;
    const tokensRevoked = await this.deleteTokens(userIds);
    if (!tokensRevoked.ok) return tokensRevoked;
    // Listed again after the tokens are gone: sessions that ended with their token are canceling by now.
    const cancelled = await this.cancelSessions(userIds);
    if (!cancelled.ok) return cancelled;
    const sessionsEnded = new Set([...idsOf(liveBefore.value), ...cancelled.value]).size;
    const otherAccounts = await this.countOtherAccounts(users.value, accountIds);
    if (!otherAccounts.ok) return otherAccounts;

    const tokensLeft = await this.client.listAll('/v1/auth-tokens', {
      query: { ...RECURSIVE, filter: anyOf('/item/user_id', userIds) },
      grant: GRANTS.token,
    });
    if (!tokensLeft.ok) return tokensLeft;
    const sessionsLeft = await this.liveSessions(userIds);
    if (!sessionsLeft.ok) return sessionsLeft;
    if (tokensLeft.items.length > 0 || sessionsLeft.value.length > 0) {
      return {
        ok: false,
        kind: 'transient',
        message: `Boundary sign-outs not yet verified: ${tokensLeft.items.length} auth token(s) and ${sessionsLeft.value.length} live session(s) remain`,
      };
    }
    return {
      ok: true,
      tokensRevoked: tokensRevoked.value,
      sessionsEnded,
      users: userIds.length,
      otherAccounts: otherAccounts.value,
      verified: true,
    };
  }

  /** One cheap signed-in call (one auth token of global, never its secret): whether Boundary answers the bot. */
  async probe(): Promise<{ ok: true } | OutsideFailure> {
    const reply = await this.client.request('/v1/auth-tokens', { query: { scope_id: 'global', page_size: '1' }, grant: GRANTS.token });
    return reply.ok ? { ok: true } : reply;
  }

  /** The person's accounts in the OIDC auth method: by subject (the Entra object id), else by email. */
  private async findAccounts(person: BoundaryPerson): Promise<Outcome<Item[]>> {
    const list = (filter?: string) =>
      this.client.listAll('/v1/accounts', {
        query: { auth_method_id: this.oidcAuthMethodId, ...(filter !== undefined && { filter }) },
        grant: GRANTS.account,
      });
    const bySubject = await list(`"/item/attributes/subject" == ${filterLiteral(person.principalId)}`);
    if (!bySubject.ok || bySubject.items.length > 0 || !person.email)
      return bySubject.ok ? { ok: true, value: bySubject.items } : bySubject;

    const exact = await list(`"/item/attributes/email" == ${filterLiteral(person.email)}`);
    if (!exact.ok) return exact;
    if (exact.items.length > 0) return { ok: true, value: exact.items };
    // Filters compare exactly; an email differing only in case needs the whole auth method read through.
    const all = await list();
    if (!all.ok) return all;
    const email = person.email.toLowerCase();
    const matching = all.items.filter((item) => {
      const stored = (item.attributes as Item | undefined)?.email;
      return typeof stored === 'string' && stored.toLowerCase() === email;
    });
    return { ok: true, value: matching };
  }

  private async deleteTokens(userIds: string[]): Promise<Outcome<number>> {
    const tokens = await this.client.listAll('/v1/auth-tokens', {
      query: { ...RECURSIVE, filter: anyOf('/item/user_id', userIds) },
      grant: GRANTS.token,
    });
    if (!tokens.ok) return tokens;
    let deleted = 0;
    for (const id of idsOf(tokens.items)) {
      const reply = await this.client.request(`/v1/auth-tokens/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        expect: [404],
        grant: GRANTS.token,
      });
      if (!reply.ok) return reply;
      // 404: the token expired or was deleted since the listing; it is gone either way.
      if (reply.status !== 404) deleted += 1;
    }
    return { ok: true, value: deleted };
  }

  private async liveSessions(userIds: string[]): Promise<Outcome<Item[]>> {
    const sessions = await this.client.listAll('/v1/sessions', {
      query: { ...RECURSIVE, filter: `${anyOf('/item/user_id', userIds)} and ${LIVE}` },
      grant: GRANTS.session,
    });
    return sessions.ok ? { ok: true, value: sessions.items } : sessions;
  }

  /** Cancels the sessions still live; returns the ids of those it cancelled. */
  private async cancelSessions(userIds: string[]): Promise<Outcome<string[]>> {
    const live = await this.liveSessions(userIds);
    if (!live.ok) return live;
    const ended: string[] = [];
    for (const session of live.value) {
      const cancelled = await this.cancel(String(session.id), session.version);
      if (!cancelled.ok) return cancelled;
      if (cancelled.value) ended.push(String(session.id));
    }
    return { ok: true, value: ended };
  }

  /** Cancels one session at its current version; false when it had already ended by other means. */
  private async cancel(id: string, listedVersion: unknown): Promise<Outcome<boolean>> {
    const path = `/v1/sessions/${encodeURIComponent(id)}`;
    let version = listedVersion;
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const reply = await this.client.request(`${path}:cancel`, {
        method: 'POST',
        body: { version },
        expect: [404, 500],
        grant: GRANTS.session,
      });
      if (!reply.ok) return reply;
      if (reply.status === 200) return { ok: true, value: true };
      const current = await this.client.request(path, { expect: [404], grant: GRANTS.session });
      if (!current.ok) return current;
      if (current.status === 404) return { ok: true, value: false };
      const status = current.body?.status;
      if (status !== 'active' && status !== 'pending') return { ok: true, value: false };
      version = current.body?.version;
    }
    return { ok: false, kind: 'transient', message: `Boundary session ${id} kept changing while being cancelled` };
  }

  /** Accounts of these users outside the OIDC auth method: signing in there keeps the stored managed groups. */
  private async countOtherAccounts(users: LinkedUser[], oidcAccounts: string[]): Promise<Outcome<number>> {
    let count = 0;
    for (const accountId of new Set(users.flatMap((user) => user.accountIds))) {
      if (oidcAccounts.includes(accountId)) continue;
      if (!accountId.startsWith('acctoidc_')) {
        count += 1;
        continue;
      }
      // Another OIDC account: it counts only when it belongs to a different OIDC auth method.
      const reply = await this.client.request(`/v1/accounts/${encodeURIComponent(accountId)}`, { expect: [404], grant: GRANTS.account });
      if (!reply.ok) return reply;
      if (reply.status !== 404 && reply.body?.auth_method_id !== this.oidcAuthMethodId) count += 1;
    }
    return { ok: true, value: count };
  }
}

/** The scopes the accounts live in (the OIDC auth method's), which their users share. */
function scopesOf(accounts: Item[]): string[] {
  const ids = accounts.map((account) => (account.scope as Item | undefined)?.id).filter((id): id is string => typeof id === 'string');
  return [...new Set(ids)];
}
