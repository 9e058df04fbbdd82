// Which Boundary user holds which accounts. Neither a listed account nor a listed user carries the link:
// ListUsers leaves `account_ids` out, and a list filter sees only what is listed (handlers/users/
// user_service.go), so only reading a user tells its accounts. The users are listed once per sign-out and read
// again only when new or changed since their last read: every change to a user's accounts bumps its version
// (iam repository_user.go AddUserAccounts, DeleteUserAccounts, SetUserAccounts).

import type { BoundaryClient } from './boundary-client.js';
import { anyOf, GRANTS, type Outcome, RECURSIVE } from './boundary-queries.js';

export interface LinkedUser {
  id: string;
  accountIds: string[];
}

type Read = Outcome<LinkedUser | undefined>;

// Reads of users new to the bot (all of them, after a start) go a few at a time, not one by one.
const READS_AT_ONCE = 8;

export class UserAccountLinks {
  /** Each user's last read, by the version it was listed at; an in-flight read is shared. */
  private readonly reads = new Map<string, { version: number; read: Promise<Read> }>();

  constructor(private readonly client: BoundaryClient) {}

  /**
   * The users holding any of `accountIds`. `scopeIds`: the accounts' scopes; an account and its user always
   * share one (the auth_account foreign key to iam_user includes scope_id), so only those scopes are listed.
   */
  async holdersOf(accountIds: readonly string[], scopeIds: readonly string[]): Promise<Outcome<LinkedUser[]>> {
    const filter = scopeIds.length > 0 ? { filter: anyOf('/item/scope_id', scopeIds) } : {};
    const listed = await this.client.listAll('/v1/users', { query: { ...RECURSIVE, ...filter }, grant: GRANTS.user });
    if (!listed.ok) return listed;
    const users = listed.items.flatMap((item) => (typeof item.id === 'string' ? [{ id: item.id, version: item.version }] : []));
    this.forgetAllBut(new Set(users.map((user) => user.id)));

    const reads = await atMost(READS_AT_ONCE, users, (user) => this.readAt(user.id, user.version));
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

  /** Deleted users leave the memory with their next absence from a listing. */
  private forgetAllBut(listed: Set<string>): void {
    for (const id of this.reads.keys()) if (!listed.has(id)) this.reads.delete(id);
  }
}

/** `work` over every item, at most `limit` at a time, the results in the items' order. */
async function atMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
