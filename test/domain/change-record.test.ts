import { describe, expect, it } from 'vitest';
import { approve, failGrant, type RequestFields, SYSTEM } from '../../src/domain/access-request.js';
import { nextChangeStep, type RecordedChange, recordChange, reportChangeTrouble } from '../../src/domain/change-record.js';
import { confirmEnd, endHeldElsewhere } from '../../src/domain/ending.js';
import { APPROVER_1, makeTarget, requestIn, T0 } from '../support/fixtures.js';

const change = (state: RecordedChange['state']): RecordedChange => ({ sysId: 'sys-1', number: 'CHG0030001', state });
const ending = { ending: { reason: 'released' as const, by: 'U0SRE0001', at: T0 + 5000 } };

describe('the change record of a request', () => {
  it.each([
    ['an approved request without a change', requestIn('approved'), true, 'open'],
    ['an approved request of a target without change_record', requestIn('approved'), false, 'none'],
    ['an active request whose change is new', requestIn('active', { change: change('new') }), true, 'implement'],
    ['an active request whose change is scheduled', requestIn('active', { change: change('scheduled') }), true, 'implement'],
    ['an active request whose change is in implement', requestIn('active', { change: change('implement') }), true, 'none'],
    ['an ended request whose change is in implement', requestIn('ended', { change: change('implement') }), true, 'close'],
    ['an ended request whose change was never opened', requestIn('ended'), true, 'open'],
    ['an ended request whose change is closed', requestIn('ended', { change: change('closed') }), true, 'none'],
    ['a failed request whose change is new', requestIn('failed', { change: change('new') }), true, 'close'],
    ['a request whose change was canceled in ServiceNow', requestIn('active', { change: change('canceled') }), true, 'none'],
    ['a pending request', requestIn('pending'), true, 'none'],
    ['a denied request', requestIn('denied'), true, 'none'],
  ] as const)('for %s, the next step is %s', (_case, request, wanted, step) => {
    expect(nextChangeStep(request, wanted).kind).toBe(step);
  });

  it('closes with the end reason, or as failed for a failed grant', () => {
    expect(nextChangeStep(requestIn('ended', { change: change('implement'), endReason: 'revoked' }), true)).toMatchObject({
      outcome: 'revoked',
    });
    expect(nextChangeStep(requestIn('failed', { change: change('implement') }), true)).toMatchObject({ outcome: 'failed' });
  });

  it('queues the change record job with the grant when a target keeps change records, and not otherwise', () => {
    const kinds = (fields: Partial<Parameters<typeof makeTarget>[0]>) => {
      const result = approve(requestIn('pending'), makeTarget(fields), APPROVER_1, T0 + 1000);
      return result.ok ? result.jobs.map((job) => job.kind) : [];
    };
    expect(kinds({ changeRecord: { templateId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', required: false } })).toEqual([
      'grant',
      'change_record',
      'notify',
    ]);
    expect(kinds({})).toEqual(['grant', 'notify']);
  });

  it('queues a job to close the change at the end only when the change rests in Implement (an unfinished one is still its opener’s)', () => {
    const jobKinds = (fields: Partial<RequestFields>) => {
      const result = confirmEnd(requestIn('active', { ...ending, ...fields }), T0 + 6000, { outcome: 'removed' });
      return result.ok ? result.jobs.map((job) => job.kind) : [];
    };
    expect(jobKinds({ change: change('implement') })).toEqual(['change_record', 'notify']);
    expect(jobKinds({ change: change('new') })).toEqual(['notify']);
    expect(jobKinds({})).toEqual(['notify']);
    const held = endHeldElsewhere(requestIn('active', { ...ending, change: change('implement') }), T0 + 6000, 'sched-1');
    expect(held.ok && held.jobs.map((job) => job.kind)).toEqual(['change_record', 'notify']);
    const failed = failGrant(requestIn('approved', { change: change('implement') }), 'Graph said no', T0 + 3000);
    expect(failed.ok && failed.jobs.map((job) => job.kind)).toEqual(['change_record', 'notify']);
  });

  it('records a change once opened, telling people its number, and again when it is closed, telling them the outcome', () => {
    const opened = recordChange(requestIn('active', { changeProblem: 'ServiceNow answered 503' }), change('new'));
    expect(opened).toMatchObject({
      ok: true,
      request: { change: change('new') },
      audit: { action: 'change_opened' },
      jobs: [{ event: 'change_opened' }],
    });
    expect(opened.ok && 'changeProblem' in opened.request).toBe(false);
    expect(recordChange(requestIn('active', { change: change('new') }), change('implement'))).toMatchObject({
      ok: true,
      jobs: [{ event: 'changed' }],
    });
    expect(recordChange(requestIn('ended', { change: change('review') }), change('closed'))).toMatchObject({
      ok: true,
      jobs: [{ event: 'change_closed' }],
    });
    expect(recordChange(requestIn('active', { change: change('implement') }), change('implement'))).toEqual({
      ok: false,
      code: 'already_recorded',
    });
    expect(recordChange(requestIn('pending'), change('new'))).toMatchObject({ ok: false, code: 'wrong_state' });
  });

  it('reports a failing change record with what went wrong, for the thread', () => {
    expect(reportChangeTrouble(requestIn('approved'), 'ServiceNow answered 503')).toMatchObject({
      ok: true,
      request: { changeProblem: 'ServiceNow answered 503' },
      audit: { action: 'change_record_failing', actor: SYSTEM, detail: { problem: 'ServiceNow answered 503' } },
      jobs: [{ kind: 'notify', event: 'change_failing' }],
    });
  });
});
