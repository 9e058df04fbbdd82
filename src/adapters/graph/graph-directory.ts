// Slack profile email → Entra user (https://learn.microsoft.com/graph/api/user-list): by UPN first, then by mail; a disabled account or
// more than one match is refused rather than guessed.

import type { Client } from '@microsoft/microsoft-graph-client';
import type { AddressLookup, EntraDirectory, UserLookup } from '../../application/ports.js';
import { LookupCache } from '../common/lookup-cache.js';
import { filterLiteral } from './graph-access-provider.js';
import { classifyGraphError, isGraphError } from './graph-errors.js';
import { GRAPH_TIMEOUT_MS, graphRequest } from './graph-request.js';

const FIELDS = 'id,userPrincipalName,mail,userType,accountEnabled';

interface EntraUser {
  id: string;
  userPrincipalName: string;
  userType?: string | null;
  accountEnabled?: boolean;
}

// An address as Slack stores it: RFC 5322 atext in the local part, a dotted host name. Anything else (spaces,
// quotes, brackets, control characters) is refused before it gets near a query.
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
// A disabled account, or a UPN given to someone else, must stop resolving soon, not at the next restart.
export const DIRECTORY_CACHE_MS = 5 * 60_000;

export function isPlausibleEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export class GraphDirectory implements EntraDirectory {
  private readonly users: LookupCache<UserLookup>;
  private readonly addresses: LookupCache<AddressLookup>;

  constructor(
    private readonly graph: Client,
    now: () => number,
    private readonly timeoutMs = GRAPH_TIMEOUT_MS,
  ) {
    this.users = new LookupCache(DIRECTORY_CACHE_MS, now, (found) => found.ok);
    this.addresses = new LookupCache(DIRECTORY_CACHE_MS, now, (found) => found.ok);
  }

  async findUserByEmail(email: string): Promise<UserLookup> {
    const key = email.trim().toLowerCase();
    if (!isPlausibleEmail(key)) return { ok: false, kind: 'invalid_email', message: 'the Slack profile email is not a plain address' };
    return this.users.get(key, () => this.lookUp(key));
  }

  private async lookUp(email: string): Promise<UserLookup> {
    try {
      const byUpn = await this.byUserPrincipalName(email);
      const matches = byUpn ? [byUpn] : await this.byMail(email);
      if (matches.length === 0) return { ok: false, kind: 'not_found', message: `no Entra account has the email ${email}` };
      if (matches.length > 1) return { ok: false, kind: 'ambiguous', message: `${matches.length} Entra accounts have the email ${email}` };
      const [user] = matches as [EntraUser];
      if (user.accountEnabled === false)
        return { ok: false, kind: 'disabled', message: `the Entra account ${user.userPrincipalName} is disabled` };
      return { ok: true, principalId: user.id, userPrincipalName: user.userPrincipalName, guest: user.userType === 'Guest' };
    } catch (error) {
      return classifyGraphError(error);
    }
  }

  /**
   * Every enabled or disabled account that receives mail at `email` in any form: UPN, mail, an Exchange alias
   * (proxyAddresses) or an alternate email (otherMails). Wider than `findUserByEmail` on purpose: it answers
   * whether an address belongs to a given account, never whom to grant. Cached as `findUserByEmail` is.
   */
  async accountsWithAddress(email: string): Promise<AddressLookup> {
    const key = email.trim().toLowerCase();
    if (!isPlausibleEmail(key)) return { ok: false, kind: 'invalid_email', message: 'the Slack profile email is not a plain address' };
    return this.addresses.get(key, () => this.accountsAt(key));
  }

  private async accountsAt(key: string): Promise<AddressLookup> {
    const literal = filterLiteral(key);
    const smtp = filterLiteral(`smtp:${key}`);
    try {
      const result = (await graphRequest(this.graph, '/users', this.timeoutMs)
        .filter(
          `mail eq ${literal} or userPrincipalName eq ${literal} or otherMails/any(x:x eq ${literal}) or proxyAddresses/any(x:x eq ${smtp})`,
        )
        .select('id')
        .get()) as { value: { id: string }[] };
      return { ok: true, principalIds: result.value.map((user) => user.id) };
    } catch (error) {
      return classifyGraphError(error);
    }
  }

  private async byUserPrincipalName(email: string): Promise<EntraUser | undefined> {
    try {
      return (await graphRequest(this.graph, `/users/${encodeURIComponent(email)}`, this.timeoutMs)
        .select(FIELDS)
        .get()) as EntraUser;
    } catch (error) {
      if (isGraphError(error, 404)) return undefined;
      throw error;
    }
  }

  private async byMail(email: string): Promise<EntraUser[]> {
    const result = (await graphRequest(this.graph, '/users', this.timeoutMs)
      .filter(`mail eq ${filterLiteral(email)}`)
      .select(FIELDS)
      .get()) as {
      value: EntraUser[];
    };
    return result.value;
  }
}
