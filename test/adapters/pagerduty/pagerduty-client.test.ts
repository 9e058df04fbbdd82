// What the PagerDuty client does beyond the contract: the headers it sends, paging, the email cache, its deadline
// (rate-limit waits included), and failures that never carry the API key.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PagerDutySimulator, type PagerDutySimulatorOptions } from '../../../simulators/pagerduty/pagerduty-simulator.js';
import { PagerDutyClient, type PagerDutyClientOptions } from '../../../src/adapters/pagerduty/pagerduty-client.js';
import type { OutsideFailure } from '../../../src/application/ports.js';

const T0 = Date.parse('2030-03-04T10:00:00Z');

let sim: PagerDutySimulator | undefined;
let raw: Server | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  if (raw) {
    raw.closeAllConnections();
    await new Promise((resolve) => raw?.close(resolve));
    raw = undefined;
  }
});

async function started(options: PagerDutySimulatorOptions = {}): Promise<PagerDutySimulator> {
  sim = await PagerDutySimulator.start({ now: () => T0, ...options });
  return sim;
}

function clientOf(simulator: PagerDutySimulator, options: Partial<PagerDutyClientOptions> = {}): PagerDutyClient {
  return new PagerDutyClient({ apiUrl: simulator.url, token: simulator.token, ...options });
}

/** A server that answers every request with the same body, as a PagerDuty would that ignored the filters. */
async function answering(body: unknown): Promise<string> {
  raw = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => raw?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
}

describe('requests', () => {
  it('sends the key as Token token=… and pins version 2 in Accept, on every call', async () => {
    const simulator = await started();
    const client = clientOf(simulator);
    await client.findUserByEmail('ann@example.com');
    await client.onCallNow('PANN001', { scheduleIds: ['PSCHED1'], escalationPolicyIds: [] });
    await client.findIncident('1');
    expect(simulator.log.map(({ authorization, accept, status }) => ({ authorization, accept, status }))).toEqual(
      Array(3).fill({ authorization: 'valid', accept: 'application/vnd.pagerduty+json;version=2', status: expect.any(Number) }),
    );
    expect(simulator.log.map((entry) => entry.status)).toEqual([200, 200, 404]);
  });

  it('asks for the person’s on-calls for schedules and for policies separately, since distinct filters intersect', async () => {
    const simulator = await started();
    await clientOf(simulator).onCallNow('PANN001', { scheduleIds: ['PS1', 'PS2'], escalationPolicyIds: ['PE1'] });
    const asked = simulator.log.map((entry) => [...entry.query.entries()].filter(([name]) => !['limit', 'offset'].includes(name)));
    expect(asked).toHaveLength(2);
    expect(asked).toContainEqual([
      ['user_ids[]', 'PANN001'],
      ['schedule_ids[]', 'PS1'],
      ['schedule_ids[]', 'PS2'],
    ]);
    expect(asked).toContainEqual([
      ['user_ids[]', 'PANN001'],
      ['escalation_policy_ids[]', 'PE1'],
    ]);
    // No time range: PagerDuty answers for now by its own clock, whatever the bot's says.
    expect(simulator.log.every((entry) => !entry.query.has('since') && !entry.query.has('until'))).toBe(true);
  });

  it('asks nothing for an empty scope', async () => {
    const simulator = await started();
    expect(await clientOf(simulator).onCallNow('PANN001', { scheduleIds: [], escalationPolicyIds: [] })).toEqual({ ok: true, entries: [] });
    expect(simulator.log).toEqual([]);
  });
});

