// The changes `RequestRepository.applyAll` takes, and `applyAll` for the stores that write them one by one.

import { fieldsOf } from '../domain/access-request.js';
import type { DecidedChange, RequestRepository } from './ports.js';

/**
 * A change the sweep makes (an end falling due, a warning, a timeout): it adds no decision and no grant, and
 * ends no grant. `applyAll` takes only these, and no job lease to settle.
 */
export function isTimedChange({ previous, change }: DecidedChange): boolean {
  const next = fieldsOf(change.request);
  const before = fieldsOf(previous);
  return (
    next.approvals.length === before.approvals.length &&
    (next.denial === undefined || before.denial !== undefined) &&
    (next.grant === undefined || before.grant !== undefined) &&
    (next.state !== 'ended' || before.state === 'ended') &&
    next.removal === before.removal
  );
}

/** For the adapters: `applyAll` refuses a change that is not timed, rather than dropping what it adds. */
export function checkTimedChanges(changes: readonly DecidedChange[]): void {
  const ids = new Set(changes.map(({ previous }) => previous.id));
  if (ids.size !== changes.length) throw new Error('applyAll takes each request once');
  const other = changes.find((change) => !isTimedChange(change));
  if (other) throw new Error(`applyAll takes timed changes only, not ${other.change.audit.action} of ${other.previous.id}`);
}

/** `applyAll` for a store whose writes cost little one by one (SQLite, the fake): each change in turn. */
export async function applyInTurn(
  store: Pick<RequestRepository, 'apply'>,
  changes: readonly DecidedChange[],
  now: number,
): Promise<boolean[]> {
  checkTimedChanges(changes);
  const written: boolean[] = [];
  for (const { previous, change } of changes) written.push(await store.apply(previous, change, now));
  return written;
}
