// The messages the notifier keeps per request, in memory; test/adapters/message-store-contract.test.ts holds it
// to the SQLite and PostgreSQL stores.

import type { MessageRef, SlackMessageStore } from '../../src/application/ports.js';

export class FakeMessageStore implements SlackMessageStore {
  /** By request, then by kind, with when each was saved. */
  private readonly kept = new Map<string, Map<string, MessageRef & { at: number }>>();
  /** Every read fails, as with the database unreachable. */
  failing = false;

  async findAll(requestId: string): Promise<Map<string, MessageRef>> {
    if (this.failing) throw new Error('the database is unreachable');
    return new Map([...(this.kept.get(requestId) ?? [])].map(([kind, { channel, ts }]) => [kind, { channel, ts }]));
  }

  async save(requestId: string, kind: string, ref: MessageRef, now: number): Promise<void> {
    const ofRequest = this.kept.get(requestId) ?? new Map();
    ofRequest.set(kind, { channel: ref.channel, ts: ref.ts, at: now });
    this.kept.set(requestId, ofRequest);
  }

  refOf(requestId: string, kind: string): MessageRef | undefined {
    const found = this.kept.get(requestId)?.get(kind);
    return found && { channel: found.channel, ts: found.ts };
  }

  savedAt(requestId: string, kind: string): number | undefined {
    return this.kept.get(requestId)?.get(kind)?.at;
  }
}
