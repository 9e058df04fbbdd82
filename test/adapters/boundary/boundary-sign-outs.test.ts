import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundarySimulator } from '../../../simulators/boundary/boundary-simulator.js';
import { BoundarySessionRevoker, filterLiteral } from '../../../src/adapters/boundary/boundary-sign-outs.js';

const ALICE_OID = '11111111-1111-4111-8111-111111111111';
const BOB_OID = '22222222-2222-4222-8222-222222222222';

let sim: BoundarySimulator;

function revoker(options: { timeoutMs?: number; password?: string } = {}): BoundarySessionRevoker {
  return new BoundarySessionRevoker({
    addr: sim.url,
    authMethodId: sim.passwordAuthMethodId,
    loginName: sim.botLoginName,
    password: options.password ?? sim.botPassword,
    oidcAuthMethodId: sim.oidcAuthMethodId,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
}

/** Alice: an OIDC account and a password account on one user, a token from each, two sessions. */
function seedAlice(oidc: { subject?: string; email?: string } = { subject: ALICE_OID, email: 'alice@example.com' }) {
  const user = sim.addUser({ name: 'alice' });
  const oidcAccount = sim.addAccount(user.id, oidc);
  const passwordAccount = sim.addAccount(user.id, { authMethodId: sim.passwordAuthMethodId, loginName: 'alice', password: 'pw' });
  const oidcToken = sim.signIn(oidcAccount.id);
  sim.signIn(passwordAccount.id);
  const sessions = [sim.addSession(user.id, { authTokenId: oidcToken.id }), sim.addSession(user.id, { status: 'pending' })];
  return { user, oidcAccount, passwordAccount, sessions };
}

function seedBob() {
  const user = sim.addUser({ name: 'bob' });
  const account = sim.addAccount(user.id, { subject: BOB_OID, email: 'bob@example.com' });
  const token = sim.signIn(account.id);
  const session = sim.addSession(user.id, { authTokenId: token.id });
  return { user, token, session };
}

beforeEach(async () => {
  sim = await BoundarySimulator.start();
});

afterEach(async () => {
  await sim.stop();
});

describe('BoundarySessionRevoker', () => {
  it("ends every token and live session of the person's user, whatever auth method issued the token", async () => {
    const alice = seedAlice();
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    // One session ended with its OIDC token; the pending one, authorized otherwise, is cancelled explicitly.
    expect(result).toEqual({ ok: true, tokensRevoked: 2, sessionsEnded: 2, users: 1, otherAccounts: 1, verified: true });
    expect(sim.tokensOf(alice.user.id)).toEqual([]);
    expect(alice.sessions.map((session) => sim.sessionStatus(session.id))).toEqual(['canceling', 'canceling']);
  });

  it("never touches anyone else's token or session", async () => {
    seedAlice();
    const bob = seedBob();
    await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(sim.tokensOf(bob.user.id).map((token) => token.id)).toEqual([bob.token.id]);
    expect(sim.sessionStatus(bob.session.id)).toBe('active');
    expect(sim.tokensOf(sim.botUser.id)).toHaveLength(1);
  });

  it('matches by subject first, even when the email points at someone else', async () => {
    const alice = seedAlice();
    const bob = seedBob();
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'bob@example.com' });
    expect(result).toMatchObject({ ok: true, users: 1 });
    expect(sim.tokensOf(alice.user.id)).toEqual([]);
    expect(sim.tokensOf(bob.user.id)).toHaveLength(1);
  });

  it('falls back to the email, compared without regard to case', async () => {
    const alice = seedAlice({ subject: 'pairwise-sub-not-the-oid', email: 'Alice.Smith@Example.com' });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice.smith@example.COM' });
    expect(result).toMatchObject({ ok: true, tokensRevoked: 2, users: 1, verified: true });
    expect(sim.tokensOf(alice.user.id)).toEqual([]);
  });

  it('reports nothing to do for a person without a Boundary account', async () => {
    seedBob();
    expect(await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' })).toEqual({
      ok: true,
      tokensRevoked: 0,
      sessionsEnded: 0,
      users: 0,
      otherAccounts: 0,
      verified: true,
    });
  });

  it('does nothing more on a second run, and still verifies', async () => {
    seedAlice();
    const bot = revoker();
    await bot.endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    sim.finishCanceling();
    expect(await bot.endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' })).toEqual({
      ok: true,
      tokensRevoked: 0,
      sessionsEnded: 0,
      users: 1,
      otherAccounts: 1,
      verified: true,
    });
  });

  it('cancels at the current version after a stale one, reading the session again', async () => {
    const alice = seedAlice();
    sim.injectFault({ route: /^POST \/v1\/sessions\/s_\w+:cancel$/, status: 500 });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(result).toMatchObject({ ok: true, sessionsEnded: 2 });
    expect(sim.sessionStatus(alice.sessions[1]?.id ?? '')).toBe('canceling');
    expect(sim.log.filter((entry) => entry.path.startsWith('/v1/sessions/s_')).map((entry) => `${entry.method} ${entry.status}`)).toEqual([
      'POST 500',
      'GET 200',
      'POST 200',
    ]);
  });

  it('counts only accounts outside the OIDC auth method as other accounts', async () => {
    const user = sim.addUser();
    sim.addAccount(user.id, { subject: ALICE_OID });
    sim.addAccount(user.id, { subject: 'second-entra-identity' });
    sim.addAccount(user.id, { authMethodId: sim.addAuthMethod('ldap'), loginName: 'alice' });
    sim.addAccount(user.id, { authMethodId: sim.addAuthMethod('oidc'), subject: 'other-idp' });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: '' });
    expect(result).toMatchObject({ ok: true, users: 1, otherAccounts: 2 });
  });

  it('finds the user behind an OIDC account that is neither its primary account nor signed in', async () => {
    // Alice signed in with a password first; her OIDC account was linked to her user later, and never used.
    const user = sim.addUser({ name: 'alice' });
    const password = sim.addAccount(user.id, { authMethodId: sim.passwordAuthMethodId, loginName: 'alice', password: 'pw' });
    const token = sim.signIn(password.id);
    const session = sim.addSession(user.id, { authTokenId: token.id });
    const oidc = sim.addAccount(sim.addUser().id, { subject: ALICE_OID });
    sim.linkAccount(oidc.id, user.id);
    expect(sim.store.users.get(user.id)?.primaryAccountId).toBe(password.id);

    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: '' });
    expect(result).toEqual({ ok: true, tokensRevoked: 1, sessionsEnded: 1, users: 1, otherAccounts: 1, verified: true });
    expect(sim.tokensOf(user.id)).toEqual([]);
    expect(sim.sessionStatus(session.id)).toBe('canceling');
  });

  it('lists the users once per sign-out, in the accounts’ scope, then only what changed, and reads a changed user again', async () => {
    const alice = seedAlice();
    const bob = seedBob();
    const bot = revoker();
    const userCalls = () => sim.log.filter((entry) => entry.method === 'GET' && entry.path.startsWith('/v1/users'));
    const callsSince = (mark: number) =>
      userCalls()
        .slice(mark)
        .map((entry) => `${entry.path}${entry.query.has('list_token') ? ' (refresh)' : ''}`)
        .sort();

    await bot.endSignIns({ principalId: ALICE_OID, email: '' });
    expect(userCalls()[0]?.query.get('filter')).toBe('("/item/scope_id" == "global")');
    // One listing, then the bot's own user, Alice and Bob, each read once.
    expect(callsSince(0)).toEqual(['/v1/users', ...[sim.botUser.id, alice.user.id, bob.user.id].map((id) => `/v1/users/${id}`)].sort());

    let mark = userCalls().length;
    await bot.endSignIns({ principalId: BOB_OID, email: '' });
    expect(callsSince(mark)).toEqual(['/v1/users (refresh)']);

    // Bob's OIDC account moves to Alice's user: both users change, and only they are read again.
    mark = userCalls().length;
    const bobAccount = sim.store.users.get(bob.user.id)?.accountIds[0] ?? '';
    sim.linkAccount(bobAccount, alice.user.id);
    sim.signIn(bobAccount);
    expect(await bot.endSignIns({ principalId: BOB_OID, email: '' })).toMatchObject({ ok: true, tokensRevoked: 1, users: 1 });
    expect(callsSince(mark)).toEqual(['/v1/users (refresh)', `/v1/users/${alice.user.id}`, `/v1/users/${bob.user.id}`].sort());
  });

  it('lists the users in full again when Boundary refuses the refresh (the bot’s grants changed)', async () => {
    const alice = seedAlice();
    seedBob();
    const bot = revoker();
    await bot.endSignIns({ principalId: BOB_OID, email: '' });
    sim.grants.add('user:update');
    const other = sim.addUser({ name: 'alice-second' });
    sim.linkAccount(sim.addAccount(other.id, { subject: ALICE_OID }).id, alice.user.id);
    expect(await bot.endSignIns({ principalId: ALICE_OID, email: '' })).toMatchObject({ ok: true, tokensRevoked: 2, users: 1 });
    const listings = sim.log.filter((entry) => entry.path === '/v1/users');
    expect(listings.map((entry) => `${entry.status}${entry.query.has('list_token') ? ' refresh' : ''}`)).toEqual([
      '200',
      '400 refresh',
      '200',
    ]);
  });

  it('shares one listing among sign-outs that ask at the same time', async () => {
    seedAlice();
    seedBob();
    sim.injectFault({ route: 'GET /v1/users', latencyMs: 100, times: Number.POSITIVE_INFINITY });
    const bot = revoker();
    const results = await Promise.all(
      [ALICE_OID, BOB_OID, ALICE_OID, BOB_OID, ALICE_OID].map((principalId) => bot.endSignIns({ principalId, email: '' })),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    // The first sign-out's listing, then one more shared by the four that asked while it ran.
    expect(sim.log.filter((entry) => entry.path === '/v1/users')).toHaveLength(2);
  });

  it('follows the users listing across pages', async () => {
    await sim.stop();
    sim = await BoundarySimulator.start({ maxPageSize: 2 });
    const alice = seedAlice();
    for (let index = 0; index < 4; index++) sim.addUser({ name: `someone-${index}` });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: '' });
    expect(result).toMatchObject({ ok: true, tokensRevoked: 2, users: 1 });
    expect(sim.tokensOf(alice.user.id)).toEqual([]);
    const listings = sim.log.filter((entry) => entry.path === '/v1/users');
    // The bot's user, Alice and four more: three pages of two.
    expect(listings.map((entry) => entry.query.has('list_token'))).toEqual([false, true, true]);
  });

  it('keeps a filter injection in the email inside its string literal', async () => {
    const alice = seedAlice();
    const bob = seedBob();
    const attack = 'nobody@example.com" or "/item/id" != "';
    const result = await revoker().endSignIns({ principalId: 'not-a-subject\\" or \\"/item/id\\" != \\"', email: attack });
    expect(result).toMatchObject({ ok: true, users: 0, tokensRevoked: 0 });
    expect(sim.tokensOf(alice.user.id)).toHaveLength(2);
    expect(sim.tokensOf(bob.user.id)).toHaveLength(1);
    const filters = sim.log.map((entry) => entry.query.get('filter')).filter((filter) => filter !== null);
    expect(filters).toContain(`"/item/attributes/email" == ${filterLiteral(attack)}`);
    expect(filterLiteral(attack)).toBe('"nobody@example.com\\" or \\"/item/id\\" != \\""');
  });
});

