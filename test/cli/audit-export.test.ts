import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { chainPending } from '../../src/adapters/postgres/audit-chainer.js';
import { PostgresRequestRepository } from '../../src/adapters/postgres/request-repository.js';
import { SqliteRequestRepository } from '../../src/adapters/sqlite/request-repository.js';
import { approve, openRequest } from '../../src/domain/access-request.js';
import { acknowledgeBreakGlass, breakGlass } from '../../src/domain/break-glass.js';
import { openMigratedDatabase, tempDatabaseFile } from '../support/database.js';
import { APPROVER_1, makeTarget, REQUESTER, T0 } from '../support/fixtures.js';
import { migratedDatabaseForThisTest } from '../support/postgres.js';

const script = fileURLToPath(new URL('../../src/cli/audit-export.ts', import.meta.url));
const DAY = 24 * 3_600_000;
let file: string;

async function audit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, '--database', file, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeEach(async () => {
  file = tempDatabaseFile();
  const db = openMigratedDatabase(file);
  const requests = new SqliteRequestRepository(db);
  const target = makeTarget();
  for (const [index, id] of ['req_OLD', 'req_NEW'].entries()) {
    const at = T0 + index * 10 * DAY;
    const reason = index === 0 ? 'Rotate keys, "urgently", then report' : 'Investigating INC-42';
    const opened = openRequest({
      id,
      requesterId: REQUESTER,
      principalId: 'p-1',
      target,
      reason,
      durationMinutes: 60,
      pendingTimeoutMinutes: 60,
      now: at,
    });
    await requests.create(opened, at);
    const approved = approve(opened.request, target, APPROVER_1, at + 1000);
    if (approved.ok) await requests.apply(opened.request, approved, at + 1000);
  }
  db.close();
});

describe('npm run audit', () => {
  it('prints the trail as JSON lines, one event per line, with requester and target', async () => {
    const result = await audit('--format', 'jsonl');
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.seq, line.requestId, line.action, line.stateAfter])).toEqual([
      [1, 'req_OLD', 'requested', 'pending'],
      [2, 'req_OLD', 'approved', 'approved'],
      [3, 'req_NEW', 'requested', 'pending'],
      [4, 'req_NEW', 'approved', 'approved'],
    ]);
    expect(lines[0]).toMatchObject({ requesterId: REQUESTER, targetId: 'prod-ssh', actor: REQUESTER, time: new Date(T0).toISOString() });
  });

  it('prints CSV from a date on, quoting what needs quoting', async () => {
    const all = await audit('--format', 'csv');
    expect(all.stdout.split('\n')[0]).toBe('seq,time,request_id,requester,target,actor,action,state_before,state_after,detail,hash');
    expect(all.stdout).toContain(
      '"{""targetId"":""prod-ssh"",""durationMinutes"":60,""reason"":""Rotate keys, \\""urgently\\"", then report""}"',
    );
    const recent = await audit('--format', 'csv', '--since', new Date(T0 + 5 * DAY).toISOString().slice(0, 10));
    expect(
      recent.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[2]),
    ).toEqual(['req_NEW', 'req_NEW']);
  });

  it('lists with --break-glass only the break-glass requests: each one taken, granted and reviewed', async () => {
    file = tempDatabaseFile();
    const db = openMigratedDatabase(file);
    const requests = new SqliteRequestRepository(db);
    const target = makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } });
    const input = {
      requesterId: REQUESTER,
      principalId: 'p-1',
      target,
      reason: 'Outage INC-7',
      durationMinutes: 60,
      pendingTimeoutMinutes: 60,
    };
    await requests.create(openRequest({ ...input, id: 'req_ASKED', now: T0 }), T0);
    const broken = breakGlass({ ...input, id: 'req_GLASS', now: T0 + 1000 });
    if (!broken.ok) throw new Error(broken.code);
    await requests.create(broken, T0 + 1000);
    const reviewed = acknowledgeBreakGlass(broken.request, APPROVER_1, T0 + 2000, { approver: true, admin: false });
    if (reviewed.ok) await requests.apply(broken.request, reviewed, T0 + 2000);
    db.close();

    const result = await audit('--format', 'jsonl', '--break-glass');
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.requestId, line.action, line.actor])).toEqual([
      ['req_GLASS', 'break_glass', REQUESTER],
      ['req_GLASS', 'break_glass_acknowledged', APPROVER_1],
    ]);
    expect(lines[0]?.detail).toMatchObject({ breakGlass: true, reason: 'Outage INC-7' });
  });

  it('verifies an untouched trail', async () => {
    expect(await audit('--verify')).toMatchObject({ code: 0, stdout: 'audit trail intact: 4 rows, hash chain verified\n' });
  });

  it('detects an edited row even when the append-only trigger was dropped first', async () => {
    const db = openMigratedDatabase(file);
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare("UPDATE audit_events SET actor = 'U0MALLORY1' WHERE seq = 2").run();
    db.close();
    const result = await audit('--verify');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('row 2: its content does not match its hash (the row was edited)');
  });

  it('detects a deleted row and a cut-off tail', async () => {
    const db = openMigratedDatabase(file);
    db.exec('DROP TRIGGER audit_events_no_delete');
    db.prepare('DELETE FROM audit_events WHERE seq IN (2, 4)').run();
    db.close();
    const result = await audit('--verify');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('row 3: rows 2–2 are missing');
    expect(result.stderr).toContain('row 3: does not follow row 1');
    expect(result.stderr).toContain('rows 4–4 were written and are gone (the end of the trail was cut off)');
  });

  it('refuses bad arguments with a clear message', async () => {
    expect(await audit('--format', 'xml')).toMatchObject({ code: 2, stderr: '--format must be csv or jsonl; got "xml"\n' });
    expect(await audit('--since', 'last tuesday')).toMatchObject({ code: 2, stderr: expect.stringContaining('--since must be a date') });
  });
});

