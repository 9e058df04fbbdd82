// Which Boundary user holds which accounts. Neither a listed account nor a listed user carries the link:
// ListUsers leaves `account_ids` out, and a list filter sees only what is listed (handlers/users/
// user_service.go), so only reading a user tells its accounts. Each sign-out lists the users once: the first
// listing in full, later ones as a refresh of it through its list token (only the users changed or deleted
// since). A user is read again only when its version changed: every change to a user's accounts bumps it
// (iam repository_user.go AddUserAccounts, DeleteUserAccounts, SetUserAccounts).

import { atMost } from '../../application/at-most.js';
import type { BoundaryClient } from './boundary-client.js';
import { anyOf, GRANTS, type Outcome, RECURSIVE } from './boundary-queries.js';

export interface LinkedUser {
  id: string;
  accountIds: string[];
}

type Read = Outcome<LinkedUser | undefined>;
type Listed = { id: string; version: unknown };

// Reads of users new to the bot (all of them, after a start) go several at a time, not one by one: against a
// controller 40 ms away, 8 at a time kept the first sign-outs after a start waiting several times longer than 32
// (measured: BENCHMARKS.md, What changed because of these measurements).
const READS_AT_ONCE = 32;

export class UserAccountLinks {
  /** One listing per set of scopes (in practice one: the OIDC auth method's). */
  private readonly listings = new Map<string, UserListing>();
  /** Each user's last read, by the version it was listed at; an in-flight read is shared. */
  private readonly reads = new Map<string, { version: number; read: Promise<Read> }>();

  constructor(private readonly client: BoundaryClient) {}

  /**
   * The users holding any of `accountIds`. `scopeIds`: the accounts' scopes; an account and its user always
   * share one (the auth_account foreign key to iam_user includes scope_id), so only those scopes are listed.
   */
  async holdersOf(accountIds: readonly string[], scopeIds: readonly string[]): Promise<Outcome<LinkedUser[]>> {
    const filter = scopeIds.length > 0 ? anyOf('/item/scope_id', scopeIds) : '';
    let listing = this.listings.get(filter);
    if (!listing) {
      listing = new UserListing(this.client, filter, (id) => this.reads.delete(id));
      this.listings.set(filter, listing);
    }
    const users = await listing.current();
    if (!users.ok) return users;

    const reads = await atMost(READS_AT_ONCE, users.value, (user) => this.readAt(user.id, user.version));
    const holders: LinkedUser[] = [];
    for (const read of reads) {
      if (!read.ok) return read;
      // A user gone since the listing holds nothing.
      if (read.value?.accountIds.some((id) => accountIds.includes(id))) holders.push(read.value);
    }
    return { ok: true, value: holders };
  }

  private readAt(id: string, version: unknown): Promise<Read> {
    const known = this.reads.get(id);
    if (known && known.version === version) return known.read;
    const read = this.readUser(id);
    // Without a version to compare, the user is read every time.
    if (typeof version !== 'number') return read;
    const entry = { version, read };
    this.reads.set(id, entry);
    // A failed read is not kept: the next sign-out reads the user again.
    void read.then((result) => {
      if (!result.ok && this.reads.get(id) === entry) this.reads.delete(id);
    });
    return read;
  }

  private async readUser(id: string): Promise<Read> {
    const reply = await this.client.request(`/v1/users/${encodeURIComponent(id)}`, { expect: [404], grant: GRANTS.user });
    if (!reply.ok) return reply;
    if (reply.status === 404) return { ok: true, value: undefined };
    const linked = reply.body?.account_ids;
    const accountIds = Array.isArray(linked) ? linked.filter((value): value is string => typeof value === 'string') : [];
    return { ok: true, value: { id, accountIds } };
  }
}

/**
 * The users of some scopes with the version each was listed at, kept current by refreshing one listing.
 * Sign-outs that ask while a refresh is under way share the next one, so each gets a listing that began after
 * it asked, and refreshes never overlap (their changes apply in order).
 */
class UserListing {
  private readonly users = new Map<string, unknown>();
  private listToken: string | undefined;
  private running: Promise<Outcome<Listed[]>> | undefined;
  private waiting: Promise<Outcome<Listed[]>> | undefined;

  constructor(
    private readonly client: BoundaryClient,
    private readonly filter: string,
    private readonly forget: (userId: string) => void,
  ) {}

  current(): Promise<Outcome<Listed[]>> {
    if (!this.running) {
      this.running = this.refresh().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    const next = () => {
      this.waiting = undefined;
      return this.current();
    };
    this.waiting ??= this.running.then(next, next);
    return this.waiting;
  }

  private async refresh(): Promise<Outcome<Listed[]>> {
    const refreshed = this.listToken === undefined ? undefined : await this.list(this.listToken);
    if (refreshed && !refreshed.ok && refreshed.kind === 'transient') return refreshed;
    // No listing yet, or a refresh Boundary refused (its token is over 30 days old, the bot's grants changed).
    const listed = refreshed?.ok ? refreshed : await this.list();
    if (!listed.ok) return listed;

    if (listed !== refreshed) this.users.clear();
    for (const id of listed.removedIds) {
      this.users.delete(id);
      this.forget(id);
    }
    for (const item of listed.items) if (typeof item.id === 'string') this.users.set(item.id, item.version);
    this.listToken = listed.listToken;
    return { ok: true, value: [...this.users].map(([id, version]) => ({ id, version })) };
  }

  private list(listToken?: string) {
    return this.client.listAll('/v1/users', {
      query: { ...RECURSIVE, ...(this.filter && { filter: this.filter }) },
      grant: GRANTS.user,
      ...(listToken !== undefined && { listToken }),
    });
  }
}