describe('findUserByEmail', () => {
  it('reads every page of the search: an exact match past the first page is found, and a second one is noticed', async () => {
    const simulator = await started();
    // 120 users whose emails contain the address and whose names sort first: the exact match is on page two.
    for (let n = 0; n < 120; n++) simulator.addUser({ name: `A ${String(n).padStart(3, '0')}`, email: `x${n}.ann@example.com` });
    const ann = simulator.addUser({ name: 'Zed', email: 'ann@example.com' });
    const client = clientOf(simulator);

    expect(await client.findUserByEmail('ann@example.com')).toEqual({ ok: true, userId: ann.id });
    expect(simulator.log.map((entry) => [entry.query.get('limit'), entry.query.get('offset')])).toEqual([
      ['100', '0'],
      ['100', '100'],
    ]);

    simulator.addUser({ name: 'A', email: 'ANN@example.com' });
    // A different spelling of the address is the same cache entry: a new client asks again.
    expect(await clientOf(simulator).findUserByEmail('Ann@Example.com')).toMatchObject({ ok: false, kind: 'ambiguous' });
  });

  it('keeps a found user for five minutes, and asks again after', async () => {
    const simulator = await started();
    const ann = simulator.addUser({ name: 'Ann', email: 'ann@example.com' });
    let now = T0;
    const client = clientOf(simulator, { now: () => now });

    expect(await client.findUserByEmail('ann@example.com')).toEqual({ ok: true, userId: ann.id });
    expect(await client.findUserByEmail('ANN@example.com')).toEqual({ ok: true, userId: ann.id });
    expect(simulator.log).toHaveLength(1);
    now += 5 * 60_000;
    await client.findUserByEmail('ann@example.com');
    expect(simulator.log).toHaveLength(2);
  });

  it('does not keep a user it did not find', async () => {
    const simulator = await started();
    const client = clientOf(simulator);
    expect(await client.findUserByEmail('ann@example.com')).toMatchObject({ ok: false, kind: 'not_found' });
    const ann = simulator.addUser({ name: 'Ann', email: 'ann@example.com' });
    expect(await client.findUserByEmail('ann@example.com')).toEqual({ ok: true, userId: ann.id });
  });
});

describe('answers it does not trust', () => {
  it('keeps only the person’s own on-calls within the scope, should PagerDuty ignore a filter and answer everyone’s', async () => {
    const entry = (user: string, schedule: string | null, policy: string) => ({
      user: { id: user, type: 'user_reference' },
      schedule: schedule && { id: schedule, type: 'schedule_reference' },
      escalation_policy: { id: policy, type: 'escalation_policy_reference' },
      escalation_level: 1,
      start: '2030-03-04T09:00:00Z',
      end: '2030-03-04T11:00:00Z',
    });
    const url = await answering({
      oncalls: [entry('PBOB001', 'PS1', 'PE1'), entry('PANN001', 'PS9', 'PE9'), entry('PANN001', 'PS1', 'PE1')],
      limit: 100,
      offset: 0,
      more: false,
      total: null,
    });
    const found = await new PagerDutyClient({ apiUrl: url, token: 'key' }).onCallNow('PANN001', {
      scheduleIds: ['PS1'],
      escalationPolicyIds: [],
    });
    expect(found).toEqual({
      ok: true,
      entries: [
        {
          escalationPolicyId: 'PE1',
          escalationLevel: 1,
          scheduleId: 'PS1',
          start: Date.parse('2030-03-04T09:00:00Z'),
          end: Date.parse('2030-03-04T11:00:00Z'),
        },
      ],
    });
  });

  it('answers a malformed page, or an incident other than the one asked for, as a permanent failure', async () => {
    const url = await answering({ incident: { id: 'QOTHER1', incident_number: 5, title: 'x', status: 'triggered', html_url: 'x' } });
    const client = new PagerDutyClient({ apiUrl: url, token: 'key' });
    expect(await client.findIncident('QASKED1')).toMatchObject({ ok: false, kind: 'permanent', code: 'PagerDutyBadReply' });
    expect(await client.findIncident('6')).toMatchObject({ ok: false, kind: 'permanent', code: 'PagerDutyBadReply' });
    expect(await client.findUserByEmail('ann@example.com')).toMatchObject({ ok: false, kind: 'permanent', code: 'PagerDutyBadReply' });
  });
});

