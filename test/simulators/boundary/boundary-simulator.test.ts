import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../../simulators/boundary/boundary-simulator.js';

let sim: BoundarySimulator;
let token: string;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

async function call(method: string, path: string, options: { body?: unknown; token?: string | null } = {}): Promise<Reply> {
  const bearer = options.token === undefined ? token : options.token;
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(bearer !== null && { authorization: `Bearer ${bearer}` }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function signIn(password = sim.botPassword): Promise<Reply> {
  return call('POST', `/v1/auth-methods/${sim.passwordAuthMethodId}:authenticate`, {
    token: null,
    body: { command: 'login', type: 'token', attributes: { login_name: sim.botLoginName, password } },
  });
}

const filter = (text: string) => encodeURIComponent(text);
const ids = (reply: Reply) => ((reply.body?.items ?? []) as { id: string }[]).map((item) => item.id);

beforeEach(async () => {
  sim = await BoundarySimulator.start();
  const reply = await signIn();
  token = String((reply.body?.attributes as Record<string, unknown> | undefined)?.token);
});

afterEach(async () => {
  await sim.stop();
});

describe('password authentication', () => {
  it('issues a token for the right password, returned under attributes.token', async () => {
    const reply = await signIn();
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      command: 'login',
      type: 'token',
      attributes: { scope_id: 'global', user_id: sim.botUser.id, auth_method_id: sim.passwordAuthMethodId },
    });
    expect(String((reply.body?.attributes as Record<string, unknown> | undefined)?.token)).toMatch(/^at_\w+_s~/);
  });

  it("answers 401 with Boundary's error body to a wrong password", async () => {
    const reply = await signIn('wrong');
    expect(reply).toMatchObject({ status: 401, body: { kind: 'Unauthenticated', message: 'Unable to authenticate.' } });
  });

  it('answers 400 to a missing password and to a command other than login', async () => {
    const path = `/v1/auth-methods/${sim.passwordAuthMethodId}:authenticate`;
    const missing = await call('POST', path, { token: null, body: { attributes: { login_name: sim.botLoginName } } });
    expect(missing).toMatchObject({
      status: 400,
      body: { kind: 'InvalidArgument', details: { request_fields: [{ name: 'attributes.password' }] } },
    });
    const command = await call('POST', path, {
      token: null,
      body: { command: 'callback', attributes: { login_name: 'x', password: 'y' } },
    });
    expect(command).toMatchObject({ status: 400, body: { details: { request_fields: [{ name: 'command' }] } } });
  });

  it('never writes the password into its request log', async () => {
    expect(JSON.stringify(sim.log.map((entry) => entry.body))).not.toContain(sim.botPassword);
  });
});

describe('bearer tokens', () => {
  it('answers 401 without a token, with an unknown token, and once the token is deleted', async () => {
    expect((await call('GET', '/v1/auth-tokens?scope_id=global', { token: null })).status).toBe(401);
    expect((await call('GET', '/v1/auth-tokens?scope_id=global', { token: 'at_nope_s~nope' })).body).toEqual({
      kind: 'Unauthenticated',
      message: 'Unauthenticated, or invalid token.',
    });
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(200);
    sim.revokeBotTokens();
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(401);
  });

  it('answers 401 once the token has outlived its 7 days', async () => {
    sim.advance(7 * 24 * 60 * 60_000 + 1);
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(401);
  });
});

