// What only the real client has: the wire (basic auth, JSON, one PATCH per state), what it does about an instance
// of its own mind (fields not taken on create, a move dropped with 200), and how it fails (credentials, roles,
// timeouts, dropped connections, answers that are not JSON) without ever showing the password.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowSimulator, type ServiceNowSimulatorOptions } from '../../../simulators/servicenow/servicenow-simulator.js';
import { ServiceNowClient } from '../../../src/adapters/servicenow/servicenow-client.js';
import type { ChangeOrder } from '../../../src/application/ports.js';

const TEMPLATE = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const ORDER: ChangeOrder = {
  templateId: TEMPLATE,
  correlationId: 'req_0001',
  shortDescription: 'JIT access: sam to Production servers (SSH) for 1h',
  description: 'Requested by sam, approved by maria. Reason: deploy hotfix.',
};

let sim: ServiceNowSimulator;

async function start(options: ServiceNowSimulatorOptions = {}): Promise<ServiceNowClient> {
  await sim?.stop();
  sim = await ServiceNowSimulator.start(options);
  sim.addTemplate({ sysId: TEMPLATE });
  return clientFor(sim.password);
}

function clientFor(password: string, timeoutMs = 2000): ServiceNowClient {
  return new ServiceNowClient({ instanceUrl: `${sim.url}/`, username: sim.username, password, timeoutMs });
}

async function openedSysId(client: ServiceNowClient): Promise<string> {
  const result = await client.openChange(ORDER);
  if (!result.ok) throw new Error(result.message);
  return result.sysId;
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  await sim.stop();
});

describe('the wire', () => {
  it('looks for the correlation id first, then opens the change from the template with basic auth and JSON', async () => {
    await clientFor(sim.password).openChange(ORDER);

    expect(sim.log.map(({ method, path, status }) => `${method} ${path} ${status}`)).toEqual([
      'GET /api/sn_chg_rest/change 200',
      `POST /api/sn_chg_rest/change/standard/${TEMPLATE} 200`,
    ]);
    expect(sim.log[0]?.query.get('sysparm_query')).toBe('correlation_id=req_0001^ORDERBYnumber');
    expect(sim.log.every((record) => record.user === sim.username)).toBe(true);
  });

  it("puts the details in the justification, since a standard change keeps its template's description", async () => {
    await clientFor(sim.password).openChange(ORDER);

    expect(sim.log[1]?.body).toEqual({
      short_description: ORDER.shortDescription,
      correlation_id: 'req_0001',
      justification: ORDER.description,
    });
    const [change] = sim.changes;
    expect(change?.justification).toBe(ORDER.description);
    expect(change?.description).toBe(sim.table.templates.get(TEMPLATE)?.fields.description);
  });

  it('closes a new change through Scheduled, Implement and Review, one PATCH a state, the close code and notes with the last', async () => {
    const client = clientFor(sim.password);
    const sysId = await openedSysId(client);
    sim.log.length = 0;

    await client.closeChange(sysId, { outcome: 'expired', notes: '' });

    const patches = sim.log.filter((record) => record.method === 'PATCH').map((record) => record.body);
    expect(patches).toEqual([
      { state: '-2' },
      { state: '-1' },
      { state: '0' },
      { state: '3', close_code: 'successful', close_notes: expect.stringContaining('expired') },
    ]);
  });

  it('takes a change that a flow already moved on, and goes on from where it stands', async () => {
    const client = clientFor(sim.password);
    const sysId = await openedSysId(client);
    sim.setState(sysId, '-1');

    expect(await client.moveToImplement(sysId)).toMatchObject({ ok: true, state: 'implement' });
    expect(sim.log.filter((record) => record.method === 'PATCH')).toEqual([]);
  });
});

describe('an instance of its own mind', () => {
  it('sets a correlation id the instance did not take on create at once, so that a retry still finds the change', async () => {
    sim.table.ignoredOnCreate.add('correlation_id');
    const client = clientFor(sim.password);

    const first = await client.openChange(ORDER);
    const again = await client.openChange(ORDER);

    expect(first).toMatchObject({ ok: true, alreadyOpen: false });
    expect(again).toMatchObject({ ok: true, alreadyOpen: true });
    expect(sim.changesFor('req_0001')).toHaveLength(1);
    expect(sim.changes).toHaveLength(1);
  });

  it('says so when the instance refuses a move with 400', async () => {
    const client = clientFor(sim.password);
    const sysId = await openedSysId(client);
    sim.setState(sysId, '-4');

    const result = await client.moveToImplement(sysId);

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'StateRefused' });
    expect(sim.change(sysId)?.state).toBe('-4');
  });

  it('says so when the instance drops a move and still answers 200', async () => {
    const client = await start({ refusedMoves: 'ignore' });
    const sysId = await openedSysId(client);
    sim.setState(sysId, '-4');

    const result = await client.moveToImplement(sysId);

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'StateRefused' });
    expect(!result.ok && result.message).toMatch(/kept change CHG\d{7} in assess/);
  });
});

describe('failures', () => {
  it('names the user but never the password when the credentials are refused', async () => {
    const password = 'Wr0ng-but-secret-passw0rd';

    const result = await clientFor(password).openChange(ORDER);

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'Unauthenticated' });
    expect(!result.ok && result.message).toContain(sim.username);
    expect(JSON.stringify(result)).not.toContain(password);
    expect(JSON.stringify(clientFor(password))).not.toContain(password);
    expect(JSON.stringify(clientFor(password))).not.toContain(Buffer.from(`${sim.username}:${password}`).toString('base64'));
  });

  it('tells which role is missing when the user may read changes but not open them', async () => {
    const client = await start({ roles: ['sn_change_read'] });

    const result = await client.openChange(ORDER);

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'Forbidden' });
    expect(!result.ok && result.message).toMatch(/itil/);
    expect(sim.changes).toEqual([]);
  });

  it('gives up on an answer that does not come within the timeout, as transient', async () => {
    sim.injectFault({ route: 'GET /api/sn_chg_rest/change', latencyMs: 500 });

    const result = await clientFor(sim.password, 100).openChange(ORDER);

    expect(result).toMatchObject({ ok: false, kind: 'transient', message: expect.stringContaining('no answer within 100 ms') });
  });

  it('reports a dropped connection as transient', async () => {
    sim.injectFault({ route: 'GET /api/sn_chg_rest/change', drop: true });

    expect(await clientFor(sim.password).openChange(ORDER)).toMatchObject({ ok: false, kind: 'transient' });
  });

  it("quotes ServiceNow's error message", async () => {
    const client = clientFor(sim.password);
    const sysId = await openedSysId(client);
    sim.setState(sysId, '-4');

    const result = await client.moveToImplement(sysId);

    expect(!result.ok && result.message).toContain('Change cannot be moved to state : -2');
  });

  describe('an address that is not a ServiceNow instance', () => {
    let page: Server;
    let pageUrl: string;

    beforeEach(async () => {
      // What a hibernating developer instance or a sign-in page answers: 200 and HTML.
      page = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><body>Your instance is hibernating</body></html>');
      });
      await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
      pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => page.close(() => resolve()));
    });

    it('is a permanent failure that points at SERVICENOW_INSTANCE_URL', async () => {
      const client = new ServiceNowClient({ instanceUrl: pageUrl, username: 'svc', password: 'secret-0123', timeoutMs: 2000 });

      const result = await client.openChange(ORDER);

      expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'BadReply' });
      expect(!result.ok && result.message).toMatch(/not JSON \(text\/html\).*SERVICENOW_INSTANCE_URL/);
    });
  });
});