describe('BoundarySessionRevoker when Boundary fails', () => {
  it('gives a transient failure with the wait Boundary asked for on 503 with Retry-After', async () => {
    seedAlice();
    sim.injectFault({ route: 'GET /v1/sessions', status: 503, retryAfterSeconds: 30, forMs: 60_000 });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(result).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 30_000 });
  });

  it("signs in again once when Boundary no longer accepts the bot's token, and succeeds", async () => {
    seedAlice();
    const bot = revoker();
    await bot.endSignIns({ principalId: BOB_OID, email: '' });
    sim.revokeBotTokens();
    const result = await bot.endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(result).toMatchObject({ ok: true, tokensRevoked: 2, verified: true });
    const signIns = sim.log.filter((entry) => entry.path.endsWith(':authenticate'));
    expect(signIns).toHaveLength(2);
  });

  it('fails permanently, naming the grant, when the bot may not cancel sessions', async () => {
    seedAlice();
    sim.denyGrant('session', 'cancel');
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'PermissionDenied' });
    expect(result.ok === false && result.message).toContain('ids=*;type=session;actions=list,read,cancel');
  });

  it('fails permanently on a wrong password, without repeating it', async () => {
    const result = await revoker({ password: 'wrong-secret-value' }).endSignIns({ principalId: ALICE_OID, email: '' });
    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'BoundarySignInRefused' });
    expect(JSON.stringify(result)).not.toContain('wrong-secret-value');
  });

  it('gives a transient failure when Boundary does not answer in time', async () => {
    seedAlice();
    sim.injectFault({ route: 'GET /v1/accounts', latencyMs: 500 });
    const result = await revoker({ timeoutMs: 100 }).endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    expect(result).toMatchObject({ ok: false, kind: 'transient', message: expect.stringContaining('no answer within 100 ms') });
  });

  it('gives a transient failure when the connection drops', async () => {
    sim.injectFault({ route: 'GET /v1/accounts', drop: true });
    const result = await revoker().endSignIns({ principalId: ALICE_OID, email: '' });
    expect(result).toMatchObject({ ok: false, kind: 'transient' });
  });

  it('reports "not yet verified" when the person signs in again before the second listing', async () => {
    const alice = seedAlice();
    // The cancel is held back long enough for Alice to sign in again while the revocation runs.
    sim.injectFault({ route: 'POST /v1/sessions/', latencyMs: 200 });
    const run = revoker().endSignIns({ principalId: ALICE_OID, email: 'alice@example.com' });
    await waitFor(() => sim.log.some((entry) => entry.method === 'POST' && entry.path.endsWith(':cancel')));
    sim.signIn(alice.oidcAccount.id);
    const result = await run;
    expect(result).toMatchObject({ ok: false, kind: 'transient', message: expect.stringContaining('not yet verified: 1 auth token(s)') });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
}
