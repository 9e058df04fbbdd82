import type { MessageRef, SlackMessageStore } from '../../application/ports.js';
import { type PostgresPool, prepared } from './database.js';

const SQL = {
  findAll: 'SELECT kind, channel, ts FROM slack_messages WHERE request_id = $1',
  save: `INSERT INTO slack_messages (request_id, kind, channel, ts, posted_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (request_id, kind) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, posted_at = excluded.posted_at`,
};

export class PostgresSlackMessageStore implements SlackMessageStore {
  constructor(private readonly pool: PostgresPool) {}

  async findAll(requestId: string): Promise<Map<string, MessageRef>> {
    const { rows } = await this.pool.query<MessageRef & { kind: string }>(prepared(SQL.findAll, [requestId]));
    return new Map(rows.map(({ kind, channel, ts }) => [kind, { channel, ts }]));
  }

  async save(requestId: string, kind: string, ref: MessageRef, now: number): Promise<void> {
    await this.pool.query(prepared(SQL.save, [requestId, kind, ref.channel, ref.ts, now]));
  }
}
