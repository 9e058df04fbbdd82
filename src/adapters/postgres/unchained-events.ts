// What proves the events not chained yet whole, until a chainer links them (audit-chainer.ts): the hashed text
// written with each one (an edited field no longer matches it), and the versions of their requests (each change
// of a request moves its version on by one and writes one event, so a request at version 5 has exactly five
// events, chained or waiting; one deleted leaves a version without its event). The chained rows carry their
// request's version from migration 0013 on; the rows chained before it count as the request's first versions,
// in the order they were chained.

import { auditBody, type UnchainedEvents } from '../sql/audit-chain.js';

/** A chained row as far as this check reads it. */
export interface ChainedVersion {
  requestId: string | null;
  requestVersion: number | null;
}

/** A waiting event as stored: its fields, the hashed text written with them, its request's version, when it was stored. */
export interface WaitingEvent extends ChainedVersion {
  id: number;
  at: number;
  actor: string;
  action: string;
  stateBefore: string | null;
  stateAfter: string | null;
  detail: string;
  body: string;
  queuedAt: number;
}

export interface UnchainedCheckInput {
  /** Every chained row, in seq order. */
  chained: readonly ChainedVersion[];
  /** Every waiting event, in id order. */
  waiting: readonly WaitingEvent[];
  /** Every request and its version. */
  requests: readonly { id: string; version: number }[];
  /** The database's clock now, and how long an event may wait before the chainer counts as stuck. */
  now: number;
  stuckAfterMs: number;
}

export function checkUnchainedEvents(input: UnchainedCheckInput): { problems: string[]; unchained?: UnchainedEvents } {
  const problems = input.waiting.filter((event) => auditBody(event) !== event.body).map(edited);
  const versions = eventVersions(input);
  problems.push(...input.requests.flatMap((request) => versionProblems(request, versions.get(request.id) ?? [])));
  const oldest = input.waiting.reduce((earliest, event) => Math.min(earliest, event.queuedAt), Number.POSITIVE_INFINITY);
  if (input.waiting.length === 0) return { problems };
  return { problems, unchained: { count: input.waiting.length, oldestAt: oldest, stuck: input.now - oldest > input.stuckAfterMs } };
}

function edited(event: WaitingEvent): string {
  return `event ${event.id} not chained yet (request ${event.requestId}, ${event.action}): its content does not match what was written (the row was edited)`;
}

/** By request, the version each of its events was written for, one entry per event. */
function eventVersions(input: UnchainedCheckInput): Map<string, number[]> {
  const byRequest = new Map<string, number[]>();
  for (const row of [...input.chained, ...input.waiting]) {
    if (row.requestId === null) continue;
    const versions = byRequest.get(row.requestId) ?? [];
    // A row chained before versions were recorded is the next of the request's first changes.
    versions.push(row.requestVersion ?? versions.length + 1);
    byRequest.set(row.requestId, versions);
  }
  return byRequest;
}

function versionProblems(request: { id: string; version: number }, versions: number[]): string[] {
  const counts = new Map<number, number>();
  for (const version of versions) counts.set(version, (counts.get(version) ?? 0) + 1);
  const missing = Array.from({ length: request.version }, (_, index) => index + 1).filter((version) => !counts.has(version));
  const extra = [...counts].filter(([version, count]) => count > 1 || version < 1 || version > request.version).map(([version]) => version);
  const problems: string[] = [];
  if (missing.length === 1)
    problems.push(`request ${request.id}: the event of its change to version ${missing[0]} is missing (a row was deleted)`);
  if (missing.length > 1)
    problems.push(`request ${request.id}: the events of its changes to versions ${missing.join(', ')} are missing (rows were deleted)`);
  if (extra.length > 0)
    problems.push(
      `request ${request.id}: more events than changes, for versions ${extra.sort((a, b) => a - b).join(', ')} (rows were added)`,
    );
  return problems;
}
