import { describe, expect, it } from 'vitest';
import { type ChainedVersion, checkUnchainedEvents, type WaitingEvent } from '../../../src/adapters/postgres/unchained-events.js';
import { auditBody } from '../../../src/adapters/sql/audit-chain.js';

const NOW = 1_767_225_600_000;

function waiting(id: number, requestId: string, requestVersion: number, changes: Partial<WaitingEvent> = {}): WaitingEvent {
  const fields = {
    at: NOW - 10,
    requestId,
    actor: 'U0APPROVER1',
    action: 'approved',
    stateBefore: 'pending',
    stateAfter: 'approved',
    detail: '{}',
  };
  return { id, ...fields, requestVersion, body: auditBody(fields), queuedAt: NOW - 5, ...changes };
}

const chained = (requestId: string, requestVersion: number | null): ChainedVersion => ({ requestId, requestVersion });

describe('checking the events not chained yet', () => {
  it.each<{ name: string; chained: ChainedVersion[]; waiting: WaitingEvent[]; version: number; problems: string[] }>([
    {
      name: 'every change has its event, chained or waiting',
      chained: [chained('req_A', 1)],
      waiting: [waiting(7, 'req_A', 2)],
      version: 2,
      problems: [],
    },
    {
      name: 'rows chained before versions were recorded count as the first changes',
      chained: [chained('req_A', null), chained('req_A', null)],
      waiting: [waiting(7, 'req_A', 3)],
      version: 3,
      problems: [],
    },
    {
      name: 'a waiting event deleted leaves its change without one',
      chained: [chained('req_A', 1)],
      waiting: [waiting(8, 'req_A', 3)],
      version: 3,
      problems: ['request req_A: the event of its change to version 2 is missing (a row was deleted)'],
    },
    {
      name: 'several deleted are named together',
      chained: [],
      waiting: [waiting(8, 'req_A', 2)],
      version: 3,
      problems: ['request req_A: the events of its changes to versions 1, 3 are missing (rows were deleted)'],
    },
    {
      name: 'an event added for a change that has one, or that never happened',
      chained: [chained('req_A', 1)],
      waiting: [waiting(7, 'req_A', 1), waiting(8, 'req_A', 4)],
      version: 1,
      problems: ['request req_A: more events than changes, for versions 1, 4 (rows were added)'],
    },
    {
      name: 'a waiting event whose field was edited no longer matches the text written with it',
      chained: [chained('req_A', 1)],
      waiting: [waiting(7, 'req_A', 2, { actor: 'U0EVIL0001' })],
      version: 2,
      problems: ['event 7 not chained yet (request req_A, approved): its content does not match what was written (the row was edited)'],
    },
  ])('$name', ({ chained: rows, waiting: events, version, problems }) => {
    const found = checkUnchainedEvents({
      chained: rows,
      waiting: events,
      requests: [{ id: 'req_A', version }],
      now: NOW,
      stuckAfterMs: 60_000,
    });
    expect(found.problems).toEqual(problems);
  });

  it('counts the waiting events, says since when, and calls them stuck once the oldest has waited past the bound', () => {
    const events = [waiting(7, 'req_A', 1, { queuedAt: NOW - 61_000 }), waiting(8, 'req_B', 1, { queuedAt: NOW - 1000 })];
    const requests = [
      { id: 'req_A', version: 1 },
      { id: 'req_B', version: 1 },
    ];
    expect(checkUnchainedEvents({ chained: [], waiting: events, requests, now: NOW, stuckAfterMs: 60_000 })).toEqual({
      problems: [],
      unchained: { count: 2, oldestAt: NOW - 61_000, stuck: true },
    });
    expect(checkUnchainedEvents({ chained: [], waiting: events, requests, now: NOW, stuckAfterMs: 120_000 }).unchained?.stuck).toBe(false);
    expect(checkUnchainedEvents({ chained: [], waiting: [], requests: [], now: NOW, stuckAfterMs: 60_000 })).toEqual({ problems: [] });
  });
});
