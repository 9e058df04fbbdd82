import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../src/cli/policy-check.ts', import.meta.url));

async function policyCheck(...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...files]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A policy file with one direct-membership target, `db`: its approvers block as given, then any more lines. */
function dbPolicy(name: string, approvers: string, more = ''): string {
  const file = join(mkdtempSync(join(tmpdir(), 'jit-policy-')), name);
  writeFileSync(
    file,
    `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 30m, max: 2h }
    approvers: ${approvers}
${more}`,
  );
  return file;
}

describe('npm run policy:check', () => {
  it('passes the shipped example and summarises it', async () => {
    const result = await policyCheck('policy.example.yml');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('policy.example.yml: ok — 2 target(s), 1 admin(s), pending timeout 4h, expiry warning 10m');
    expect(result.stdout).toContain(
      'prod-db: group_membership 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b, default 30m, max 2h, 2 of 3 approver(s) in C0APPROVALS',
    );
  });

  it('exits 1 with every problem, each naming the file, line and field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jit-policy-')), 'broken.yml');
    writeFileSync(
      file,
      `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 3h, max: 2h }
    aprovers: { channel: C0APPROVALS, users: [U0MANAGER1] }
`,
    );
    const result = await policyCheck(file);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:3:5: targets[0].approvers: is required`,
      `${file}:6:26: targets[0].duration.default: 3h is above max (2h)`,
      `${file}:7:5: targets[0].aprovers: unknown field "aprovers" (did you mean "approvers"?); allowed here: id, name, description, boundary, grant, duration, approvers, requesters, allow_guests, change_record, auto_approve, incident, extension, break_glass`,
      `${file}: 3 problem(s)`,
    ]);
  });

  it('reports a user group named other than by its id, and summarises the groups of a valid file', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'jit-policy-'));
    const policy = (groups: string) => `version: 1
targets:
  - id: db
    name: Databases
    grant: { kind: group_membership, group_id: 5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b }
    duration: { default: 30m, max: 2h }
    approvers: { channel: C0APPROVALS, groups: ${groups}, required: 2 }
`;
    writeFileSync(join(directory, 'bad.yml'), policy('[db-oncall]'));
    writeFileSync(join(directory, 'good.yml'), policy('[S0ONCALL01]'));
    const bad = await policyCheck(join(directory, 'bad.yml'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `${join(directory, 'bad.yml')}:7:49: targets[0].approvers.groups[0]: must be a Slack user group id such as S0123ABCD`,
    );
    const good = await policyCheck(join(directory, 'good.yml'));
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('2 of 0 approver(s) and members of 1 user group(s) (S0ONCALL01) in C0APPROVALS');
  });

  it('checks the PagerDuty blocks for their shape and says what they need from the environment', async () => {
    const file = dbPolicy(
      'on-call.yml',
      '{ channel: C0APPROVALS, users: [U0MANAGER1] }',
      `    auto_approve: { on_call: { schedule_ids: [PSCHED01], escalation_policy_ids: [PEP0001], max_level: 2 }, max: 1h }
    incident: optional
`,
    );
    const result = await policyCheck(file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '    auto-approved up to 1h when on call in PagerDuty (schedules PSCHED01; escalation policies PEP0001; level ≤ 2)',
    );
    expect(result.stdout).toContain('    asks for a PagerDuty incident (optional)');
    expect(result.stdout).toContain('  note: db uses PagerDuty: the bot starts only with PAGERDUTY_TOKEN set');
  });

  it('says when a target reminds its approvers and to whom it escalates', async () => {
    const file = dbPolicy(
      'routing.yml',
      '{ channel: C0APPROVALS, users: [U0MANAGER1], remind_after: 15m, escalate: { after: 1h, users: [U0DIRECTOR1, U0CTO00001] } }',
    );
    const result = await policyCheck(file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('    reminds its approvers after 15m, then at doubling intervals');
    expect(result.stdout).toContain('    escalates to U0DIRECTOR1, U0CTO00001 after 1h without a decision');
  });

  it('refuses an escalation without anyone to escalate to, naming the line and the field', async () => {
    const file = dbPolicy('no-one.yml', '{ channel: C0APPROVALS, users: [U0MANAGER1], escalate: { after: 1h } }');
    const result = await policyCheck(file);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:7:71: targets[0].approvers.escalate.users: is required`,
      `${file}: 1 problem(s)`,
    ]);
  });

  it('exits 2 with usage when given no file', async () => {
    const result = await policyCheck();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run policy:check -- <policy.yml>');
  });
});
