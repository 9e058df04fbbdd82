// The ServiceNow simulator on its own, in raw HTTP: it must be as strict as an instance (and say where it is
// stricter) so that a client passing against it has a chance against the real thing. Facts from
// servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html and the pages it links.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowSimulator } from '../../../simulators/servicenow/servicenow-simulator.js';

const TEMPLATE = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const API = '/api/sn_chg_rest/change';

let sim: ServiceNowSimulator;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

interface Call {
  body?: unknown;
  auth?: string | null;
  headers?: Record<string, string>;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function call(method: string, path: string, options: Call = {}): Promise<Reply> {
  const auth = options.auth === undefined ? basic(sim.username, sim.password) : options.auth;
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(auth !== null && { authorization: auth }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body !== undefined && { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

type Fields = Record<string, { value: unknown; display_value: string }>;
const list = (reply: Reply): Fields[] => (reply.body?.result ?? []) as Fields[];
const record = (reply: Reply): Fields => {
  const result = reply.body?.result;
  return (Array.isArray(result) ? result[0] : result) as Fields;
};

async function create(body: Record<string, unknown> = { short_description: 'JIT access', correlation_id: 'req_0001' }): Promise<string> {
  const reply = await call('POST', `${API}/standard/${TEMPLATE}`, { body });
  expect(reply.status).toBe(200);
  return String(record(reply).sys_id?.value);
}

const patch = (sysId: string, body: Record<string, unknown>) => call('PATCH', `${API}/${sysId}`, { body });

beforeEach(async () => {
  sim = await ServiceNowSimulator.start();
  sim.addTemplate({ sysId: TEMPLATE });
});

afterEach(async () => {
  await sim.stop();
});

describe('authentication and format', () => {
  it("answers 401 with ServiceNow's error body without basic auth, or with a wrong password", async () => {
    for (const auth of [null, basic(sim.username, 'wrong'), basic('someone-else', sim.password), 'Bearer abc']) {
      const reply = await call('GET', API, { auth });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      });
    }
  });

  it('lets a read-only user (sn_change_read) list changes but not open one', async () => {
    await sim.stop();
    sim = await ServiceNowSimulator.start({ roles: ['sn_change_read'] });
    sim.addTemplate({ sysId: TEMPLATE });

    expect((await call('GET', API)).status).toBe(200);
    const refused = await call('POST', `${API}/standard/${TEMPLATE}`, { body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { message: 'User Not Authorized' }, status: 'failure' });
  });

  it('takes JSON only: another content type is 415, a body that is not JSON is 400, asking for XML only is 406', async () => {
    expect((await call('POST', `${API}/standard/${TEMPLATE}`, { body: 'a=b', headers: { 'content-type': 'text/plain' } })).status).toBe(
      415,
    );
    expect((await call('POST', `${API}/standard/${TEMPLATE}`, { body: '{"short_description":' })).status).toBe(400);
    expect((await call('GET', API, { headers: { accept: 'application/xml' } })).status).toBe(406);
    expect(sim.changes).toEqual([]);
  });

  it('answers 400 for a path the API does not have', async () => {
    const reply = await call('GET', '/api/sn_chg_rest/chnage');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: { message: 'Requested URI does not represent any resource', detail: null }, status: 'failure' });
  });
});

