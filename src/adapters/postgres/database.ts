// The connection pool every PostgreSQL adapter shares, and the transaction each write runs in.
//
// TLS comes from the URL, as pg reads it: `sslrootcert=/path/ca.pem` trusts that CA, and any sslmode but
// `disable` turns TLS on with the server's certificate and name checked (pg treats `require` and `verify-ca`
// as `verify-full`; `sslmode=no-verify` is the explicit way to skip the check). `sslmode=disable` or no
// sslmode at all means plain TCP.

import { createHash } from 'node:crypto';
import pg from 'pg';

export type PostgresPool = pg.Pool;
export type PostgresClient = pg.PoolClient;

const INT8 = 20;

// Times and ids are BIGINT columns, which pg hands back as strings unless told otherwise; every value the bot
// stores fits in a double exactly, and one that does not means a corrupt row, never a rounding.
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`a BIGINT value ${text} is beyond what the bot stores`);
  return value;
}

const getTypeParser: pg.CustomTypesConfig['getTypeParser'] = (id, format) => (id === INT8 ? parseInt8 : pg.types.getTypeParser(id, format));

export interface PoolOptions {
  max?: number;
  /** The password, when the URL has none: handed to the driver as it is, never written into the URL. */
  password?: string;
  /**
   * A pooled connection that fails while idle (the server restarted, the network dropped) is discarded and
   * the next query opens a new one; this hears about it. Without a listener pg would crash the process.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * pg's Client, with two differences. A `password` given beside the URL is the one sent: pg lets the URL override
 * the other settings, and a URL without a password would blank it. And a connection attempt that fails is closed
 * at once: pg leaves the socket of an attempt it gave up on itself (a SCRAM exchange it cannot finish, as without
 * a password) open until the server drops it after its authentication_timeout, 60 s by default; meanwhile that
 * socket alone keeps a process that has nothing else to do from ending, and a bot that cannot start lingers
 * instead of being restarted.
 */
export class BotClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    if (typeof config?.password === 'string') this.password = config.password;
  }

  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
  override connect(callback?: (error: Error | null, client?: pg.Client) => void): Promise<pg.Client> | undefined {
    const connecting = super.connect().catch((error: unknown) => {
      this.end().catch(() => undefined);
      throw error;
    });
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(null, client),
      (error: Error) => callback(error),
    );
    return undefined;
  }
}

export function openPool(url: string, options: PoolOptions = {}): PostgresPool {
  const pool = new pg.Pool({
    Client: BotClient,
    connectionString: url,
    ...(options.password !== undefined && { password: options.password }),
    types: { getTypeParser },
    max: options.max ?? 10,
    // A database that does not answer fails the call rather than queueing it forever.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    // Kept open while idle: a connection costs the server a process and a password handshake to open, and the
    // statements prepared on it are planned again, all at the start of the burst that needs it.
    idleTimeoutMillis: 0,
    application_name: 'jit-access-bot',
  });
  pool.on('error', options.onIdleError ?? (() => undefined));
  return pool;
}

const statementNames = new Map<string, string>();

/**
 * A statement PostgreSQL parses and plans once per connection, instead of on every call: the bot's hot
 * statements cost more to plan than to run. The name comes from the text, so it is the same on every
 * connection and never names two texts. A prepared statement fails once a migration changes the shape of a
 * row it returns ("cached plan must not change result type"), so prepared statements return named columns or
 * rows as JSON, never `table.*`: a replica still on the older version keeps working during a rolling upgrade.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `jit_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

const BEGIN = {
  'read-write': 'BEGIN',
  // Every statement sees the same committed state, and nothing can be written by mistake.
  snapshot: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
};

/**
 * Runs `work` on one connection of its own, handed back to the pool when it is done, or discarded if it broke.
 * `broken` is set when the connection fails, in a query or between two: a connection lost while checked out is
 * reported as an event, which pg turns into a crash when nobody listens.
 */
async function onOwnConnection<T>(pool: PostgresPool, work: (client: PostgresClient, state: { broken?: Error }) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const state: { broken?: Error } = {};
  const onLost = (error: Error) => {
    state.broken = error;
  };
  client.on('error', onLost);
  try {
    return await work(client, state);
  } finally {
    client.removeListener('error', onLost);
    client.release(state.broken);
  }
}

/**
 * Runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws.
 * The connection goes back to the pool either way, or is discarded when it broke mid-way.
 */
export function inTransaction<T>(
  pool: PostgresPool,
  work: (client: PostgresClient) => Promise<T>,
  mode: keyof typeof BEGIN = 'read-write',
): Promise<T> {
  return onOwnConnection(pool, async (client, state) => {
    try {
      await client.query(BEGIN[mode]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        state.broken = rollbackError;
      });
      throw error;
    }
  });
}

/**
 * Runs `work` unless another replica is running the work of the same `key`: then resolves to undefined at
 * once. The key is a session advisory lock, held on one pooled connection for as long as `work` runs; if this
 * replica dies meanwhile, PostgreSQL ends the session and the lock with it, so the next turn is anyone's.
 */
export function aloneAmongReplicas<T>(pool: PostgresPool, key: number, work: () => Promise<T>): Promise<T | undefined> {
  return onOwnConnection(pool, async (client, state) => {
    const locked = await client.query<{ ours: boolean }>('SELECT pg_try_advisory_lock($1) AS ours', [key]);
    if (locked.rows[0]?.ours !== true) return undefined;
    try {
      return await work();
    } finally {
      // A lost connection took the lock with it (and is discarded); otherwise the lock is released here.
      if (!state.broken)
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: Error) => {
          state.broken = error;
        });
    }
  });
}

/**
 * Whether the database answers and takes writes, for /healthz: a standby answers too, but refuses every write
 * the bot makes. Bounded, so a hung database makes the check fail rather than stall.
 */
export async function isReachable(pool: PostgresPool, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const answered = pool
    .query<{ writable: boolean }>('SELECT NOT pg_is_in_recovery() AS writable')
    .then((result) => result.rows[0]?.writable === true)
    .catch(() => false);
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
