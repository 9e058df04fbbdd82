import type { MessageRef, SlackMessageStore } from '../../application/ports.js';
import type { SqliteDatabase } from './database.js';

export class SqliteSlackMessageStore implements SlackMessageStore {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      findAll: db.prepare('SELECT kind, channel, ts FROM slack_messages WHERE request_id = ?'),
      save: db.prepare('INSERT OR REPLACE INTO slack_messages (request_id, kind, channel, ts, posted_at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  async findAll(requestId: string): Promise<Map<string, MessageRef>> {
    const rows = this.statements.findAll.all(requestId) as (MessageRef & { kind: string })[];
    return new Map(rows.map(({ kind, channel, ts }) => [kind, { channel, ts }]));
  }

  async save(requestId: string, kind: string, ref: MessageRef, now: number): Promise<void> {
    this.statements.save.run(requestId, kind, ref.channel, ref.ts, now);
  }
}
