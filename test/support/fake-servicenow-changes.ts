// Change records in memory, kept as ServiceNow keeps standard changes: opened from an active template and found
// again by correlation id, moved one state at a time, closed with a close code and notes, a canceled change left
// alone. It can be told to fail the next call, or to lose its answer after the call took effect.
// test/adapters/servicenow/change-records-contract.test.ts holds it to the ServiceNow client against the simulator.

import { CLOSE_CODE, closeNotes, cutTo, MAX_LENGTH } from '../../src/adapters/servicenow/change-fields.js';
import type {
  ChangeMove,
  ChangeOpening,
  ChangeOrder,
  ChangeOutcome,
  ChangeRecord,
  ChangeRecords,
  ChangeState,
  OutsideFailure,
} from '../../src/application/ports.js';

export interface FakeChange extends ChangeRecord {
  templateId: string;
  correlationId: string;
  shortDescription: string;
  description: string;
  closeCode: string;
  closeNotes: string;
}

export type ChangeOp = 'openChange' | 'moveToImplement' | 'closeChange';

/** How the next call fails: for a while (after `retryAfterMs` when given), or for good with the given code. */
export type InjectedFailure = { kind: 'transient'; retryAfterMs?: number } | { kind: 'permanent'; code: string };

const PATH: readonly ChangeState[] = ['new', 'scheduled', 'implement', 'review', 'closed'];

export class FakeChangeRecords implements ChangeRecords {
  readonly templates = new Map<string, { active: boolean }>();
  /** Every change opened, in order, as it stands now. */
  readonly changes: FakeChange[] = [];
  /** Every call in order, failed ones too, with what it answered. */
  readonly calls: { op: ChangeOp; arg: unknown; answer: ChangeOpening | ChangeMove }[] = [];
  private readonly failures: { failure: InjectedFailure; op: ChangeOp | undefined }[] = [];
  private readonly lostAnswers: (ChangeOp | undefined)[] = [];
  private lastNumber = 30000;

  addTemplate(templateId: string, options: { active?: boolean } = {}): void {
    this.templates.set(templateId, { active: options.active ?? true });
  }

  /** Fails the next call (of `op` when given) without changing anything; told several times, as many calls. */
  failNext(failure: InjectedFailure, op?: ChangeOp): void {
    this.failures.push({ failure, op });
  }

  /** The next call (of `op` when given) takes effect, but its caller gets a transient failure instead of the answer. */
  loseNextAnswer(op?: ChangeOp): void {
    this.lostAnswers.push(op);
  }

  /** A person cancels the change in ServiceNow. */
  cancel(sysId: string): void {
    const change = this.changes.find((candidate) => candidate.sysId === sysId);
    if (change) change.state = 'canceled';
  }

  async openChange(order: ChangeOrder): Promise<ChangeOpening> {
    return this.answer('openChange', order, () => this.open(order));
  }

  async moveToImplement(sysId: string): Promise<ChangeMove> {
    return this.answer('moveToImplement', sysId, () => this.moveTo(sysId, 'implement'));
  }

  async closeChange(sysId: string, closing: { outcome: ChangeOutcome; notes: string }): Promise<ChangeMove> {
    return this.answer('closeChange', { sysId, ...closing }, () => this.moveTo(sysId, 'closed', closing));
  }

  private answer<T extends ChangeOpening | ChangeMove>(op: ChangeOp, arg: unknown, run: () => T): T {
    const failing = this.failures.findIndex((planned) => planned.op === undefined || planned.op === op);
    const [planned] = failing >= 0 ? this.failures.splice(failing, 1) : [];
    if (planned) {
      const answer = failed(planned.failure, op) as T;
      this.calls.push({ op, arg, answer });
      return answer;
    }
    let answer = run();
    const losing = this.lostAnswers.findIndex((planned) => planned === undefined || planned === op);
    if (losing >= 0) {
      this.lostAnswers.splice(losing, 1);
      answer = { ok: false, kind: 'transient', message: `the answer to ${op} was lost` } as T;
    }
    this.calls.push({ op, arg, answer });
    return answer;
  }

  private open(order: ChangeOrder): ChangeOpening {
    const { correlationId } = order;
    if (correlationId === '' || correlationId.length > MAX_LENGTH.correlation_id || /[\^\n\r]/.test(correlationId)) {
      return {
        ok: false,
        kind: 'permanent',
        code: 'InvalidCorrelationId',
        message: `no change can carry the correlation id "${correlationId}"`,
      };
    }
    const existing = this.changes.find((change) => change.correlationId === correlationId);
    if (existing) return { ok: true, alreadyOpen: true, ...recordOf(existing) };
    const template = this.templates.get(order.templateId);
    if (!template) return { ok: false, kind: 'permanent', code: 'TemplateNotFound', message: `no template ${order.templateId}` };
    if (!template.active)
      return { ok: false, kind: 'permanent', code: 'TemplateRefused', message: `template ${order.templateId} is not active` };
    const change: FakeChange = {
      sysId: `fake${String(this.changes.length + 1).padStart(28, '0')}`,
      number: `CHG${String(++this.lastNumber).padStart(7, '0')}`,
      state: 'new',
      templateId: order.templateId,
      correlationId,
      shortDescription: cutTo(order.shortDescription, MAX_LENGTH.short_description),
      description: cutTo(order.description, MAX_LENGTH.justification),
      closeCode: '',
      closeNotes: '',
    };
    this.changes.push(change);
    return { ok: true, alreadyOpen: false, ...recordOf(change) };
  }

  private moveTo(sysId: string, target: 'implement' | 'closed', closing?: { outcome: ChangeOutcome; notes: string }): ChangeMove {
    const change = this.changes.find((candidate) => candidate.sysId === sysId);
    if (!change) return { ok: false, kind: 'permanent', code: 'ChangeNotFound', message: `no change ${sysId}` };
    if (change.state === 'canceled') {
      return { ok: false, kind: 'permanent', code: 'ChangeCanceled', message: `change ${change.number} was canceled` };
    }
    const from = change.state === 'assess' || change.state === 'authorize' ? 'new' : change.state;
    if (PATH.indexOf(from) < PATH.indexOf(target)) {
      change.state = target;
      if (closing) {
        change.closeCode = CLOSE_CODE[closing.outcome];
        change.closeNotes = closeNotes(closing.outcome, closing.notes);
      }
    }
    return { ok: true, ...recordOf(change) };
  }
}

function recordOf(change: FakeChange): ChangeRecord {
  return { sysId: change.sysId, number: change.number, state: change.state };
}

function failed(failure: InjectedFailure, op: ChangeOp): OutsideFailure {
  if (failure.kind === 'permanent') return { ok: false, kind: 'permanent', code: failure.code, message: `${op} failed: ${failure.code}` };
  return {
    ok: false,
    kind: 'transient',
    message: `${op} failed for a while`,
    ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
  };
}