describe('rate limits and the deadline', () => {
  it('waits out a 429 whose ratelimit-reset fits within the deadline, then answers', async () => {
    const simulator = await started();
    const ann = simulator.addUser({ name: 'Ann', email: 'ann@example.com' });
    simulator.injectFault({ route: 'GET /users', status: 429, retryAfterSeconds: 1 });
    const begun = performance.now();
    expect(await clientOf(simulator).findUserByEmail('ann@example.com')).toEqual({ ok: true, userId: ann.id });
    expect(performance.now() - begun).toBeGreaterThanOrEqual(950);
    expect(simulator.log.map((entry) => entry.status)).toEqual([429, 200]);
  });

  it('answers a 429 whose reset falls past the deadline at once, as transient with when to retry', async () => {
    const simulator = await started();
    simulator.injectFault({ route: 'GET /oncalls', status: 429, retryAfterSeconds: 20 });
    const begun = performance.now();
    const found = await clientOf(simulator).onCallNow('PANN001', { scheduleIds: ['PS1'], escalationPolicyIds: [] });
    expect(found).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 20_000 });
    expect(performance.now() - begun).toBeLessThan(1000);
    expect(simulator.log).toHaveLength(1);
  });

  it('answers a 429 without headers as transient, without guessing a wait', async () => {
    const simulator = await started();
    simulator.injectFault({ route: 'GET /incidents/', status: 429, bare: true });
    const found = await clientOf(simulator).findIncident('1');
    expect(found).toMatchObject({ ok: false, kind: 'transient' });
    expect(found).not.toHaveProperty('retryAfterMs');
  });

  it('answers as transient when PagerDuty is slower than the deadline', async () => {
    const simulator = await started();
    simulator.injectFault({ route: 'GET /incidents/', latencyMs: 600 });
    const found = await clientOf(simulator, { timeoutMs: 200 }).findIncident('1');
    expect(found).toEqual({ ok: false, kind: 'transient', message: 'PagerDuty GET /incidents/{id}: no answer within 200 ms' });
  });

  it('answers a dropped connection, a refused one and a 503 as transient, the 503 with its Retry-After', async () => {
    const simulator = await started();
    const client = clientOf(simulator);
    simulator.injectFault({ route: 'GET /incidents/', drop: true });
    expect(await client.findIncident('1')).toMatchObject({ ok: false, kind: 'transient' });
    simulator.injectFault({ route: 'GET /incidents/', status: 503, retryAfterSeconds: 4 });
    expect(await client.findIncident('1')).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 4000 });
    await simulator.stop();
    expect(await client.findIncident('1')).toMatchObject({
      ok: false,
      kind: 'transient',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});

describe('the API key', () => {
  it('answers a refused key as a permanent failure naming PAGERDUTY_TOKEN, never the key', async () => {
    const simulator = await started();
    const wrong = 'u+wrong-key-SECRET-42';
    const found = await clientOf(simulator, { token: wrong }).findIncident('1');
    expect(found).toMatchObject({ ok: false, kind: 'permanent', code: 'PagerDutyAuthFailed' });
    expect((found as OutsideFailure).message).toContain('PAGERDUTY_TOKEN');
    expect(JSON.stringify(found)).not.toContain(wrong);
  });

  it('never shows the key in a failure, even where PagerDuty’s own message repeats it', async () => {
    const simulator = await started();
    const client = clientOf(simulator);
    const failures: unknown[] = [];
    simulator.injectFault({ route: '', status: 400, error: { code: '2001', message: `bad key ${simulator.token}` } });
    failures.push(await client.findIncident('1'));
    simulator.injectFault({ route: '', status: 403 });
    failures.push(await client.onCallNow('PANN001', { scheduleIds: ['PS1'], escalationPolicyIds: [] }));
    simulator.injectFault({ route: '', status: 500 });
    failures.push(await client.findUserByEmail('ann@example.com'));
    expect(failures).toEqual([
      expect.objectContaining({ ok: false, kind: 'permanent', message: expect.stringContaining('bad key [redacted]') }),
      expect.objectContaining({ ok: false, kind: 'permanent', code: 'PagerDutyAccessDenied' }),
      expect.objectContaining({ ok: false, kind: 'transient' }),
    ]);
    expect(JSON.stringify(failures)).not.toContain(simulator.token);
  });
});
