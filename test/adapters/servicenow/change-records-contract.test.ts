// One contract for change records, held by the ServiceNow client (over the Change Management API, against the
// strict ServiceNow simulator on loopback) and by the hand-written fake alike, so that use-case tests run on the
// fake say something true of ServiceNow. The simulator answers a create with an object in one run and with an
// array (and states as numbers) in the other, the two shapes ServiceNow's docs show.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowSimulator } from '../../../simulators/servicenow/servicenow-simulator.js';
import { ServiceNowClient } from '../../../src/adapters/servicenow/servicenow-client.js';
import type { ChangeOrder, ChangeRecords, ChangeState } from '../../../src/application/ports.js';
import { FakeChangeRecords, type InjectedFailure } from '../../support/fake-servicenow-changes.js';

const TEMPLATE = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

// change_request.state values (servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html).
const STATE_NAMES: Record<string, ChangeState> = {
  '-5': 'new',
  '-4': 'assess',
  '-3': 'authorize',
  '-2': 'scheduled',
  '-1': 'implement',
  '0': 'review',
  '3': 'closed',
  '4': 'canceled',
};

/** A change as someone looking at ServiceNow would see it. */
interface SeenChange {
  number: string;
  state: ChangeState;
  correlationId: string;
  shortDescription: string;
  closeCode: string;
  closeNotes: string;
}

interface Subject {
  records: ChangeRecords;
  addTemplate(id: string, options?: { active?: boolean }): void;
  changes(): SeenChange[];
  failNext(failure: InjectedFailure): void;
  /** The next call of that kind takes effect, and its answer is lost on the way back. */
  loseNextAnswer(op: 'openChange' | 'closeChange'): void;
  cancel(sysId: string): void;
  stop(): Promise<void>;
}

function inMemory(): Subject {
  const fake = new FakeChangeRecords();
  return {
    records: fake,
    addTemplate: (id, options) => fake.addTemplate(id, options),
    changes: () =>
      fake.changes.map(({ number, state, correlationId, shortDescription, closeCode, closeNotes }) => ({
        number,
        state,
        correlationId,
        shortDescription,
        closeCode,
        closeNotes,
      })),
    failNext: (failure) => fake.failNext(failure),
    loseNextAnswer: (op) => fake.loseNextAnswer(op),
    cancel: (sysId) => fake.cancel(sysId),
    stop: async () => {},
  };
}

function overServiceNow(shape: 'object' | 'array'): () => Promise<Subject> {
  return async () => {
    const sim = await ServiceNowSimulator.start({ createAnswer: shape, stateValues: shape === 'array' ? 'number' : 'string' });
    const client = new ServiceNowClient({ instanceUrl: sim.url, username: sim.username, password: sim.password, timeoutMs: 2000 });
    return {
      records: client,
      addTemplate: (id, options = {}) => sim.addTemplate({ sysId: id, active: options.active ?? true }),
      changes: () =>
        sim.changes.map((change) => ({
          number: change.number,
          state: STATE_NAMES[change.state] ?? 'new',
          correlationId: change.correlation_id,
          shortDescription: change.short_description,
          closeCode: change.close_code,
          closeNotes: change.close_notes,
        })),
      failNext: (failure) => {
        // An empty route is a prefix of every request: the next one fails, whichever it is.
        if (failure.kind === 'permanent') sim.injectFault({ route: '', status: 403 });
        else if (failure.retryAfterMs === undefined) sim.injectFault({ route: '', status: 503 });
        else sim.injectFault({ route: '', status: 429, retryAfterSeconds: failure.retryAfterMs / 1000 });
      },
      loseNextAnswer: (op) =>
        sim.loseAnswerAfterWrite(op === 'openChange' ? 'POST /api/sn_chg_rest/change/standard/' : 'PATCH /api/sn_chg_rest/change/'),
      cancel: (sysId) => sim.cancel(sysId),
      stop: () => sim.stop(),
    };
  };
}

