import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutySimulator } from '../../../simulators/pagerduty/pagerduty-simulator.js';

const T0 = Date.parse('2030-03-04T10:00:00Z');
const HOUR = 60 * 60_000;
const ACCEPT = 'application/vnd.pagerduty+json;version=2';

let sim: PagerDutySimulator;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  path: string,
  options: { authorization?: string | null; accept?: string | null; method?: string; body?: unknown } = {},
): Promise<Reply> {
  const authorization = options.authorization === undefined ? `Token token=${sim.token}` : options.authorization;
  const accept = options.accept === undefined ? ACCEPT : options.accept;
  const response = await fetch(`${sim.url}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(authorization !== null && { authorization }),
      ...(accept !== null && { accept }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const ids = (items: unknown) => (items as { id: string }[]).map((item) => item.id);

beforeEach(async () => {
  sim = await PagerDutySimulator.start({ now: () => T0 });
});

afterEach(async () => {
  await sim.stop();
});

describe('authentication and versioning', () => {
  it("answers 401 with PagerDuty's error body to a missing key, a Bearer header and a wrong key", async () => {
    for (const authorization of [null, `Bearer ${sim.token}`, 'Token token=not-the-key', `Token token="${sim.token}"`]) {
      const reply = await call('/users', { authorization });
      expect(reply).toMatchObject({ status: 401, body: { error: { message: 'Authentication failed', code: 2006 } } });
    }
    expect(sim.log.map((entry) => entry.authorization)).toEqual(['missing', 'refused', 'refused', 'refused']);
  });

  it('never writes the key into its request log', async () => {
    await call('/users');
    await call('/users', { authorization: 'Token token=wrong' });
    expect(JSON.stringify(sim.log)).not.toContain(sim.token);
  });

  it('refuses a request that does not pin version 2 in Accept, and takes it among other media types', async () => {
    expect(await call('/users', { accept: null })).toMatchObject({ status: 406, body: { error: { code: 2001 } } });
    expect((await call('/users', { accept: 'application/json' })).status).toBe(406);
    expect((await call('/users', { accept: `application/json, application/vnd.pagerduty+json; version=2` })).status).toBe(200);
  });

  it('refuses every write: the key is read-only', async () => {
    const reply = await call('/incidents', { method: 'POST', body: { incident: { title: 'x' } } });
    expect(reply).toMatchObject({ status: 403, body: { error: { message: 'Access Denied', code: 2010 } } });
  });

  it('answers 404 with a reason to a path it does not model', async () => {
    const reply = await call('/schedules');
    expect(reply).toMatchObject({ status: 404, body: { error: { code: 2100, errors: ['the simulator does not model GET /schedules'] } } });
  });
});

describe('strict parameters', () => {
  it('refuses a set filter written without brackets rather than ignoring it', async () => {
    const reply = await call('/oncalls?user_ids=PABCDEF');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { message: 'Invalid Input Provided', code: 2001 } });
    expect(JSON.stringify(reply.body)).toContain('user_ids[]');
  });

  it('refuses parameters it does not model, and a scalar given twice', async () => {
    expect((await call('/oncalls?include%5B%5D=users')).status).toBe(400);
    expect((await call('/users?team_ids%5B%5D=PTEAM01')).status).toBe(400);
    expect((await call('/incidents/Q0000001?include%5B%5D=assignees')).status).toBe(400);
    expect((await call('/users?limit=5&limit=6')).status).toBe(400);
  });

  it('refuses malformed pagination: a limit past 100, a negative offset, offset + limit past 10000', async () => {
    expect((await call('/users?limit=101')).status).toBe(400);
    expect((await call('/users?limit=0')).status).toBe(400);
    expect((await call('/users?offset=-1')).status).toBe(400);
    expect((await call('/users?limit=100&offset=9901')).status).toBe(400);
    expect((await call('/users?limit=100&offset=9900')).status).toBe(200);
    expect((await call('/users?total=yes')).status).toBe(400);
  });
});

describe('GET /users', () => {
  it('matches the query as a substring of the name or the email, case-insensitively, sorted by name', async () => {
    const ann = sim.addUser({ name: 'Ann Lee', email: 'ann@example.com' });
    const joann = sim.addUser({ name: 'Jo Ann', email: 'joann@example.com' });
    const annika = sim.addUser({ name: 'Annika', email: 'annika@example.net' });
    sim.addUser({ name: 'Bob', email: 'bob@example.com' });

    const byEmail = await call(`/users?query=${encodeURIComponent('ANN@example.com')}`);
    expect(ids(byEmail.body.users)).toEqual([ann.id, joann.id]);

    const byName = await call('/users?query=ann');
    expect(ids(byName.body.users)).toEqual([ann.id, annika.id, joann.id]);
    expect(byName.body.users).toContainEqual(
      expect.objectContaining({ id: ann.id, type: 'user', name: 'Ann Lee', email: 'ann@example.com' }),
    );
  });

  it('pages with limit and offset, says whether there is more, and counts only when asked', async () => {
    for (const name of ['A', 'B', 'C', 'D', 'E']) sim.addUser({ name, email: `${name.toLowerCase()}@example.com` });

    const first = await call('/users?limit=2');
    expect(first.body).toMatchObject({ limit: 2, offset: 0, more: true, total: null });
    expect((first.body.users as unknown[]).length).toBe(2);

    const last = await call('/users?limit=2&offset=4&total=true');
    expect(last.body).toMatchObject({ limit: 2, offset: 4, more: false, total: 5 });
    expect((last.body.users as { name: string }[]).map((user) => user.name)).toEqual(['E']);

    expect((await call('/users')).body).toMatchObject({ limit: 25, offset: 0, more: false });
  });
});

describe('GET /oncalls', () => {
  let primary: string;
  let secondary: string;
  let policy: string;
  let other: string;
  let ann: string;
  let bob: string;

  beforeEach(() => {
    primary = sim.addSchedule({ name: 'Primary' }).id;
    secondary = sim.addSchedule({ name: 'Secondary' }).id;
    policy = sim.addEscalationPolicy({ name: 'Platform' }).id;
    other = sim.addEscalationPolicy({ name: 'Databases' }).id;
    ann = sim.addUser({ name: 'Ann', email: 'ann@example.com' }).id;
    bob = sim.addUser({ name: 'Bob', email: 'bob@example.com' }).id;
  });

  it('answers the on-calls of now when no time range is given', async () => {
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, scheduleId: primary, start: T0 - HOUR, end: T0 + HOUR });
    sim.putOnCall({ userId: bob, escalationPolicyId: policy, scheduleId: primary, start: T0 + HOUR, end: T0 + 2 * HOUR });
    sim.putOnCall({ userId: bob, escalationPolicyId: policy, scheduleId: primary, start: T0 - 2 * HOUR, end: T0 });

    const reply = await call('/oncalls');
    expect(reply.status).toBe(200);
    expect(reply.body.oncalls).toEqual([
      {
        escalation_policy: expect.objectContaining({ id: policy, type: 'escalation_policy_reference', summary: 'Platform' }),
        escalation_level: 1,
        schedule: expect.objectContaining({ id: primary, type: 'schedule_reference', summary: 'Primary' }),
        user: expect.objectContaining({ id: ann, type: 'user_reference', summary: 'Ann' }),
        start: '2030-03-04T09:00:00Z',
        end: '2030-03-04T11:00:00Z',
      },
    ]);
    expect(reply.body).toMatchObject({ limit: 25, offset: 0, more: false, total: null });
  });

  it('follows its clock: an on-call that has ended is no longer answered', async () => {
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, scheduleId: primary, start: T0 - HOUR, end: T0 + HOUR });
    sim.advance(HOUR);
    expect((await call('/oncalls')).body.oncalls).toEqual([]);
  });

  it('intersects distinct set filters, and matches any value within one', async () => {
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, scheduleId: primary, escalationLevel: 1 });
    sim.putOnCall({ userId: ann, escalationPolicyId: other, scheduleId: secondary, escalationLevel: 2 });
    sim.putOnCall({ userId: bob, escalationPolicyId: policy, scheduleId: secondary, escalationLevel: 2 });
    const levels = async (query: string) =>
      ((await call(`/oncalls?${query}`)).body.oncalls as { user: { id: string }; escalation_level: number }[])
        .map((entry) => `${entry.user.id}@${entry.escalation_level}`)
        .sort();

    expect(await levels(`user_ids[]=${ann}`)).toEqual([`${ann}@1`, `${ann}@2`]);
    expect(await levels(`schedule_ids[]=${secondary}`)).toEqual([`${ann}@2`, `${bob}@2`]);
    expect(await levels(`user_ids[]=${ann}&schedule_ids[]=${secondary}`)).toEqual([`${ann}@2`]);
    expect(await levels(`user_ids[]=${ann}&schedule_ids[]=${primary}&escalation_policy_ids[]=${other}`)).toEqual([]);
    expect(await levels(`schedule_ids[]=${primary}&schedule_ids[]=${secondary}&user_ids[]=${bob}`)).toEqual([`${bob}@2`]);
  });

  it('answers a direct target of an escalation rule with schedule null, and a permanent on-call with null times', async () => {
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, escalationLevel: 2 });
    const reply = await call(`/oncalls?escalation_policy_ids[]=${policy}`);
    expect(reply.body.oncalls).toEqual([expect.objectContaining({ schedule: null, start: null, end: null, escalation_level: 2 })]);
    // A schedule filter cannot match an on-call that comes through no schedule.
    expect((await call(`/oncalls?schedule_ids[]=${primary}`)).body.oncalls).toEqual([]);
  });

  it('with since and until, answers every on-call that overlaps the range; earliest keeps one per user, policy and level', async () => {
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, scheduleId: primary, start: T0 + HOUR, end: T0 + 2 * HOUR });
    sim.putOnCall({ userId: ann, escalationPolicyId: policy, scheduleId: primary, start: T0 + 3 * HOUR, end: T0 + 4 * HOUR });
    const range = `since=${encodeURIComponent('2030-03-04T10:30:00Z')}&until=${encodeURIComponent('2030-03-04T14:30:00Z')}`;

    expect(((await call(`/oncalls?${range}`)).body.oncalls as unknown[]).length).toBe(2);
    const earliest = await call(`/oncalls?${range}&earliest=true`);
    expect(earliest.body.oncalls).toEqual([expect.objectContaining({ start: '2030-03-04T11:00:00Z' })]);
    expect((await call('/oncalls')).body.oncalls).toEqual([]);
  });

  it('refuses an until before since, an until more than 90 days ahead, and a time it cannot read', async () => {
    const before = await call('/oncalls?since=2030-03-04T10:00:00Z&until=2030-03-04T09:00:00Z');
    expect(before).toMatchObject({ status: 400, body: { error: { message: 'Invalid Query Date Range', code: 2005 } } });
    expect((await call('/oncalls?until=2030-06-10T00:00:00Z')).status).toBe(400);
    expect(await call('/oncalls?since=yesterday')).toMatchObject({ status: 400, body: { error: { code: 2004 } } });
  });
});

describe('GET /incidents/{id}', () => {
  it('finds an incident by its id and by its number, with its status', async () => {
    sim.addIncident({ title: 'Earlier', status: 'resolved' });
    const incident = sim.addIncident({ title: 'Database is down', number: 1234, status: 'acknowledged' });

    const byId = await call(`/incidents/${incident.id}`);
    expect(byId.body.incident).toMatchObject({
      id: incident.id,
      type: 'incident',
      incident_number: 1234,
      title: 'Database is down',
      summary: '[#1234] Database is down',
      status: 'acknowledged',
      html_url: `${sim.url}/incidents/${incident.id}`,
    });
    expect((await call('/incidents/1234')).body.incident).toMatchObject({ id: incident.id });

    sim.setIncidentStatus(incident.id, 'resolved');
    expect((await call('/incidents/1234')).body.incident).toMatchObject({ status: 'resolved' });
  });

  it('answers 404 to an id or a number it does not hold', async () => {
    sim.addIncident({ title: 'Only one', number: 7 });
    expect(await call('/incidents/QNOSUCH1')).toMatchObject({ status: 404, body: { error: { message: 'Not Found', code: 2100 } } });
    expect((await call('/incidents/8')).status).toBe(404);
  });
});

describe('rate limiting', () => {
  it('answers 429 past the limit with ratelimit-reset in seconds, then lets requests through once the minute is over', async () => {
    await sim.stop();
    let now = T0;
    sim = await PagerDutySimulator.start({ now: () => now, rateLimitPerMinute: 2 });

    const first = await call('/users');
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect(first.headers.get('ratelimit-reset')).toBe('60');
    now += 20_000;
    await call('/users');
    const limited = await call('/users');
    expect(limited).toMatchObject({ status: 429, body: { error: { message: 'Rate Limit Exceeded', code: 2020 } } });
    expect(limited.headers.get('ratelimit-reset')).toBe('40');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');

    now += 40_000;
    expect((await call('/users')).status).toBe(200);
  });
});

describe('faults', () => {
  it('answers an injected 429 with ratelimit-reset, and one without headers or body when bare', async () => {
    sim.injectFault({ route: 'GET /oncalls', status: 429, retryAfterSeconds: 3 });
    sim.injectFault({ route: 'GET /oncalls', status: 429, bare: true });

    const timed = await call('/oncalls');
    expect(timed).toMatchObject({ status: 429, body: { error: { code: 2020 } } });
    expect(timed.headers.get('ratelimit-reset')).toBe('3');
    expect(timed.headers.get('retry-after')).toBeNull();

    const response = await fetch(`${sim.url}/oncalls`, { headers: { authorization: `Token token=${sim.token}`, accept: ACCEPT } });
    expect(response.status).toBe(429);
    expect(response.headers.get('ratelimit-reset')).toBeNull();
    expect(await response.text()).toBe('');
    expect((await call('/oncalls')).status).toBe(200);
  });

  it('answers a 503 with Retry-After, holds a request for its latency, and drops a connection', async () => {
    sim.injectFault({ route: 'GET /users', status: 503, retryAfterSeconds: 2 });
    const unavailable = await call('/users');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('2');

    sim.injectFault({ route: 'GET /users', latencyMs: 150 });
    const started = performance.now();
    expect((await call('/users')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    sim.injectFault({ route: 'GET /incidents/', drop: true });
    await expect(call('/incidents/1')).rejects.toThrow();
    expect(sim.log.at(-1)).toMatchObject({ path: '/incidents/1', status: -1 });
  });
});
