import { describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/application/decide-request.js';
import { requestAccess } from '../../src/application/request-access.js';
import { APPROVER_1, makePolicy, makeTarget, REQUESTER } from '../support/fixtures.js';
import { drain, PRINCIPAL, setUpJobs } from '../support/job-harness.js';

const GROUP = makeTarget().grant.groupId;
const form = { requesterId: REQUESTER, targetId: 'prod-ssh', reason: 'Investigating incident INC-42', durationMinutes: 60 };

function world(targets = [makeTarget()]) {
  const { deps, store } = setUpJobs(makePolicy(targets));
  deps.profiles.people.set(REQUESTER, { email: 'sam@contoso.example' });
  deps.profiles.people.set(APPROVER_1, { email: 'maria@contoso.example' });
  deps.directory.users.set('sam@contoso.example', { principalId: PRINCIPAL, userPrincipalName: 'sam@contoso.example' });
  deps.directory.users.set('maria@contoso.example', {
    principalId: '22222222-2222-4222-8222-222222222222',
    userPrincipalName: 'maria@contoso.example',
  });
  return { deps, store };
}

describe('asking for access', () => {
  it('answers a person who already holds the membership outside the bot that they have it, and stores nothing', async () => {
    const { deps, store } = world();
    deps.access.present.add(`${GROUP}/${PRINCIPAL}`);
    expect(await requestAccess(deps, form)).toMatchObject({ ok: false, code: 'already_held' });
    expect(store.requests.size).toBe(0);
  });

  it('lets a person ask for a second target on a group the bot already grants them (an overlap, not standing access)', async () => {
    const { deps } = world([makeTarget(), makeTarget({ id: 'prod-db', name: 'Production databases' })]);
    const first = await requestAccess(deps, form);
    if (!first.ok) throw new Error(first.code);
    await decideRequest(deps, { requestId: first.request.id, actorId: APPROVER_1, decision: 'approve' });
    await drain(deps);
    expect(deps.access.present.has(`${GROUP}/${PRINCIPAL}`)).toBe(true);
    expect(await requestAccess(deps, { ...form, targetId: 'prod-db' })).toMatchObject({ ok: true });
  });

  it.each([
    ['a Slack guest', { slackGuest: true, entraGuest: false }],
    ['an Entra guest account', { slackGuest: false, entraGuest: true }],
  ])('refuses %s unless the target allows guests', async (_who, { slackGuest, entraGuest }) => {
    const { deps } = world([makeTarget(), makeTarget({ id: 'vendor-portal', name: 'Vendor portal', allowGuests: true })]);
    deps.profiles.people.set(REQUESTER, { email: 'sam@contoso.example', guest: slackGuest });
    deps.directory.users.set('sam@contoso.example', {
      principalId: PRINCIPAL,
      userPrincipalName: 'sam_ext#EXT#@contoso.example',
      guest: entraGuest,
    });
    expect(await requestAccess(deps, form)).toMatchObject({ ok: false, code: 'guest_not_allowed' });
    expect(await requestAccess(deps, { ...form, targetId: 'vendor-portal' })).toMatchObject({ ok: true });
  });
});

describe('approving', () => {
  it('refuses an approver whose Slack email resolves to the requester’s Entra account (a second Slack account)', async () => {
    const { deps, store } = world();
    const asked = await requestAccess(deps, form);
    if (!asked.ok) throw new Error(asked.code);
    // Maria's Slack profile carries an address of Sam's mailbox.
    deps.profiles.people.set(APPROVER_1, { email: 'sam.alias@contoso.example' });
    deps.directory.users.set('sam.alias@contoso.example', {
      principalId: PRINCIPAL.toUpperCase(),
      userPrincipalName: 'sam@contoso.example',
    });
    expect(await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'same_entra_account',
      account: asked.request.principalName,
    });
    expect(store.requests.get(asked.request.id)?.state).toBe('pending');
  });

  it('refuses an approver whose Slack email is only an alias of the requester’s account, which no lookup by email finds', async () => {
    const { deps, store } = world();
    const asked = await requestAccess(deps, form);
    if (!asked.ok) throw new Error(asked.code);
    deps.profiles.people.set(APPROVER_1, { email: 'sam@home.example' });
    deps.directory.aliases.set('sam@home.example', PRINCIPAL);
    expect(await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' })).toMatchObject({
      ok: false,
      code: 'same_entra_account',
    });
    expect(store.requests.get(asked.request.id)?.state).toBe('pending');
  });

  it.each<[string, string, string | undefined]>([
    ['whose Slack email matches no Entra account', 'no_entra_account', 'maria@personal.example'],
    ['whose Slack profile has no email', 'no_slack_email', undefined],
  ])('refuses an approver %s: nothing shows they are not the requester', async (_who, because, email) => {
    const { deps, store } = world();
    const asked = await requestAccess(deps, form);
    if (!asked.ok) throw new Error(asked.code);
    if (email) deps.profiles.people.set(APPROVER_1, { email });
    else deps.profiles.people.delete(APPROVER_1);
    expect(await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'approver_not_in_entra',
      because,
    });
    expect(store.requests.get(asked.request.id)?.state).toBe('pending');
    expect(store.requests.get(asked.request.id)?.approvals).toEqual([]);
  });

  it('lets an approver who matches no Entra account deny: a denial can only take access away', async () => {
    const { deps, store } = world();
    const asked = await requestAccess(deps, form);
    if (!asked.ok) throw new Error(asked.code);
    deps.profiles.people.set(APPROVER_1, { email: 'maria@personal.example' });
    expect(
      await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'deny', comment: 'Not during the freeze' }),
    ).toMatchObject({ ok: true });
    expect(store.requests.get(asked.request.id)?.state).toBe('denied');
  });

  it('does not count an approval while the approver’s Entra identity cannot be checked', async () => {
    const { deps } = world();
    const asked = await requestAccess(deps, form);
    if (!asked.ok) throw new Error(asked.code);
    deps.directory.failure = { ok: false, kind: 'transient', message: '503 from Graph' };
    expect(await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' })).toEqual({
      ok: false,
      code: 'identity_unconfirmed',
    });
    deps.directory.failure = undefined;
    expect(await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' })).toMatchObject({
      ok: true,
    });
  });
});
