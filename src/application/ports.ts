// What the use cases need from the outside world. Adapters implement these; tests give hand-written fakes.

import type { AccessRequest, JobKind, RequestState, Transition } from '../domain/access-request.js';

export interface Clock {
  now(): number;
}

export interface IdSource {
  requestId(): string;
}

export interface StoredJob {
  id: number;
  kind: JobKind;
  requestId: string;
  event: string | null;
  state: 'queued' | 'running' | 'done' | 'dead';
  attempts: number;
  runAt: number;
  lastError: string | null;
}

export interface AuditRecord {
  seq: number;
  at: number;
  requestId: string | null;
  actor: string;
  action: string;
  stateBefore: string | null;
  stateAfter: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * Requests and everything written with them. Synchronous, because the store is (better-sqlite3).
 * Every write is one transaction holding the state change, its audit event and its jobs.
 */
export interface RequestRepository {
  create(opened: Transition, now: number): void;
  find(id: string): AccessRequest | undefined;
  /**
   * Compare-and-set on `previous.version`: stores `change` with its audit event and jobs, or, when the stored
   * request is no longer the one the change was decided on, writes nothing and returns false.
   */
  apply(previous: AccessRequest, change: Transition, now: number): boolean;
  listByRequester(requesterId: string, limit: number): AccessRequest[];
  listByState(state: RequestState, limit: number): AccessRequest[];
}
