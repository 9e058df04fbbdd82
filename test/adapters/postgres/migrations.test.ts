import { describe, expect, it } from 'vitest';
import { chainPending } from '../../../src/adapters/postgres/audit-chainer.js';
import { verifyAuditChain } from '../../../src/adapters/postgres/audit-trail.js';
import type { PostgresPool } from '../../../src/adapters/postgres/database.js';
import { findPostgresMigrationsDirectory, migrate } from '../../../src/adapters/postgres/migrations.js';
import { PostgresRequestRepository } from '../../../src/adapters/postgres/request-repository.js';
import { auditHash, GENESIS_HASH } from '../../../src/adapters/sql/audit-chain.js';
import { type Migration, readMigrations } from '../../../src/adapters/sql/migration-files.js';
import { cancel } from '../../../src/domain/access-request.js';
import { databaseForThisTest } from '../../support/postgres.js';

const projectMigrations = readMigrations(findPostgresMigrationsDirectory());

async function tableNames(pool: PostgresPool): Promise<string[]> {
  const result = await pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return result.rows.map((row) => row.name);
}

async function recorded(pool: PostgresPool): Promise<{ version: number; name: string }[]> {
  return (await pool.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
}

/** Migrations that fail when applied twice, so that applying one twice cannot pass unnoticed. */
function withExtraMigrations(count: number): Migration[] {
  const extra = Array.from({ length: count }, (_, index) => {
    const version = projectMigrations.length + index + 1;
    return {
      file: `${version}_extra.sql`,
      version,
      name: `extra_${version}`,
      sql: `CREATE TABLE extra_${version} (x INTEGER);`,
      checksum: `c${version}`,
    };
  });
  return [...projectMigrations, ...extra];
}

describe('PostgreSQL migrations', () => {
  it('creates the store on an empty database and records what it applied', async () => {
    const pool = (await databaseForThisTest()).openPool();
    const result = await migrate(pool, projectMigrations);
    expect(result.ok && result.applied.map((migration) => migration.file)).toEqual([
      '0001_initial.sql',
      '0002_held_by_and_cleanup_scan.sql',
      '0003_sign_out_jobs.sql',
      '0004_jobs_queued_by_kind.sql',
      '0005_deadline_indexes.sql',
      '0006_audit_head_moves_past_many.sql',
      '0007_removal_outcome.sql',
      '0008_cleanup_jobs.sql',
      '0009_change_records.sql',
      '0010_pagerduty.sql',
      '0011_extensions.sql',
      '0012_break_glass.sql',
      '0013_reminders_and_escalation.sql',
      '0014_pending_extensions.sql',
      '0015_audit_pending.sql',
    ]);
    expect(await tableNames(pool)).toEqual([
      'audit_chain_head',
      'audit_events',
      'audit_pending',
      'decisions',
      'grants',
      'jobs',
      'requests',
      'schema_migrations',
      'slack_messages',
    ]);
    expect(await recorded(pool)).toEqual([
      { version: 1, name: 'initial' },
      { version: 2, name: 'held_by_and_cleanup_scan' },
      { version: 3, name: 'sign_out_jobs' },
      { version: 4, name: 'jobs_queued_by_kind' },
      { version: 5, name: 'deadline_indexes' },
      { version: 6, name: 'audit_head_moves_past_many' },
      { version: 7, name: 'removal_outcome' },
      { version: 8, name: 'cleanup_jobs' },
      { version: 9, name: 'change_records' },
      { version: 10, name: 'pagerduty' },
      { version: 11, name: 'extensions' },
      { version: 12, name: 'break_glass' },
      { version: 13, name: 'reminders_and_escalation' },
      { version: 14, name: 'pending_extensions' },
      { version: 15, name: 'audit_pending' },
    ]);
  });

  it('lets the jobs table hold Boundary sign-out jobs, and nothing it does not know', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(pool, projectMigrations);
    await pool.query(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version,
        created_at, pending_until, updated_at) VALUES ('req_A', 'U0SRE0001', 'prod-ssh', 'why', 60, 1, 'ended', 1, 1, 2, 1)`);
    const insert = (kind: string) =>
      pool.query("INSERT INTO jobs (kind, request_id, run_at, created_at, updated_at) VALUES ($1, 'req_A', 1, 1, 1)", [kind]);
    await insert('sign_out');
    await insert('extend');
    await expect(insert('sign-out')).rejects.toThrow(/jobs_kind_check/);
  });

  it('gives the jobs still to run that were queued as revoke the kind that says what they do, and keeps the finished ones', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(
      pool,
      projectMigrations.filter((migration) => migration.version < 8),
    );
    const insertJob = (request: string, state: string) =>
      pool.query("INSERT INTO jobs (kind, request_id, state, run_at, created_at, updated_at) VALUES ('revoke', $1, $2, 5, 1, 1)", [
        request,
        state,
      ]);
    for (const [id, state] of [
      ['req_ENDING', 'active'],
      ['req_FAILED', 'failed'],
      ['req_ENDED', 'ended'],
    ] as const) {
      await pool.query(
        `INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at,
          pending_until, updated_at) VALUES ($1, 'U0SRE0001', 'prod-ssh', 'why', 60, 1, $2, 1, 1, 2, 1)`,
        [id, state],
      );
      await insertJob(id, 'queued');
    }
    await insertJob('req_FAILED', 'done');

    expect(await migrate(pool, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0008_cleanup_jobs.sql' },
        { file: '0009_change_records.sql' },
        { file: '0010_pagerduty.sql' },
        { file: '0011_extensions.sql' },
        { file: '0012_break_glass.sql' },
        { file: '0013_reminders_and_escalation.sql' },
        { file: '0014_pending_extensions.sql' },
        { file: '0015_audit_pending.sql' },
      ],
    });
    const jobs = await pool.query('SELECT request_id AS request, kind, state FROM jobs ORDER BY id');
    expect(jobs.rows).toEqual([
      { request: 'req_ENDING', kind: 'revoke', state: 'queued' },
      { request: 'req_FAILED', kind: 'cleanup', state: 'queued' },
      { request: 'req_ENDED', kind: 'sign_out', state: 'queued' },
      { request: 'req_FAILED', kind: 'revoke', state: 'done' },
    ]);
  });

  it('copies each grant’s end onto its request, so a grant made before the upgrade still ends and is warned on time', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(
      pool,
      projectMigrations.filter((migration) => migration.version < 5),
    );
    const insert = async (id: string, state: string, endsAt: number, endedAt: number | null) => {
      await pool.query(
        `INSERT INTO requests (id, requester_id, principal_id, target_id, reason, duration_minutes, required_approvals, state, version,
          created_at, pending_until, updated_at)
          VALUES ($1, 'U0SRE0001', '33333333-3333-4333-8333-333333333333', 'prod-ssh', 'Granted before the upgrade', 60, 1, $2, 3, 1, 2, 1)`,
        [id, state],
      );
      await pool.query(
        `INSERT INTO grants (request_id, kind, group_id, principal_id, granted_at, ends_at, ended_at)
          VALUES ($1, 'group_membership', 'group-1', '33333333-3333-4333-8333-333333333333', 1000, $2, $3)`,
        [id, endsAt, endedAt],
      );
    };
    await insert('req_OPEN', 'active', 3_601_000, null);
    await insert('req_DONE', 'ended', 1_000_000, 1_000_000);

    expect(await migrate(pool, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0005_deadline_indexes.sql' },
        { file: '0006_audit_head_moves_past_many.sql' },
        { file: '0007_removal_outcome.sql' },
        { file: '0008_cleanup_jobs.sql' },
        { file: '0009_change_records.sql' },
        { file: '0010_pagerduty.sql' },
        { file: '0011_extensions.sql' },
        { file: '0012_break_glass.sql' },
        { file: '0013_reminders_and_escalation.sql' },
        { file: '0014_pending_extensions.sql' },
        { file: '0015_audit_pending.sql' },
      ],
    });
    const requests = new PostgresRequestRepository(pool);
    expect(await requests.nextDeadline(60_000)).toBe(3_601_000 - 60_000);
    expect((await requests.listDue({ kind: 'expiry_warning', warningMs: 60_000 }, 3_541_000, 10)).map((request) => request.id)).toEqual([
      'req_OPEN',
    ]);
    expect(await requests.listDue({ kind: 'expiry' }, 3_600_999, 10)).toEqual([]);
    expect((await requests.listDue({ kind: 'expiry' }, 3_601_000, 10)).map((request) => request.id)).toEqual(['req_OPEN']);

    // A grant written after the upgrade by a replica of the version before it, which knows nothing of the copy:
    // the trigger makes it.
    await insert('req_OLD_WRITER', 'active', 2_000_000, null);
    expect(await requests.nextDeadline(60_000)).toBe(2_000_000 - 60_000);
    await pool.query("UPDATE grants SET ends_at = 2500000 WHERE request_id = 'req_OLD_WRITER'");
    expect(await requests.nextDeadline(60_000)).toBe(2_500_000 - 60_000);
  });

  it('keeps a trail chained before the upgrade whole, the events chained after it following on, and a request’s earlier events counted', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(
      pool,
      projectMigrations.filter((migration) => migration.version < 13),
    );
    const requests = new PostgresRequestRepository(pool);
    // Opened before the upgrade: its event appended to the chain by the change itself, as the bot did then.
    const opened = { at: 1000, requestId: 'req_OLD', actor: 'U0SRE0001', action: 'requested', stateBefore: null, stateAfter: 'pending' };
    await pool.query(
      `INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at,
        pending_until, updated_at) VALUES ('req_OLD', 'U0SRE0001', 'prod-ssh', 'why', 60, 1, 'pending', 1, 1000, 999999, 1000)`,
    );
    const row = { seq: 1, ...opened, detail: '{}', prevHash: GENESIS_HASH };
    await pool.query(
      `INSERT INTO audit_events (seq, at, request_id, actor, action, state_before, state_after, detail, prev_hash, hash)
        VALUES (1, 1000, 'req_OLD', 'U0SRE0001', 'requested', NULL, 'pending', '{}', $1, $2)`,
      [GENESIS_HASH, auditHash(row)],
    );
    await pool.query('UPDATE audit_chain_head SET seq = 1, hash = $1', [auditHash(row)]);

    await migrate(pool, projectMigrations);
    const stored = await requests.find('req_OLD');
    if (!stored) throw new Error('no request');
    const cancelled = cancel(stored, 'U0SRE0001', 2000);
    if (!cancelled.ok) throw new Error('refused');
    expect(await requests.apply(stored, cancelled, 2000)).toBe(true);
    await chainPending(pool);
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, rows: 2 });
    expect((await pool.query('SELECT seq, action, request_version FROM audit_events ORDER BY seq')).rows).toEqual([
      { seq: 1, action: 'requested', request_version: null },
      { seq: 2, action: 'cancelled', request_version: 2 },
    ]);
  });

  it('applies nothing the second time', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(pool, projectMigrations);
    expect(await migrate(pool, projectMigrations)).toEqual({ ok: true, applied: [] });
  });

  it('applies each migration once when two replicas start at the same moment', async () => {
    const database = await databaseForThisTest();
    const migrations = withExtraMigrations(4);
    const runs = await Promise.all([migrate(database.openPool(), migrations), migrate(database.openPool(), migrations)]);
    expect(runs.map((run) => run.ok)).toEqual([true, true]);
    const applied = runs.flatMap((run) => (run.ok ? run.applied.map((migration) => migration.version) : []));
    expect(applied.sort((a, b) => a - b)).toEqual(migrations.map((migration) => migration.version));
    expect(await recorded(database.openPool())).toHaveLength(migrations.length);
  });

  it('refuses a database written by a newer version', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(pool, withExtraMigrations(1));
    const newer = projectMigrations.length + 1;
    expect(await migrate(pool, projectMigrations)).toEqual({
      ok: false,
      error: `the database has migration ${newer} (extra_${newer}), which this version does not know: it was written by a newer version`,
    });
  });

  it('refuses a database whose applied migration was edited since', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(pool, projectMigrations);
    const edited = projectMigrations.map((migration) => (migration.version === 1 ? { ...migration, checksum: 'changed' } : migration));
    expect(await migrate(pool, edited)).toEqual({
      ok: false,
      error: 'migration 1 (initial) was changed after it was applied; migrations are forward-only, add a new one instead',
    });
  });

  it('rolls back a migration that fails halfway, leaving it unrecorded', async () => {
    const pool = (await databaseForThisTest()).openPool();
    const broken = [
      {
        file: '0001_broken.sql',
        version: 1,
        name: 'broken',
        checksum: 'x',
        sql: 'CREATE TABLE a (x INTEGER); CREATE TABLE a (y INTEGER);',
      },
    ];
    await expect(migrate(pool, broken)).rejects.toThrow(/relation "a" already exists/);
    // The whole transaction is undone, the migrations table made in it included.
    expect(await tableNames(pool)).toEqual([]);
    expect(await migrate(pool, projectMigrations)).toMatchObject({
      ok: true,
      applied: projectMigrations.map((migration) => ({ version: migration.version })),
    });
  });

  it('keeps the audit trail append-only: no row is edited or deleted, and the table is never truncated', async () => {
    const pool = (await databaseForThisTest()).openPool();
    await migrate(pool, projectMigrations);
    await pool.query(`INSERT INTO audit_events (seq, at, actor, action, prev_hash, hash) VALUES (1, 0, 'U0ADMIN01', 'test', 'p', 'h')`);
    for (const statement of [
      "UPDATE audit_events SET actor = 'someone else'",
      'DELETE FROM audit_events',
      'TRUNCATE audit_events',
      'DELETE FROM audit_chain_head',
      'UPDATE audit_chain_head SET seq = 5',
      "UPDATE audit_chain_head SET seq = 1, hash = 'not the row''s'",
    ]) {
      await expect(pool.query(statement), statement).rejects.toThrow(
        /the audit (trail is append-only|chain head moves forward, onto a row)/,
      );
    }
    await pool.query("UPDATE audit_chain_head SET seq = 1, hash = 'h'");
    await expect(pool.query("UPDATE audit_chain_head SET seq = 0, hash = repeat('0', 64)")).rejects.toThrow(/moves forward/);
    expect((await pool.query('SELECT actor FROM audit_events')).rows).toEqual([{ actor: 'U0ADMIN01' }]);
  });
});
