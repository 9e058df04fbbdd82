import { describe, expect, it } from 'vitest';
import { approveIfOnCall } from '../../src/application/approve-on-call.js';
import { decideRequest } from '../../src/application/decide-request.js';
import { recordRequest } from '../../src/application/record-request.js';
import { fieldsOf } from '../../src/domain/access-request.js';
import type { Target } from '../../src/domain/policy.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { APPROVER_1, makePolicy, makeTarget, REQUESTER } from '../support/fixtures.js';
import { drain, PRINCIPAL, setUpJobs } from '../support/job-harness.js';

const EMAIL = 'sam.sre@contoso.example';
const onCallTarget = makeTarget({
  autoApprove: { onCall: { scheduleIds: ['PSCHED01'], escalationPolicyIds: ['PEPOLICY1'], maxLevel: 1 }, maxMinutes: 60 },
});

/** The bot's job worker on fakes, with PagerDuty, and SAM known to PagerDuty by his Slack email. */
function world(target: Target = onCallTarget) {
  const { deps, store } = setUpJobs(makePolicy([target]));
  const pagerDuty = new FakePagerDuty(() => deps.clock.now());
  const sam = pagerDuty.addUser(EMAIL, 'PSAM001');
  return { deps: { ...deps, onCall: pagerDuty }, store, pagerDuty, sam };
}

async function ask(deps: ReturnType<typeof world>['deps'], durationMinutes = 60, email: string | undefined = EMAIL): Promise<string> {
  const outcome = await recordRequest(deps, {
    requesterId: REQUESTER,
    principalId: PRINCIPAL,
    ...(email !== undefined && { email }),
    targetId: 'prod-ssh',
    reason: 'Investigating incident INC-42',
    durationMinutes,
  });
  if (!outcome.ok) throw new Error(outcome.code);
  return outcome.request.id;
}

describe('approval by PagerDuty on-call', () => {
  it('approves and grants a requester on call for a listed schedule, after the card is posted, naming the schedule', async () => {
    const { deps, store, pagerDuty, sam } = world();
    pagerDuty.putOnCall({ userId: sam, escalationPolicyId: 'PEOTHER1', scheduleId: 'PSCHED01' });
    const id = await ask(deps);
    await drain(deps);
    const request = await store.find(id);
    expect(request).toMatchObject({ state: 'active', autoApprovedBy: 'PagerDuty on-call (schedule PSCHED01)', approvals: [] });
    expect(deps.notifier.told.map((told) => told.event)).toEqual(['requested', 'approved', 'granted']);
    expect(store.audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ['requested', REQUESTER],
      ['auto_approved', 'PagerDuty on-call (schedule PSCHED01)'],
      ['grant_call_sent', 'system'],
      ['granted', 'system'],
    ]);
  });

  // PagerDuty is asked for the listed schedules and policies only: an on-call for another is not among its answers.
  it.each([
    ['off call', () => undefined, 60, EMAIL, 'off_call'],
    [
      'on call above max_level',
      (p: FakePagerDuty, sam: string) => p.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1', escalationLevel: 2 }),
      60,
      EMAIL,
      'level_too_high',
    ],
    [
      'on call for a schedule the target does not list',
      (p: FakePagerDuty, sam: string) => p.putOnCall({ userId: sam, escalationPolicyId: 'PEOTHER1', scheduleId: 'PSCHED99' }),
      60,
      EMAIL,
      'off_call',
    ],
    [
      'asking for longer than auto_approve.max',
      (p: FakePagerDuty, sam: string) => p.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1' }),
      120,
      EMAIL,
      'too_long',
    ],
    [
      'known to PagerDuty by no exact email',
      (p: FakePagerDuty) => p.putOnCall({ userId: p.addUser('xsam.sre@contoso.example'), escalationPolicyId: 'PEPOLICY1' }),
      60,
      'sam.sre@contoso.example.org',
      'not_in_pagerduty',
    ],
    [
      'with PagerDuty failing',
      (p: FakePagerDuty) => p.failNext({ ok: false, kind: 'transient', message: 'PagerDuty GET /users: no answer within 3000 ms' }),
      60,
      EMAIL,
      'pagerduty_failed',
    ],
  ])('leaves a requester %s to the approvers, saying why in the audit trail', async (_case, arrange, minutes, email, because) => {
    const { deps, store, pagerDuty, sam } = world();
    arrange(pagerDuty, sam);
    const id = await ask(deps, minutes, email);
    await drain(deps);
    expect(await store.find(id)).toMatchObject({ state: 'pending' });
    expect(store.audit.filter((entry) => entry.requestId === id).map((entry) => [entry.action, entry.detail.because])).toEqual([
      ['requested', undefined],
      ['auto_approval_declined', because],
    ]);
    const decided = await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'approve' });
    expect(decided).toMatchObject({ ok: true, request: { state: 'approved' } });
  });

  it('asks PagerDuty nothing for a target that does not offer it, nor for a request longer than it allows', async () => {
    const plain = world(makeTarget());
    await ask(plain.deps);
    await drain(plain.deps);
    const onCall = world();
    await ask(onCall.deps, 120);
    await drain(onCall.deps);
    expect([...plain.pagerDuty.calls, ...onCall.pagerDuty.calls]).toEqual([]);
  });

  it('leaves a decision an approver made meanwhile as it is', async () => {
    const { deps, store, pagerDuty, sam } = world();
    pagerDuty.putOnCall({ userId: sam, escalationPolicyId: 'PEPOLICY1' });
    const id = await ask(deps);
    const pending = await store.find(id);
    if (!pending) throw new Error('not stored');
    await decideRequest(deps, { requestId: id, actorId: APPROVER_1, decision: 'deny' });
    expect(await approveIfOnCall(deps, pending)).toEqual({ approved: false, because: 'moved_on' });
    expect(await store.find(id)).toMatchObject({ state: 'denied' });
    expect(fieldsOf((await store.find(id)) ?? pending).autoApprovedBy).toBeUndefined();
  });
});