describe('accounts and users', () => {
  it('lists the OIDC accounts of an auth method with subject, email and issuer, and no user id', async () => {
    const alice = sim.addUser();
    const account = sim.addAccount(alice.id, { subject: 'oid-alice', email: 'Alice@Example.com', fullName: 'Alice' });
    const reply = await call(
      'GET',
      `/v1/accounts?auth_method_id=${sim.oidcAuthMethodId}&filter=${filter('"/item/attributes/subject" == "oid-alice"')}`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body?.items).toEqual([
      expect.objectContaining({
        id: account.id,
        type: 'oidc',
        auth_method_id: sim.oidcAuthMethodId,
        attributes: expect.objectContaining({ subject: 'oid-alice', email: 'Alice@Example.com', issuer: expect.any(String) }),
      }),
    ]);
    expect(reply.body?.items).toEqual([expect.not.objectContaining({ user_id: expect.anything() })]);
  });

  it('finds an account by email exactly, case and all', async () => {
    const alice = sim.addUser();
    sim.addAccount(alice.id, { subject: 'oid-alice', email: 'Alice@Example.com' });
    const base = `/v1/accounts?auth_method_id=${sim.oidcAuthMethodId}&filter=`;
    expect(ids(await call('GET', `${base}${filter('"/item/attributes/email" == "Alice@Example.com"')}`))).toHaveLength(1);
    expect(ids(await call('GET', `${base}${filter('"/item/attributes/email" == "alice@example.com"')}`))).toHaveLength(0);
  });

  it('lists password accounts with their login name, in their own auth method', async () => {
    const reply = await call('GET', `/v1/accounts?auth_method_id=${sim.passwordAuthMethodId}`);
    expect(reply.body?.items).toEqual([expect.objectContaining({ type: 'password', attributes: { login_name: sim.botLoginName } })]);
  });

  it('answers 400 to a missing or malformed auth_method_id and 404 to an unknown one', async () => {
    expect((await call('GET', '/v1/accounts')).body).toMatchObject({ details: { request_fields: [{ name: 'auth_method_id' }] } });
    expect((await call('GET', '/v1/accounts?auth_method_id=nope')).status).toBe(400);
    expect((await call('GET', '/v1/accounts?auth_method_id=amoidc_0000000000')).status).toBe(404);
  });

  it('lists users with their primary account but without account_ids, which only a read returns', async () => {
    const alice = sim.addUser();
    const oidc = sim.addAccount(alice.id, { subject: 'oid-alice' });
    const password = sim.addAccount(alice.id, { authMethodId: sim.passwordAuthMethodId, loginName: 'alice', password: 'pw' });
    const listed = await call(
      'GET',
      `/v1/users?scope_id=global&recursive=true&filter=${filter(`"/item/primary_account_id" == "${oidc.id}"`)}`,
    );
    expect(listed.body?.items).toEqual([expect.objectContaining({ id: alice.id, primary_account_id: oidc.id })]);
    expect(listed.body?.items).toEqual([expect.not.objectContaining({ account_ids: expect.anything() })]);
    const read = await call('GET', `/v1/users/${alice.id}`);
    expect(read.body).toMatchObject({ id: alice.id, account_ids: [oidc.id, password.id] });
    expect((await call('GET', '/v1/users/u_0000000000')).status).toBe(404);
  });

  it('bumps both users’ version and updated_time when an account moves from one to the other', async () => {
    const first = sim.addUser();
    const second = sim.addUser();
    const account = sim.addAccount(first.id, { subject: 'oid-alice' });
    const versions = async () => {
      const listed = await call('GET', '/v1/users?scope_id=global&recursive=true');
      const items = (listed.body?.items ?? []) as { id: string; version: number }[];
      return [first.id, second.id].map((id) => items.find((item) => item.id === id)?.version);
    };
    expect(await versions()).toEqual([2, 1]);
    sim.advance(1000);
    sim.linkAccount(account.id, second.id);
    expect(await versions()).toEqual([3, 2]);
    expect((await call('GET', `/v1/users/${second.id}`)).body).toMatchObject({ account_ids: [account.id], primary_account_id: account.id });
    const read = await call('GET', `/v1/users/${first.id}`);
    expect(read.body).not.toHaveProperty('account_ids');
    expect(read.body).not.toHaveProperty('primary_account_id');
    expect(read.body?.updated_time).not.toBe(read.body?.created_time);
  });
});

describe('auth tokens', () => {
  it('lists tokens by user without ever returning the token itself', async () => {
    const alice = sim.addUser();
    const account = sim.addAccount(alice.id, { subject: 'oid-alice' });
    const issued = sim.signIn(account.id);
    const reply = await call('GET', `/v1/auth-tokens?scope_id=global&recursive=true&filter=${filter(`"/item/user_id" == "${alice.id}"`)}`);
    expect(reply.body?.items).toEqual([
      expect.objectContaining({ id: issued.id, user_id: alice.id, account_id: account.id, auth_method_id: sim.oidcAuthMethodId }),
    ]);
    expect(JSON.stringify(reply.body)).not.toContain(issued.token);
  });

  it('answers 400 to a scope that is not global or an org', async () => {
    expect((await call('GET', '/v1/auth-tokens?scope_id=p_1234567890')).body).toMatchObject({
      kind: 'InvalidArgument',
      details: { request_fields: [{ name: 'scope_id' }] },
    });
  });

  it('deletes a token with 204 and then answers 404 for it', async () => {
    const alice = sim.addUser();
    const issued = sim.signIn(sim.addAccount(alice.id).id);
    const first = await call('DELETE', `/v1/auth-tokens/${issued.id}`);
    expect(first).toMatchObject({ status: 204, body: undefined });
    expect(await call('DELETE', `/v1/auth-tokens/${issued.id}`)).toMatchObject({ status: 404, body: { kind: 'NotFound' } });
  });

  it("cancels a deleted token's sessions: canceling, then terminated once workers close them", async () => {
    const alice = sim.addUser();
    const issued = sim.signIn(sim.addAccount(alice.id).id);
    const session = sim.addSession(alice.id, { authTokenId: issued.id });
    const other = sim.addSession(alice.id);
    await call('DELETE', `/v1/auth-tokens/${issued.id}`);
    expect(sim.sessionStatus(session.id)).toBe('canceling');
    expect(sim.sessionStatus(other.id)).toBe('active');
    expect((await call('GET', `/v1/sessions/${session.id}`)).body).not.toHaveProperty('auth_token_id');
    sim.finishCanceling();
    expect(sim.sessionStatus(session.id)).toBe('terminated');
  });
});