describe('the audit export on PostgreSQL (JIT_DATABASE_URL)', () => {
  async function storedRequest() {
    const database = await migratedDatabaseForThisTest();
    const requests = new PostgresRequestRepository(database.pool);
    const opened = openRequest({
      id: 'req_PG',
      requesterId: REQUESTER,
      principalId: 'p-1',
      target: makeTarget(),
      reason: 'Investigating INC-42',
      durationMinutes: 60,
      pendingTimeoutMinutes: 60,
      now: T0,
    });
    await requests.create(opened, T0);
    const runWith = async (settings: Record<string, string>, ...args: string[]) => {
      try {
        const env = { ...process.env, ...settings };
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { env });
        return { code: 0, stdout };
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string };
      }
    };
    const run = (...args: string[]) => runWith({ JIT_DATABASE_URL: database.url }, ...args);
    return { pool: database.pool, url: database.url, run, runWith };
  }

  it('prints and verifies the shared trail, and names an edited row', async () => {
    const { pool, url: databaseUrl, run, runWith } = await storedRequest();
    await chainPending(pool);
    expect((await run('--format', 'jsonl')).stdout).toContain('"requestId":"req_PG"');
    expect(await run('--verify')).toMatchObject({ code: 0, stdout: 'audit trail intact: 1 rows, hash chain verified\n' });

    // As in Docker Compose: the URL without the password, the password in a secret's file.
    const url = new URL(databaseUrl);
    const passwordFile = join(mkdtempSync(join(tmpdir(), 'jit-audit-')), 'postgres-password');
    writeFileSync(passwordFile, `${decodeURIComponent(url.password)}\n`);
    url.password = '';
    const fromFile = { JIT_DATABASE_URL: url.toString(), JIT_DATABASE_PASSWORD_FILE: passwordFile };
    expect(await runWith(fromFile, '--verify')).toMatchObject({ code: 0, stdout: 'audit trail intact: 1 rows, hash chain verified\n' });

    await pool.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await pool.query("UPDATE audit_events SET actor = 'U0EVIL0001' WHERE seq = 1");
    expect(await run('--verify')).toMatchObject({ code: 1, stderr: expect.stringContaining('row 1: its content does not match its hash') });
  });

  it('prints the events not chained yet last, without seq or hash, and verifies them until they have waited too long', async () => {
    const { pool, run } = await storedRequest();
    const printed = (await run('--format', 'csv')).stdout.trim().split('\n');
    expect(printed).toHaveLength(2);
    expect(printed[1]).toMatch(/^,2026-11-21T09:00:00\.000Z,req_PG,.*,$/);
    expect(await run('--verify')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        /^audit trail intact: 0 rows, hash chain verified; 1 more events not chained yet \(stored since .+\), checked against their requests\n$/,
      ),
    });

    await pool.query('ALTER TABLE audit_pending DISABLE TRIGGER USER');
    await pool.query('UPDATE audit_pending SET queued_at = queued_at - 3600000');
    expect(await run('--verify')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^audit trail not whole yet: 0 rows, hash chain verified; 1 events have waited to be chained since .+: no replica is chaining them/,
      ),
    });
  });
});