describe('opening a standard change', () => {
  it('opens one change from the template in New, every field as {value, display_value}', async () => {
    const reply = await call('POST', `${API}/standard/${TEMPLATE}`, {
      body: { short_description: 'JIT access', correlation_id: 'req_0001' },
    });

    expect(reply.status).toBe(200);
    const fields = record(reply);
    expect(fields.state).toEqual({ value: '-5', display_value: 'New' });
    expect(fields.type).toEqual({ value: 'standard', display_value: 'Standard' });
    expect(fields.number?.value).toMatch(/^CHG\d{7}$/);
    expect(fields.sys_id?.value).toMatch(/^[0-9a-f]{32}$/);
    expect(fields.correlation_id?.value).toBe('req_0001');
    expect(fields.std_change_producer_version?.value).toBe(TEMPLATE);
  });

  it("answers with the record as an object or, when told, in an array (the docs' sample)", async () => {
    expect(Array.isArray((await call('POST', `${API}/standard/${TEMPLATE}`, { body: {} })).body?.result)).toBe(false);
    sim.createAnswer = 'array';
    const reply = await call('POST', `${API}/standard/${TEMPLATE}`, { body: {} });
    expect(reply.body?.result).toEqual([expect.objectContaining({ state: { value: '-5', display_value: 'New' } })]);
  });

  it("keeps the template's description and plans, listing them with unknown fields in __meta.ignoredFields", async () => {
    const reply = await call('POST', `${API}/standard/${TEMPLATE}`, {
      body: { description: 'mine', implementation_plan: 'mine', no_such_field: 'x', justification: 'why', state: '3' },
    });

    const fields = record(reply) as Fields & { __meta?: unknown };
    expect(fields.__meta).toEqual({ ignoredFields: ['description', 'implementation_plan', 'no_such_field', 'state'] });
    expect(fields.description?.value).toBe(sim.table.templates.get(TEMPLATE)?.fields.description);
    expect(fields.justification?.value).toBe('why');
    expect(fields.state?.value).toBe('-5');
  });

  it('refuses a template it does not have (404) and one that is not active (400), opening nothing', async () => {
    const missing = await call('POST', `${API}/standard/ffffffffffffffffffffffffffffffff`, { body: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { message: 'No Record found' }, status: 'failure' });

    const retired = sim.addTemplate({ active: false });
    expect((await call('POST', `${API}/standard/${retired.sysId}`, { body: {} })).status).toBe(400);
    expect(sim.changes).toEqual([]);
  });

  it("cuts values to the column's length without a word, as ServiceNow does", async () => {
    await create({ short_description: 's'.repeat(200), correlation_id: 'c'.repeat(150) });

    expect(sim.changes[0]?.short_description).toHaveLength(160);
    expect(sim.changes[0]?.correlation_id).toHaveLength(100);
  });

  it('numbers changes one after another', async () => {
    await create();
    await create();
    const numbers = sim.changes.map((change) => Number(change.number.slice(3)));
    expect(numbers[1]).toBe((numbers[0] ?? 0) + 1);
  });
});

describe('finding changes', () => {
  it('selects by correlation_id with an encoded query, in the order asked', async () => {
    await create({ correlation_id: 'req_A' });
    await create({ correlation_id: 'req_B' });
    await create({ correlation_id: 'req_A' });

    const reply = await call('GET', `${API}?sysparm_query=${encodeURIComponent('correlation_id=req_A^ORDERBYDESCnumber')}`);

    const numbers = list(reply).map((fields) => String(fields.number?.value));
    expect(numbers).toEqual(
      sim
        .changesFor('req_A')
        .map((change) => change.number)
        .reverse(),
    );
  });

  it('ignores a clause on a field the table does not have, as ServiceNow does by default, so a misspelt field lists every change', async () => {
    await create({ correlation_id: 'req_A' });
    await create({ correlation_id: 'req_B' });

    const reply = await call('GET', `${API}?sysparm_query=${encodeURIComponent('correlationid=req_A')}`);

    expect(reply.body?.result).toHaveLength(2);
  });

  it('takes name-value pairs instead of an encoded query', async () => {
    await create({ correlation_id: 'req_A' });
    await create({ correlation_id: 'req_B' });

    const reply = await call('GET', `${API}?correlation_id=req_B`);

    expect(list(reply).map((fields) => fields.correlation_id?.value)).toEqual(['req_B']);
  });

  it('reads one change by sys_id, and answers 404 for one it does not have', async () => {
    const sysId = await create();

    expect(record(await call('GET', `${API}/${sysId}`)).sys_id?.value).toBe(sysId);
    expect((await call('GET', `${API}/0123456789abcdef0123456789abcdef`)).status).toBe(404);
  });
});