describe('sessions', () => {
  it('leaves terminated sessions out unless include_terminated is set', async () => {
    const alice = sim.addUser();
    const live = sim.addSession(alice.id, { status: 'pending' });
    const ended = sim.addSession(alice.id, { status: 'terminated' });
    const base = '/v1/sessions?scope_id=global&recursive=true';
    expect(ids(await call('GET', base))).toEqual([live.id]);
    expect(ids(await call('GET', `${base}&include_terminated=true`))).toEqual([ended.id, live.id]);
  });

  it('answers 400 to a listing that is neither recursive nor in a project', async () => {
    expect((await call('GET', '/v1/sessions?scope_id=global')).status).toBe(400);
    expect((await call('GET', '/v1/sessions?scope_id=p_1234567890')).status).toBe(200);
  });

  it('cancels a live session at its current version and moves it to canceling', async () => {
    const session = sim.addSession(sim.addUser().id);
    const reply = await call('POST', `/v1/sessions/${session.id}:cancel`, { body: { version: session.version } });
    expect(reply).toMatchObject({ status: 200, body: { id: session.id, status: 'canceling', version: 3 } });
  });

  it('answers 400 to a cancel without a version', async () => {
    const session = sim.addSession(sim.addUser().id);
    expect(await call('POST', `/v1/sessions/${session.id}:cancel`, { body: {} })).toMatchObject({
      status: 400,
      body: { details: { request_fields: [{ name: 'version', description: 'Required field.' }] } },
    });
  });

  it('fails a cancel at a stale version with 500 Internal, as the repository does', async () => {
    const session = sim.addSession(sim.addUser().id);
    const reply = await call('POST', `/v1/sessions/${session.id}:cancel`, { body: { version: session.version - 1 } });
    expect(reply).toMatchObject({ status: 500, body: { kind: 'Internal' } });
    expect(sim.sessionStatus(session.id)).toBe('active');
  });

  it('answers 200 to a cancel of a session already canceling or terminated, whatever the version', async () => {
    const user = sim.addUser().id;
    for (const status of ['canceling', 'terminated'] as const) {
      const session = sim.addSession(user, { status });
      expect(await call('POST', `/v1/sessions/${session.id}:cancel`, { body: { version: 99 } })).toMatchObject({
        status: 200,
        body: { status },
      });
    }
  });

  it('answers 404 to a cancel of an unknown session', async () => {
    expect((await call('POST', '/v1/sessions/s_0000000000:cancel', { body: { version: 1 } })).status).toBe(404);
  });
});

