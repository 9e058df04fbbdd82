import type { MessageRef, SlackMessageStore } from '../../application/ports.js';
import type { SqliteDatabase } from './database.js';

export class SqliteSlackMessageStore implements SlackMessageStore {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      find: db.prepare('SELECT channel, ts FROM slack_messages WHERE request_id = ? AND kind = ?'),
      save: db.prepare('INSERT OR REPLACE INTO slack_messages (request_id, kind, channel, ts, posted_at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  async find(requestId: string, kind: string): Promise<MessageRef | undefined> {
    return this.statements.find.get(requestId, kind) as MessageRef | undefined;
  }

  async save(requestId: string, kind: string, ref: MessageRef, now: number): Promise<void> {
    this.statements.save.run(requestId, kind, ref.channel, ref.ts, now);
  }
}
