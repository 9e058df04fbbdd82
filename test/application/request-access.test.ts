import { describe, expect, it } from 'vitest';
import { decideRequest } from '../../src/application/decide-request.js';
import { requestAccess } from '../../src/application/request-access.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
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

describe('naming a PagerDuty incident', () => {
  const incidentTarget = (incident: 'optional' | 'required') => makeTarget({ incident });

  function withIncidents(incident: 'optional' | 'required') {
    const { deps, store } = world([incidentTarget(incident)]);
    const pagerDuty = new FakePagerDuty(() => deps.clock.now());
    pagerDuty.addIncident({ id: 'Q1OPEN', number: 1234, title: 'Checkout latency above 2 s' });
    pagerDuty.addIncident({ id: 'Q1DONE', number: 1200, title: 'Disk full on db-2', status: 'resolved' });
    return { deps: { ...deps, incidents: pagerDuty }, store, pagerDuty };
  }

  it('stores an open incident, by number or id, with its number and title, and records it in the audit trail', async () => {
    const { deps, store } = withIncidents('required');
    const asked = await requestAccess(deps, { ...form, incident: '#1234' });
    expect(asked).toMatchObject({ ok: true, request: { incident: { id: 'Q1OPEN', number: 1234, title: 'Checkout latency above 2 s' } } });
    expect(store.audit[0]?.detail).toMatchObject({ incident: { id: 'Q1OPEN', number: 1234 } });
  });

  it.each([
    ['required', '', { code: 'incident_missing' }],
    ['required', '9999', { code: 'incident_not_found' }],
    ['optional', 'not an id!', { code: 'incident_not_found' }],
    ['required', 'Q1DONE', { code: 'incident_resolved', number: 1200 }],
  ])('refuses on the incident field, where it is %s, the incident "%s"', async (incident, typed, refusal) => {
    const { deps, store } = withIncidents(incident as 'optional' | 'required');
    expect(await requestAccess(deps, { ...form, incident: typed })).toEqual({ ok: false, field: 'incident', ...refusal });
    expect(store.requests.size).toBe(0);
  });

  it.each([
    ['required', false],
    ['optional', true],
  ])('refuses an incident PagerDuty could not check where it is %s, saying whether it may be left out', async (incident, optional) => {
    const { deps, pagerDuty } = withIncidents(incident as 'optional' | 'required');
    pagerDuty.failNext({ ok: false, kind: 'transient', message: 'PagerDuty GET /incidents/{id}: no answer within 1500 ms' });
    expect(await requestAccess(deps, { ...form, incident: '1234' })).toMatchObject({
      ok: false,
      field: 'incident',
      code: 'incident_unchecked',
      optional,
    });
  });

  it('accepts an optional incident left empty, without asking PagerDuty', async () => {
    const { deps, pagerDuty } = withIncidents('optional');
    const asked = await requestAccess(deps, { ...form, incident: '  ' });
    expect(asked.ok && asked.request.incident).toBeUndefined();
    expect(pagerDuty.calls).toEqual([]);
  });

  it('puts the incident’s number and title into the justification Entra keeps with the grant', async () => {
    const { deps } = withIncidents('required');
    const asked = await requestAccess(deps, { ...form, incident: 'Q1OPEN' });
    if (!asked.ok) throw new Error(asked.code);
    await decideRequest(deps, { requestId: asked.request.id, actorId: APPROVER_1, decision: 'approve' });
    await drain(deps);
    expect(deps.access.calls.find((call) => call.op === 'grant')?.justification).toBe(
      `Investigating incident INC-42 (PagerDuty incident #1234: Checkout latency above 2 s) (jit-access-bot ${asked.request.id})`,
    );
  });
});
