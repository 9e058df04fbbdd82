import { type Client, GraphError } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../simulators/graph/graph-simulator.js';
import { createGraphClient } from '../../../src/adapters/graph/graph-client.js';
import { CLIENT_ID, CLIENT_SECRET, startGraphSimulator, TENANT_ID } from '../../support/simulators.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
const GUEST = '22222222-2222-4222-8222-222222222222';
const ADMIN = '33333333-3333-4333-8333-333333333333';

let sim: GraphSimulator;
let graph: Client;

async function graphFailure(call: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GraphError) return { statusCode: error.statusCode, code: String(error.code), message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

/** The ids of the users a `$filter` finds; the SDK pastes the filter into the query string unencoded. */
async function find(filter: string): Promise<string[]> {
  const found = await graph.api('/users').filter(filter).select('id').get();
  return found.value.map((user: { id: string }) => user.id);
}

beforeEach(async () => {
  sim = await startGraphSimulator();
  sim.addUser({
    id: ALICE,
    userPrincipalName: 'alice@contoso.example',
    mail: 'alice.smith@contoso.example',
    otherMails: ['alice@home.example'],
    proxyAddresses: ['SMTP:alice.smith@contoso.example', 'smtp:alice@contoso.example', 'smtp:a.smith@contoso.example'],
  });
  sim.addUser({
    id: GUEST,
    userPrincipalName: 'bob_partner.example#EXT#@contoso.example',
    mail: 'bob@partner.example',
    userType: 'Guest',
    otherMails: ['bob@partner.example'],
  });
  sim.addUser({ id: ADMIN, userPrincipalName: 'admin@contoso.example' });
  graph = createGraphClient({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    baseUrl: sim.url,
  });
});

afterEach(async () => {
  await sim.stop();
});

describe('finding a user by any of their addresses', () => {
  it('finds by mail, UPN, otherMails and proxyAddresses, ignoring case', async () => {
    expect(await find("mail eq 'Alice.Smith@contoso.example'")).toEqual([ALICE]);
    expect(await find("userPrincipalName eq 'alice@contoso.example'")).toEqual([ALICE]);
    expect(await find("otherMails/any(x:x eq 'alice@home.example')")).toEqual([ALICE]);
    expect(await find("proxyAddresses/any(x:x eq 'smtp:a.smith@contoso.example')")).toEqual([ALICE]);
    expect(await find("proxyAddresses/any(p:p eq 'smtp:nobody@contoso.example')")).toEqual([]);
  });

  it('combines forms with or, finding a guest by the external address it carries', async () => {
    const address = 'bob@partner.example';
    const filter = `mail eq '${address}' or userPrincipalName eq '${address}' or otherMails/any(x:x eq '${address}') or proxyAddresses/any(x:x eq 'smtp:${address}')`;
    expect(await find(filter)).toEqual([GUEST]);
    const guest = await graph.api(`/users/${GUEST}`).select('userType,accountEnabled').get();
    expect(guest).toMatchObject({ userType: 'Guest', accountEnabled: true });
  });

  it('reaches a guest by UPN only with #EXT# encoded', async () => {
    expect(await graph.api(`/users/${encodeURIComponent('bob_partner.example#EXT#@contoso.example')}`).get()).toMatchObject({ id: GUEST });
  });
});

describe('malformed filters and injection', () => {
  it('refuses an unbalanced quote with 400 BadRequest', async () => {
    expect(await graphFailure(graph.api('/users').filter("mail eq 'alice@contoso.example").get())).toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
      message: expect.stringContaining('unterminated string literal'),
    });
  });

  it('refuses a raw %27 inside a literal, which the server decodes into a stray quote', async () => {
    expect(await graphFailure(graph.api('/users').filter("mail eq 'o%27neil@partner.example'").get())).toMatchObject({
      statusCode: 400,
      code: 'BadRequest',
    });
  });

  it('refuses an unknown property or function with Request_UnsupportedQuery', async () => {
    expect(await graphFailure(graph.api('/users').filter("jobTitle eq 'x'").get())).toMatchObject({ code: 'Request_UnsupportedQuery' });
    expect(await graphFailure(graph.api('/users').filter("startsWith(mail,'a')").get())).toMatchObject({
      code: 'Request_UnsupportedQuery',
    });
  });

  it('decodes the query string once: a raw %27 injects a clause, an encoded literal stays a literal', async () => {
    const hostile = 'nobody@partner.example%27 or userPrincipalName eq %27admin@contoso.example';
    expect(await find(`mail eq '${hostile}'`)).toEqual([ADMIN]);
    expect(await find(`mail eq '${encodeURIComponent(hostile.replace(/'/g, "''"))}'`)).toEqual([]);
    expect(sim.log.at(-1)?.query).toContain('%2527');
  });
});

describe('changing a user at runtime', () => {
  it('shows a disabled account and a new UPN and mail to the next lookup', async () => {
    sim.disableUser(ALICE);
    expect(await graph.api(`/users/${ALICE}`).select('accountEnabled').get()).toMatchObject({ accountEnabled: false });
    sim.updateUser(ALICE, { userPrincipalName: 'alice.smith@contoso.example', mail: 'alice.new@contoso.example' });
    expect(await find("userPrincipalName eq 'alice@contoso.example'")).toEqual([]);
    expect(await find("mail eq 'alice.new@contoso.example'")).toEqual([ALICE]);
    expect(await graph.api(`/users/${encodeURIComponent('alice.smith@contoso.example')}`).get()).toMatchObject({ id: ALICE });
  });
});
