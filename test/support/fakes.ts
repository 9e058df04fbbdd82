import type { Clock, IdSource, RequestRepository } from '../../src/application/ports.js';
import type { AccessRequest, AuditEntry, JobOrder, RequestState, Transition } from '../../src/domain/access-request.js';

/** In-memory RequestRepository with the same compare-and-set contract as the SQLite one. */
export class FakeRequestRepository implements RequestRepository {
  readonly requests = new Map<string, AccessRequest>();
  readonly audit: (AuditEntry & { requestId: string; at: number })[] = [];
  readonly jobs: (JobOrder & { requestId: string })[] = [];
  /** Runs once just before the next compare-and-set, to simulate another writer getting in first. */
  beforeNextApply: (() => void) | undefined;

  create(opened: Transition, now: number): void {
    this.requests.set(opened.request.id, opened.request);
    this.record(opened, now);
  }

  find(id: string): AccessRequest | undefined {
    return this.requests.get(id);
  }

  apply(previous: AccessRequest, change: Transition, now: number): boolean {
    const interloper = this.beforeNextApply;
    this.beforeNextApply = undefined;
    interloper?.();
    const stored = this.requests.get(previous.id);
    if (!stored || stored.version !== previous.version || stored.state !== previous.state) return false;
    this.requests.set(previous.id, change.request);
    this.record(change, now);
    return true;
  }

  listByRequester(requesterId: string, limit: number): AccessRequest[] {
    return [...this.requests.values()]
      .filter((request) => request.requesterId === requesterId)
      .reverse()
      .slice(0, limit);
  }

  listByState(state: RequestState, limit: number): AccessRequest[] {
    return [...this.requests.values()].filter((request) => request.state === state).slice(0, limit);
  }

  private record(change: Transition, now: number): void {
    this.audit.push({ ...change.audit, requestId: change.request.id, at: now });
    for (const job of change.jobs) this.jobs.push({ ...job, requestId: change.request.id });
  }
}

export class FakeClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export class SequentialIds implements IdSource {
  private next = 1;
  requestId(): string {
    return `req_${String(this.next++).padStart(4, '0')}`;
  }
}