const order = (correlationId: string, overrides: Partial<ChangeOrder> = {}): ChangeOrder => ({
  templateId: TEMPLATE,
  correlationId,
  shortDescription: 'JIT access: sam to Production servers (SSH) for 1h',
  description: 'Requested by sam (U0SRE0001), approved by maria. Reason: deploy hotfix INC0012345.',
  ...overrides,
});

describe.each([
  ['the fake', async () => inMemory()],
  ['the ServiceNow client, creates answered with an object', overServiceNow('object')],
  ['the ServiceNow client, creates answered with an array and states as numbers', overServiceNow('array')],
] as const)('change records: %s', (_name, make) => {
  let subject: Subject;

  beforeEach(async () => {
    subject = await make();
    subject.addTemplate(TEMPLATE);
  });

  afterEach(async () => {
    await subject.stop();
  });

  async function opened(correlationId: string): Promise<string> {
    const result = await subject.records.openChange(order(correlationId));
    if (!result.ok) throw new Error(result.message);
    return result.sysId;
  }

  it('opens a standard change from the template, in New, with a CHG number and the request id as correlation id', async () => {
    const result = await subject.records.openChange(order('req_0001'));

    expect(result).toMatchObject({ ok: true, alreadyOpen: false, state: 'new', number: expect.stringMatching(/^CHG\d{7}$/) });
    expect(subject.changes()).toEqual([
      expect.objectContaining({ state: 'new', correlationId: 'req_0001', shortDescription: order('req_0001').shortDescription }),
    ]);
  });

  it('finds the change it opened before instead of opening a second one', async () => {
    const first = await subject.records.openChange(order('req_0001'));
    const again = await subject.records.openChange(order('req_0001'));
    await subject.records.openChange(order('req_0002'));

    expect(again).toEqual({ ...first, alreadyOpen: true });
    expect(subject.changes().map((change) => change.correlationId)).toEqual(['req_0001', 'req_0002']);
  });

  it('opens exactly one change when the answer to the create is lost and the call is made again', async () => {
    subject.loseNextAnswer('openChange');

    const lost = await subject.records.openChange(order('req_0001'));
    const retried = await subject.records.openChange(order('req_0001'));

    expect(lost).toMatchObject({ ok: false, kind: 'transient' });
    expect(retried).toMatchObject({ ok: true, alreadyOpen: true, state: 'new' });
    expect(subject.changes()).toHaveLength(1);
  });

  it('refuses a template ServiceNow does not have, and opens nothing', async () => {
    const result = await subject.records.openChange(order('req_0001', { templateId: 'ffffffffffffffffffffffffffffffff' }));

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'TemplateNotFound' });
    expect(subject.changes()).toEqual([]);
  });

  it('refuses a template that is not active, and opens nothing', async () => {
    subject.addTemplate('9f8e7d6c5b4a39281706f5e4d3c2b1a0', { active: false });

    const result = await subject.records.openChange(order('req_0001', { templateId: '9f8e7d6c5b4a39281706f5e4d3c2b1a0' }));

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'TemplateRefused' });
    expect(subject.changes()).toEqual([]);
  });

  it('refuses a correlation id ServiceNow could not keep or look up, and opens nothing', async () => {
    for (const correlationId of ['', 'r'.repeat(101), 'req_1^ORDERBYnumber']) {
      expect(await subject.records.openChange(order(correlationId))).toMatchObject({ ok: false, code: 'InvalidCorrelationId' });
    }
    expect(subject.changes()).toEqual([]);
  });

  it('cuts a short description to the 160 characters ServiceNow keeps, visibly', async () => {
    await subject.records.openChange(order('req_0001', { shortDescription: 'x'.repeat(200) }));

    expect(subject.changes()[0]?.shortDescription).toBe(`${'x'.repeat(159)}…`);
  });

  it('moves a new change to Implement, and counts a second move as done', async () => {
    const sysId = await opened('req_0001');

    const moved = await subject.records.moveToImplement(sysId);
    const again = await subject.records.moveToImplement(sysId);

    expect(moved).toMatchObject({ ok: true, sysId, state: 'implement' });
    expect(again).toEqual(moved);
    expect(subject.changes()[0]?.state).toBe('implement');
  });

  it('closes an implemented change through Review, successful, with notes naming the outcome, and counts a second close as done', async () => {
    const sysId = await opened('req_0001');
    await subject.records.moveToImplement(sysId);

    const closed = await subject.records.closeChange(sysId, { outcome: 'expired', notes: 'Removed from Production SSH at 14:00 UTC.' });
    const again = await subject.records.closeChange(sysId, { outcome: 'expired', notes: 'Removed from Production SSH at 14:00 UTC.' });

    expect(closed).toMatchObject({ ok: true, state: 'closed' });
    expect(again).toEqual(closed);
    const [change] = subject.changes();
    expect(change).toMatchObject({ state: 'closed', closeCode: 'successful' });
    expect(change?.closeNotes).toMatch(/expired/);
    expect(change?.closeNotes).toContain('Removed from Production SSH at 14:00 UTC.');
  });

  it('closes each outcome with its close code, from wherever the change stands', async () => {
    const codes = { released: 'successful', revoked: 'successful_issues', failed: 'unsuccessful' } as const;
    for (const [outcome, code] of Object.entries(codes) as [keyof typeof codes, string][]) {
      const sysId = await opened(`req_${outcome}`);
      expect(await subject.records.closeChange(sysId, { outcome, notes: '' })).toMatchObject({ ok: true, state: 'closed' });
      const change = subject.changes().find((candidate) => candidate.correlationId === `req_${outcome}`);
      expect(change).toMatchObject({ closeCode: code, closeNotes: expect.stringContaining(outcome) });
    }
  });

  it('neither moves nor closes a change someone canceled', async () => {
    const sysId = await opened('req_0001');
    subject.cancel(sysId);

    expect(await subject.records.moveToImplement(sysId)).toMatchObject({ ok: false, kind: 'permanent', code: 'ChangeCanceled' });
    expect(await subject.records.closeChange(sysId, { outcome: 'expired', notes: '' })).toMatchObject({
      ok: false,
      kind: 'permanent',
      code: 'ChangeCanceled',
    });
    expect(subject.changes()[0]?.state).toBe('canceled');
  });

  it('cannot move a change that does not exist', async () => {
    const result = await subject.records.moveToImplement('0123456789abcdef0123456789abcdef');

    expect(result).toMatchObject({ ok: false, kind: 'permanent', code: 'ChangeNotFound' });
  });

  it('reports a rate limit as transient, with the wait ServiceNow asks for, and changes nothing', async () => {
    subject.failNext({ kind: 'transient', retryAfterMs: 30_000 });

    const result = await subject.records.openChange(order('req_0001'));

    expect(result).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 30_000 });
    expect(subject.changes()).toEqual([]);
  });

  it('reports an instance that is briefly unavailable as transient', async () => {
    const sysId = await opened('req_0001');
    subject.failNext({ kind: 'transient' });

    expect(await subject.records.moveToImplement(sysId)).toMatchObject({ ok: false, kind: 'transient' });
    expect(await subject.records.moveToImplement(sysId)).toMatchObject({ ok: true, state: 'implement' });
  });

  it('reports a refusal as permanent', async () => {
    subject.failNext({ kind: 'permanent', code: 'Forbidden' });

    expect(await subject.records.openChange(order('req_0001'))).toMatchObject({ ok: false, kind: 'permanent', code: 'Forbidden' });
  });

  it('closes the change once when the answer to a close is lost and the close is made again', async () => {
    const sysId = await opened('req_0001');
    await subject.records.moveToImplement(sysId);
    subject.loseNextAnswer('closeChange');

    const lost = await subject.records.closeChange(sysId, { outcome: 'released', notes: '' });
    const retried = await subject.records.closeChange(sysId, { outcome: 'released', notes: '' });

    expect(lost).toMatchObject({ ok: false, kind: 'transient' });
    expect(retried).toMatchObject({ ok: true, state: 'closed' });
    expect(subject.changes()).toEqual([expect.objectContaining({ state: 'closed', closeCode: 'successful' })]);
  });
});
