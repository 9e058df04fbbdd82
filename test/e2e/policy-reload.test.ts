// The policy file is read again when it changes, by each replica on its own, and on SIGHUP: a valid file takes
// effect for waiting requests too; an invalid one keeps the policy in force and tells the admins by DM with the
// file, line and field, once for each content refused. /healthz and the log name the policy in force by the
// sha256 of the file.

import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { prodDb, targetYaml } from '../../simulators/policies.js';
import { sqliteOf, startSimulators } from '../../simulators/sandbox.js';
import { waitFor } from '../support/wait-for.js';
import { APPROVALS, DEFAULT_POLICY, PEOPLE, startWorld, stopWorld, type World } from '../support/world.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
// Short, so that the tests need not wait for the default.
const POLICY_CHECK_MS = 50;

// The default policy with a third target; a `required` above its one approver makes the file invalid.
const withStaging = (required: number) =>
  `${DEFAULT_POLICY}${targetYaml(prodDb({ id: 'staging-db', name: 'Staging databases', approvers: { users: ['U0MANAGER1'], required } }))}`;
const WITH_STAGING = withStaging(1);
const INVALID = DEFAULT_POLICY.replace('approvers: { channel', 'aprovers: { channel');

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function policyInForce(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${world?.bot.httpPort}/healthz`);
  const body = (await response.json()) as { policy: { sha256: string } };
  return body.policy.sha256;
}

let world: World | undefined;

afterEach(async () => {
  const violations = await stopWorld(world);
  world = undefined;
  expect(violations).toEqual([]);
});

describe('reloading the policy on SIGHUP', () => {
  it('keeps the policy in force when the new file is invalid, and tells the admins where it is wrong', async () => {
    world = await startWorld();
    writeFileSync(world.policyFile, DEFAULT_POLICY.replace('approvers: { channel', 'aprovers: { channel'));
    const outcome = await world.bot.reloadPolicy();
    expect(outcome).toMatchObject({ ok: false });
    const admin = world.slack.person('U0ADMIN01');
    const dm = await world.slack.waitFor(() => admin.dms()[0], 3000, 'the admin DM');
    expect(dm.text).toMatch(/^The policy file was not reloaded/);
    expect(dm.text).toMatch(/policy\.yml:\d+:\d+: targets\[0\]\.aprovers: unknown field "aprovers"/);
    // The old policy still works: a request reaches the approvers.
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    expect((await sam.submit({ reason: 'Investigating incident INC-42 on web-1' })).errors).toEqual({});
  });

  it('applies a valid file to a waiting request: an approver removed from the policy can no longer approve', async () => {
    world = await startWorld();
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    await sam.submit({ reason: 'Investigating incident INC-42 on web-1' });
    const card = await world.slack.waitFor(() => world?.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');

    writeFileSync(
      world.policyFile,
      DEFAULT_POLICY.replace('users: [U0MANAGER1, U0MANAGER2], required: 1', 'users: [U0MANAGER2], required: 1'),
    );
    expect(await world.bot.reloadPolicy()).toEqual({ ok: true });
    const maria = world.slack.person(PEOPLE.approver1.slack);
    await maria.click('jit_approve', { message: card });
    await world.slack.waitFor(() => maria.ephemerals().length > 0, 3000, 'the refusal');
    expect(maria.ephemerals()[0]?.text).toMatch(/^Only the approvers listed/);
    expect(sqliteOf(world.bot).prepare('SELECT state FROM requests').pluck().get()).toBe('pending');
  });
});

describe('noticing a changed policy file', () => {
  it('applies a rewritten file without SIGHUP: a target added to the file can be requested, and /healthz names the new policy', async () => {
    world = await startWorld({ policyCheckMs: POLICY_CHECK_MS });
    expect(await policyInForce()).toBe(sha256(DEFAULT_POLICY));

    writeFileSync(world.policyFile, WITH_STAGING);
    await waitFor(async () => (await policyInForce()) === sha256(WITH_STAGING), 10_000, 'the new policy in /healthz');
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'staging-db');
    await sam.waitForModal();
    expect((await sam.submit({ reason: 'Checking the staging migration' })).errors).toEqual({});
    const card = await world.slack.waitFor(() => world?.slack.person(PEOPLE.approver1.slack).channel(APPROVALS)[0], 5000, 'the card');
    expect(card.text).toContain('Staging databases');
  });

  it('keeps the policy in force when the rewritten file is invalid, and tells the admins once however often it is read', async () => {
    world = await startWorld({ policyCheckMs: POLICY_CHECK_MS });
    writeFileSync(world.policyFile, INVALID);
    const admin = world.slack.person(PEOPLE.admin.slack);
    const dm = await world.slack.waitFor(() => admin.dms()[0], 10_000, 'the admin DM');
    expect(dm.text).toMatch(/^The policy file was not reloaded/);
    expect(dm.text).toMatch(/policy\.yml:\d+:\d+: targets\[0\]\.aprovers: unknown field "aprovers"/);

    // Many more looks at the same content, and a SIGHUP, tell nobody again.
    await sleep(POLICY_CHECK_MS * 20);
    expect(await world.bot.reloadPolicy()).toMatchObject({ ok: false });
    expect(admin.dms()).toHaveLength(1);
    expect(await policyInForce()).toBe(sha256(DEFAULT_POLICY));
    const sam = world.slack.person(PEOPLE.requester.slack);
    await sam.slash('/jit', 'prod-ssh');
    await sam.waitForModal();
    expect((await sam.submit({ reason: 'Investigating incident INC-42 on web-1' })).errors).toEqual({});

    // A fixed file is taken up, and a new mistake is news again.
    writeFileSync(world.policyFile, WITH_STAGING);
    await waitFor(async () => (await policyInForce()) === sha256(WITH_STAGING), 10_000, 'the fixed policy in /healthz');
    writeFileSync(world.policyFile, withStaging(3));
    await world.slack.waitFor(() => admin.dms()[1], 10_000, 'the second admin DM');
    expect(admin.dms()[1]?.text).toMatch(/targets\[2\]\.approvers\.required/);
  });
});

describe('a bot process', () => {
  it('reads the policy again on SIGHUP, and logs the sha256 of the policy at start and at the reload', async () => {
    const sims = await startSimulators();
    const child: ChildProcess = fork(MAIN, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...sims.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const lines: Record<string, unknown>[] = [];
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      const complete = output.split('\n');
      output = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await sims.slack.stop();
      await sims.graph.stop();
    });
    const logged = (message: string) => waitFor(() => lines.find((line) => line.msg === message), 30_000, `"${message}" in the log`);

    const started = await logged('connected to Slack; jobs running; /healthz and /metrics served');
    expect(started).toMatchObject({ policySha256: sha256(DEFAULT_POLICY) });

    writeFileSync(sims.env.JIT_POLICY_FILE ?? '', WITH_STAGING);
    child.kill('SIGHUP');
    expect(await logged('policy reloaded')).toMatchObject({ cause: 'SIGHUP', targets: 3, policySha256: sha256(WITH_STAGING) });
  }, 60_000);
});