describe('the standard state model', () => {
  it('moves New → Scheduled → Implement → Review → Closed, one state at a time', async () => {
    const sysId = await create();

    for (const state of ['-2', '-1', '0']) expect(record(await patch(sysId, { state })).state?.value).toBe(state);
    const closed = record(await patch(sysId, { state: '3', close_code: 'successful', close_notes: 'Outcome: expired.' }));

    expect(closed.state).toEqual({ value: '3', display_value: 'Closed' });
    expect(closed.close_code).toEqual({ value: 'successful', display_value: 'Successful' });
    expect(closed.active?.value).toBe('false');
  });

  it('refuses a jump the model does not allow with 400, applying nothing of that PATCH', async () => {
    const sysId = await create();

    const reply = await patch(sysId, { state: '3', close_code: 'successful', close_notes: 'done', short_description: 'changed' });

    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      error: { message: 'Invalid state transition', detail: 'Change cannot be moved to state : 3' },
      status: 'failure',
    });
    expect(sim.change(sysId)).toMatchObject({ state: '-5', close_code: '', short_description: 'JIT access' });
  });

  it('refuses closing without a close code and close notes', async () => {
    const sysId = await create();
    for (const state of ['-2', '-1', '0']) await patch(sysId, { state });

    expect((await patch(sysId, { state: '3' })).status).toBe(400);
    expect((await patch(sysId, { state: '3', close_code: 'successful' })).status).toBe(400);
    expect(sim.change(sysId)?.state).toBe('0');
  });

  it('refuses a close code that is not a choice value, such as the label (stricter than ServiceNow, which stores it)', async () => {
    const sysId = await create();
    for (const state of ['-2', '-1', '0']) await patch(sysId, { state });

    const reply = await patch(sysId, { state: '3', close_code: 'Successful', close_notes: 'done' });

    expect(reply.status).toBe(400);
    expect(sim.change(sysId)?.state).toBe('0');
  });

  it('lets a change be canceled up to Implement, but not from Review', async () => {
    const early = await create();
    expect(record(await patch(early, { state: '4' })).state?.value).toBe('4');

    const late = await create();
    for (const state of ['-2', '-1', '0']) await patch(late, { state });
    expect((await patch(late, { state: '4' })).status).toBe(400);
  });

  it('takes the state it already has as no move at all', async () => {
    const sysId = await create();

    expect((await patch(sysId, { state: '-5' })).status).toBe(200);
  });

  it('when told, drops a refused move and answers 200 with the state unchanged', async () => {
    sim.refusedMoves = 'ignore';
    const sysId = await create();

    const reply = await patch(sysId, { state: '-1', short_description: 'changed' });

    expect(reply.status).toBe(200);
    expect(record(reply).state?.value).toBe('-5');
    expect(sim.change(sysId)?.short_description).toBe('changed');
  });

  it('when told, writes the state as a number, as the docs’ PATCH sample does', async () => {
    sim.stateValues = 'number';
    const sysId = await create();

    expect(record(await patch(sysId, { state: '-2' })).state).toEqual({ value: -2, display_value: 'Scheduled' });
  });
});

describe('faults and the request log', () => {
  it('answers 429 with Retry-After and the rate-limit body, changing nothing', async () => {
    sim.injectFault({ route: `POST ${API}/standard/`, status: 429, retryAfterSeconds: 30 });

    const reply = await call('POST', `${API}/standard/${TEMPLATE}`, { body: {} });

    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('30');
    expect(reply.body).toMatchObject({ error: { message: 'Rate limit exceeded' }, status: 'failure' });
    expect(sim.changes).toEqual([]);
  });

  it('can lose the answer after the change was opened', async () => {
    sim.loseAnswerAfterWrite(`POST ${API}/standard/`);

    await expect(call('POST', `${API}/standard/${TEMPLATE}`, { body: { correlation_id: 'req_0001' } })).rejects.toThrow();

    expect(sim.changesFor('req_0001')).toHaveLength(1);
    expect(sim.log.at(-1)?.status).toBe(-1);
  });

  it('logs each request with the user it authenticated, and never the Authorization header', async () => {
    await create();

    expect(sim.log).toEqual([
      expect.objectContaining({ method: 'POST', path: `${API}/standard/${TEMPLATE}`, status: 200, user: sim.username }),
    ]);
    expect(JSON.stringify(sim.log)).not.toContain(Buffer.from(`${sim.username}:${sim.password}`).toString('base64'));
  });
});
