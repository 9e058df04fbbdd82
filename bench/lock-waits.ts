// What the bots' PostgreSQL sessions are doing during a burst, sampled from pg_stat_activity every few
// milliseconds: how often a session was running, and how often it waited, on what (a row lock shows as
// Lock:transactionid or Lock:tuple, NOTIFY's commit lock as Lock:object). Where the time of a burst goes, without
// guessing: https://www.postgresql.org/docs/current/monitoring-stats.html#WAIT-EVENT-TABLE

import pg from 'pg';

const SAMPLE_EVERY_MS = 5;

export interface LockWaitSampler {
  /** Stops sampling; the samples by what the sessions were doing, the most frequent first. */
  stop(): Promise<Map<string, number>>;
}

/** Samples the sessions of the bots (application_name jit-access-bot) on the database at `url` until stopped. */
export async function sampleLockWaits(url: string): Promise<LockWaitSampler> {
  const client = new pg.Client({ connectionString: url, application_name: 'jit-bench sampler' });
  await client.connect();
  const counts = new Map<string, number>();
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const { rows } = await client.query<{ doing: string }>(
        `SELECT COALESCE(wait_event_type || ':' || wait_event, 'running') AS doing
         FROM pg_stat_activity WHERE application_name = 'jit-access-bot' AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const { doing } of rows) counts.set(doing, (counts.get(doing) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      await client.end();
      return new Map([...counts].sort(([, a], [, b]) => b - a));
    },
  };
}

/** The samples as one line: `running 230, Lock:transactionid 1552, …`. */
export function describeSamples(samples: Map<string, number>): string {
  if (samples.size === 0) return 'no active session sampled';
  return [...samples].map(([doing, count]) => `${doing} ${count}`).join(', ');
}
