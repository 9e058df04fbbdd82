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
  /**
   * A pooled connection that fails while idle (the server restarted, the network dropped) is discarded and
   * the next query opens a new one; this hears about it. Without a listener pg would crash the process.
   */
  onIdleError?: (error: Error) => void;
}

export function openPool(url: string, options: PoolOptions = {}): PostgresPool {
  const pool = new pg.Pool({
    connectionString: url,
    types: { getTypeParser },
    max: options.max ?? 10,
    // A database that does not answer fails the call rather than queueing it forever.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
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
 * Runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws.
 * The connection goes back to the pool either way, or is discarded when it broke mid-way.
 */
export async function inTransaction<T>(
  pool: PostgresPool,
  work: (client: PostgresClient) => Promise<T>,
  mode: keyof typeof BEGIN = 'read-write',
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(BEGIN[mode]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
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
