import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMigrationsDirectory, readMigrations } from '../../../src/adapters/sql/migration-files.js';
import { openDatabase } from '../../../src/adapters/sqlite/database.js';
import { migrate } from '../../../src/adapters/sqlite/migrations.js';
import { SqliteRequestRepository } from '../../../src/adapters/sqlite/request-repository.js';
import { tempDatabaseFile } from '../../support/database.js';

const projectMigrations = readMigrations(findMigrationsDirectory());

function tableNames(db: ReturnType<typeof openDatabase>): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
  ).map((row) => row.name);
}

describe('migrations', () => {
  it('creates the store on an empty database and records what it applied', () => {
    const db = openDatabase(tempDatabaseFile());
    const result = migrate(db, projectMigrations);
    expect(result.ok && result.applied.map((migration) => migration.version)).toEqual(
      projectMigrations.map((migration) => migration.version),
    );
    expect(tableNames(db)).toEqual(['audit_events', 'decisions', 'grants', 'jobs', 'requests', 'schema_migrations', 'slack_messages']);
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual(
      projectMigrations.map((migration) => ({ version: migration.version, name: migration.name })),
    );
    expect(projectMigrations.map((migration) => migration.file)).toEqual([
      '0001_initial.sql',
      '0002_principal_and_expiry_warning.sql',
      '0003_slack_messages.sql',
      '0004_grant_journal.sql',
      '0005_held_by_and_cleanup_scan.sql',
      '0006_sign_out_jobs.sql',
      '0007_case_insensitive_member_index.sql',
      '0008_deadline_indexes.sql',
      '0009_removal_outcome.sql',
      '0010_cleanup_jobs.sql',
      '0011_change_records.sql',
      '0012_pagerduty.sql',
      '0013_extensions.sql',
      '0014_break_glass.sql',
      '0015_reminders_and_escalation.sql',
      '0016_pending_extensions.sql',
    ]);
  });

  it('opens the file in WAL mode with foreign keys and a busy timeout', () => {
    const db = openDatabase(tempDatabaseFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('applies nothing the second time', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(db, projectMigrations);
    expect(migrate(db, projectMigrations)).toEqual({ ok: true, applied: [] });
  });

  it('rebuilds the jobs table for sign-out jobs, keeping every job and its numbering', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(
      db,
      projectMigrations.filter((migration) => migration.version < 6),
    );
    db.prepare(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES ('req_OLD', 'U0SRE0001', 'prod-ssh', 'Kept across upgrades', 60, 1, 'ended', 1, 1, 2, 1)`).run();
    const insertJob = db.prepare(
      "INSERT INTO jobs (kind, request_id, state, attempts, run_at, created_at, updated_at) VALUES (?, 'req_OLD', ?, ?, 5, 1, 1)",
    );
    insertJob.run('revoke', 'queued', 2);
    insertJob.run('notify', 'done', 1);
    expect(() => insertJob.run('sign_out', 'queued', 0)).toThrow(/CHECK constraint failed/);

    expect(
      migrate(
        db,
        projectMigrations.filter((migration) => migration.version < 7),
      ),
    ).toMatchObject({
      ok: true,
      applied: [{ file: '0006_sign_out_jobs.sql' }],
    });
    expect(db.prepare('SELECT id, kind, state, attempts FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, kind: 'revoke', state: 'queued', attempts: 2 },
      { id: 2, kind: 'notify', state: 'done', attempts: 1 },
    ]);
    expect(insertJob.run('sign_out', 'queued', 0).lastInsertRowid).toBe(3);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['jobs_due', 'jobs_running']);
  });

  it('gives the jobs still to run that were queued as revoke the kind that says what they do, and keeps the finished ones', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(
      db,
      projectMigrations.filter((migration) => migration.version < 10),
    );
    const insertRequest = db.prepare(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals,
        state, version, created_at, pending_until, updated_at) VALUES (?, 'U0SRE0001', 'prod-ssh', 'why', 60, 1, ?, 1, 1, 2, 1)`);
    const insertJob = db.prepare('INSERT INTO jobs (kind, request_id, state, run_at, created_at, updated_at) VALUES (?, ?, ?, 5, 1, 1)');
    for (const [id, state] of [
      ['req_ENDING', 'active'],
      ['req_FAILED', 'failed'],
      ['req_ENDED', 'ended'],
    ] as const) {
      insertRequest.run(id, state);
      insertJob.run('revoke', id, 'queued');
    }
    insertJob.run('revoke', 'req_FAILED', 'done');
    expect(() => insertJob.run('cleanup', 'req_FAILED', 'queued')).toThrow(/CHECK constraint failed/);

    expect(migrate(db, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0010_cleanup_jobs.sql' },
        { file: '0011_change_records.sql' },
        { file: '0012_pagerduty.sql' },
        { file: '0013_extensions.sql' },
        { file: '0014_break_glass.sql' },
        { file: '0015_reminders_and_escalation.sql' },
        { file: '0016_pending_extensions.sql' },
      ],
    });
    expect(db.prepare('SELECT id, request_id AS request, kind, state FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, request: 'req_ENDING', kind: 'revoke', state: 'queued' },
      { id: 2, request: 'req_FAILED', kind: 'cleanup', state: 'queued' },
      { id: 3, request: 'req_ENDED', kind: 'sign_out', state: 'queued' },
      { id: 4, request: 'req_FAILED', kind: 'revoke', state: 'done' },
    ]);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['jobs_by_request', 'jobs_due', 'jobs_queued_by_kind', 'jobs_running']);
  });

  it('rebuilds the jobs table for change-record jobs, keeping every job, its numbering and its indexes', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(
      db,
      projectMigrations.filter((migration) => migration.version < 11),
    );
    db.prepare(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES ('req_OLD', 'U0SRE0001', 'prod-ssh', 'Kept across upgrades', 60, 1, 'active', 1, 1, 2, 1)`).run();
    const insertJob = db.prepare(
      "INSERT INTO jobs (kind, request_id, state, attempts, run_at, created_at, updated_at) VALUES (?, 'req_OLD', ?, 0, 5, 1, 1)",
    );
    insertJob.run('grant', 'done');
    insertJob.run('notify', 'queued');
    expect(() => insertJob.run('change_record', 'queued')).toThrow(/CHECK constraint failed/);

    expect(migrate(db, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0011_change_records.sql' },
        { file: '0012_pagerduty.sql' },
        { file: '0013_extensions.sql' },
        { file: '0014_break_glass.sql' },
        { file: '0015_reminders_and_escalation.sql' },
        { file: '0016_pending_extensions.sql' },
      ],
    });
    insertJob.run('change_record', 'queued');
    expect(db.prepare('SELECT id, kind, state FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, kind: 'grant', state: 'done' },
      { id: 2, kind: 'notify', state: 'queued' },
      { id: 3, kind: 'change_record', state: 'queued' },
    ]);
    expect(
      db.prepare("SELECT change_sys_id, change_number, change_state, change_problem FROM requests WHERE id = 'req_OLD'").get(),
    ).toEqual({
      change_sys_id: null,
      change_number: null,
      change_state: null,
      change_problem: null,
    });
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['jobs_by_request', 'jobs_due', 'jobs_queued_by_kind', 'jobs_running']);
  });

  it('rebuilds the jobs table for extend jobs, keeping every job, its numbering and its indexes', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(
      db,
      projectMigrations.filter((migration) => migration.version < 13),
    );
    db.prepare(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES ('req_OLD', 'U0SRE0001', 'prod-ssh', 'Kept across upgrades', 60, 1, 'active', 1, 1, 2, 1)`).run();
    const insertJob = db.prepare(
      "INSERT INTO jobs (kind, request_id, state, run_at, created_at, updated_at) VALUES (?, 'req_OLD', ?, 5, 1, 1)",
    );
    insertJob.run('grant', 'done');
    insertJob.run('change_record', 'queued');
    expect(() => insertJob.run('extend', 'queued')).toThrow(/CHECK constraint failed/);

    expect(migrate(db, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0013_extensions.sql' },
        { file: '0014_break_glass.sql' },
        { file: '0015_reminders_and_escalation.sql' },
        { file: '0016_pending_extensions.sql' },
      ],
    });
    expect(db.prepare('SELECT id, kind, state FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, kind: 'grant', state: 'done' },
      { id: 2, kind: 'change_record', state: 'queued' },
    ]);
    expect(insertJob.run('extend', 'queued').lastInsertRowid).toBe(3);
    expect(insertJob.run('change_record', 'queued').lastInsertRowid).toBe(4);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['jobs_by_request', 'jobs_due', 'jobs_queued_by_kind', 'jobs_running']);
    expect(db.prepare("SELECT extended_minutes, extension_minutes FROM requests WHERE id = 'req_OLD'").get()).toEqual({
      extended_minutes: null,
      extension_minutes: null,
    });
  });

  it('copies each grant’s end onto its request, so a grant made before the upgrade still ends and is warned on time', async () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(
      db,
      projectMigrations.filter((migration) => migration.version < 8),
    );
    const insertRequest = db.prepare(`INSERT INTO requests (id, requester_id, principal_id, target_id, reason, duration_minutes,
        required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES (?, 'U0SRE0001', '33333333-3333-4333-8333-333333333333', 'prod-ssh', 'Granted before the upgrade', 60, 1, ?, 3, 1, 2, 1)`);
    const insertGrant = db.prepare(`INSERT INTO grants (request_id, kind, group_id, principal_id, granted_at, ends_at, ended_at)
        VALUES (?, 'group_membership', 'group-1', '33333333-3333-4333-8333-333333333333', 1000, ?, ?)`);
    insertRequest.run('req_OPEN', 'active');
    insertGrant.run('req_OPEN', 3_601_000, null);
    insertRequest.run('req_DONE', 'ended');
    insertGrant.run('req_DONE', 1_000_000, 1_000_000);

    expect(migrate(db, projectMigrations)).toMatchObject({
      ok: true,
      applied: [
        { file: '0008_deadline_indexes.sql' },
        { file: '0009_removal_outcome.sql' },
        { file: '0010_cleanup_jobs.sql' },
        { file: '0011_change_records.sql' },
        { file: '0012_pagerduty.sql' },
        { file: '0013_extensions.sql' },
        { file: '0014_break_glass.sql' },
        { file: '0015_reminders_and_escalation.sql' },
        { file: '0016_pending_extensions.sql' },
      ],
    });
    const requests = new SqliteRequestRepository(db);
    expect(await requests.nextDeadline(60_000)).toBe(3_601_000 - 60_000);
    expect((await requests.listDue({ kind: 'expiry_warning', warningMs: 60_000 }, 3_541_000, 10)).map((request) => request.id)).toEqual([
      'req_OPEN',
    ]);
    expect(await requests.listDue({ kind: 'expiry' }, 3_600_999, 10)).toEqual([]);
    expect((await requests.listDue({ kind: 'expiry' }, 3_601_000, 10)).map((request) => request.id)).toEqual(['req_OPEN']);

    // A grant written after the upgrade by the version before it (a replica not yet replaced), which knows
    // nothing of the copy: the trigger makes it.
    insertRequest.run('req_OLD_WRITER', 'active');
    insertGrant.run('req_OLD_WRITER', 2_000_000, null);
    expect(await requests.nextDeadline(60_000)).toBe(2_000_000 - 60_000);
    db.prepare("UPDATE grants SET ends_at = 2500000 WHERE request_id = 'req_OLD_WRITER'").run();
    expect(await requests.nextDeadline(60_000)).toBe(2_500_000 - 60_000);
  });

  it('migrates a database written by an older version, keeping its data', () => {
    const file = tempDatabaseFile();
    const older = openDatabase(file);
    migrate(older, projectMigrations);
    older
      .prepare(`INSERT INTO requests (id, requester_id, target_id, reason, duration_minutes, required_approvals, state, version, created_at, pending_until, updated_at)
        VALUES ('req_OLD', 'U0SRE0001', 'prod-ssh', 'Kept across upgrades', 60, 1, 'pending', 1, 1, 2, 1)`)
      .run();
    older.close();

    const directory = mkdtempSync(join(tmpdir(), 'jit-migrations-'));
    for (const migration of projectMigrations) {
      copyFileSync(join(findMigrationsDirectory(), migration.file), join(directory, migration.file));
    }
    const next = String(projectMigrations.length + 1).padStart(4, '0');
    writeFileSync(join(directory, `${next}_add_note.sql`), 'ALTER TABLE requests ADD COLUMN note TEXT;');

    const newer = openDatabase(file);
    const result = migrate(newer, readMigrations(directory));
    expect(result.ok && result.applied.map((migration) => migration.name)).toEqual(['add_note']);
    expect(newer.prepare("SELECT reason, note FROM requests WHERE id = 'req_OLD'").get()).toEqual({
      reason: 'Kept across upgrades',
      note: null,
    });
  });

  it('refuses a database whose applied migration was edited since', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(db, projectMigrations);
    const edited = projectMigrations.map((migration) => (migration.version === 1 ? { ...migration, checksum: 'changed' } : migration));
    expect(migrate(db, edited)).toEqual({
      ok: false,
      error: 'migration 1 (initial) was changed after it was applied; migrations are forward-only, add a new one instead',
    });
  });

  it('refuses a database written by a newer version', () => {
    const db = openDatabase(tempDatabaseFile());
    migrate(db, projectMigrations);
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'future', 'x', 0)").run();
    expect(migrate(db, projectMigrations)).toEqual({
      ok: false,
      error: 'the database has migration 99 (future), which this version does not know: it was written by a newer version',
    });
  });

  it('rolls back a migration that fails halfway, leaving it unrecorded', () => {
    const db = openDatabase(tempDatabaseFile());
    const broken = [
      {
        file: '0001_broken.sql',
        version: 1,
        name: 'broken',
        checksum: 'x',
        sql: 'CREATE TABLE a (x INTEGER); CREATE TABLE a (y INTEGER);',
      },
    ];
    expect(() => migrate(db, broken)).toThrow(/table a already exists/);
    expect(tableNames(db)).toEqual(['schema_migrations']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 });
  });

  it('refuses migration files that are misnamed or numbered with gaps', () => {
    const directory = mkdtempSync(join(tmpdir(), 'jit-migrations-'));
    writeFileSync(join(directory, '0001_first.sql'), 'SELECT 1;');
    writeFileSync(join(directory, '0003_third.sql'), 'SELECT 1;');
    expect(() => readMigrations(directory)).toThrow('migrations must be numbered 0001, 0002, … without gaps; found 3 at position 2');
    writeFileSync(join(directory, 'add-stuff.sql'), 'SELECT 1;');
    expect(() => readMigrations(directory)).toThrow('migration add-stuff.sql is not named NNNN_name.sql');
  });
});