describe('filters and pagination', () => {
  it('answers 400 to a filter it cannot parse', async () => {
    const reply = await call('GET', `/v1/sessions?scope_id=global&recursive=true&filter=${filter('"/item/user_id" = "u_1"')}`);
    expect(reply).toMatchObject({ status: 400, body: { details: { request_fields: [{ name: 'filter' }] } } });
  });

  it('matches nothing, without an error, for a selector that does not exist', async () => {
    sim.addSession(sim.addUser().id);
    const reply = await call('GET', `/v1/sessions?scope_id=global&recursive=true&filter=${filter('"/item/no_such" != "x"')}`);
    expect(reply.status).toBe(200);
    expect(reply.body).not.toHaveProperty('items');
  });

  it('leaves the items key out of an empty list', async () => {
    const reply = await call('GET', '/v1/sessions?scope_id=global&recursive=true');
    expect(reply.body).toEqual({ response_type: 'complete', list_token: expect.any(String), sort_by: 'created_time', sort_dir: 'desc' });
  });

  it('pages newest first with list_token until response_type is complete', async () => {
    const user = sim.addUser().id;
    const created = Array.from({ length: 5 }, () => sim.addSession(user).id);
    const seen: string[] = [];
    const types: string[] = [];
    let listToken = '';
    do {
      const reply = await call('GET', `/v1/sessions?scope_id=global&recursive=true&page_size=2${listToken && `&list_token=${listToken}`}`);
      expect(reply.body?.est_item_count).toBe(5);
      seen.push(...ids(reply));
      types.push(String(reply.body?.response_type));
      listToken = String(reply.body?.list_token);
    } while (types.at(-1) !== 'complete');
    expect(types).toEqual(['delta', 'delta', 'complete']);
    expect(seen).toEqual([...created].reverse());
  });

  it('pages at the controller’s max_page_size when it is set lower', async () => {
    await sim.stop();
    sim = await BoundarySimulator.start({ maxPageSize: 2 });
    token = String(((await signIn()).body?.attributes as Record<string, unknown> | undefined)?.token);
    for (let index = 0; index < 3; index++) sim.addUser();
    const first = await call('GET', '/v1/users?scope_id=global&recursive=true&page_size=50');
    expect(first.body).toMatchObject({ response_type: 'delta' });
    expect(ids(first)).toHaveLength(2);
  });

  it('refreshes a completed listing with what changed and the removed ids', async () => {
    const alice = sim.addUser();
    const gone = sim.signIn(sim.addAccount(alice.id).id);
    const first = await call('GET', '/v1/auth-tokens?scope_id=global');
    await call('DELETE', `/v1/auth-tokens/${gone.id}`);
    const refresh = await call('GET', `/v1/auth-tokens?scope_id=global&list_token=${first.body?.list_token}`);
    expect(refresh.body).toMatchObject({ response_type: 'complete', sort_by: 'updated_time', removed_ids: [gone.id] });
  });

  it('answers 400 to a list token it did not issue, or one issued for another resource', async () => {
    expect((await call('GET', '/v1/sessions?scope_id=global&recursive=true&list_token=forged')).status).toBe(400);
    const tokens = await call('GET', '/v1/auth-tokens?scope_id=global');
    expect((await call('GET', `/v1/sessions?scope_id=global&recursive=true&list_token=${tokens.body?.list_token}`)).status).toBe(400);
  });
});

describe('faults and grants', () => {
  it('answers 503 with Retry-After on a route for a time window, then recovers', async () => {
    sim.injectFault({ route: 'GET /v1/sessions', status: 503, retryAfterSeconds: 7, forMs: 60_000 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await call('GET', '/v1/sessions?scope_id=global&recursive=true');
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('7');
    }
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(200);
    sim.advance(60_001);
    expect((await call('GET', '/v1/sessions?scope_id=global&recursive=true')).status).toBe(200);
  });

  it('adds latency and drops connections on request', async () => {
    sim.injectFault({ route: 'GET /v1/auth-tokens', latencyMs: 150 });
    const started = Date.now();
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sim.injectFault({ route: 'GET /v1/auth-tokens', drop: true });
    await expect(call('GET', '/v1/auth-tokens?scope_id=global')).rejects.toThrow();
  });

  it('answers 403 PermissionDenied when the bot lacks a grant, after 404 for what does not exist', async () => {
    const session = sim.addSession(sim.addUser().id);
    sim.denyGrant('session', 'cancel');
    expect(await call('POST', `/v1/sessions/${session.id}:cancel`, { body: { version: 2 } })).toMatchObject({
      status: 403,
      body: { kind: 'PermissionDenied', message: 'Forbidden.' },
    });
    expect((await call('POST', '/v1/sessions/s_0000000000:cancel', { body: { version: 2 } })).status).toBe(404);
    sim.denyGrant('auth-token', 'list');
    expect((await call('GET', '/v1/auth-tokens?scope_id=global')).status).toBe(403);
  });

  it('hides listed items the bot has no action on', async () => {
    sim.addSession(sim.addUser().id);
    sim.denyGrant('session', 'read');
    sim.denyGrant('session', 'cancel');
    expect((await call('GET', '/v1/sessions?scope_id=global&recursive=true')).body).not.toHaveProperty('items');
  });

  it('logs every request with its status and the user behind the token', async () => {
    await call('GET', '/v1/nowhere');
    expect(sim.log.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.userId}`)).toEqual([
      `POST /v1/auth-methods/${sim.passwordAuthMethodId}:authenticate 200 null`,
      `GET /v1/nowhere 404 ${sim.botUser.id}`,
    ]);
  });
});
