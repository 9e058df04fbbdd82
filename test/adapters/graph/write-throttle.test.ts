import type { Client } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../simulators/graph/graph-simulator.js';
import { GraphAccessProvider } from '../../../src/adapters/graph/graph-access-provider.js';
import { createGraphClient } from '../../../src/adapters/graph/graph-client.js';
import { MAX_HOLD_MS } from '../../../src/adapters/graph/write-throttle.js';
import { CLIENT_ID, CLIENT_SECRET, startGraphSimulator, TENANT_ID } from '../../support/simulators.js';

const GROUP = '5b1e7f0a-3c2d-4e8f-9a6b-1c2d3e4f5a6b';
const PEOPLE = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const MEMBERSHIP = { kind: 'group_membership' as const, groupId: GROUP };

let sim: GraphSimulator;
let graph: Client;
let provider: GraphAccessProvider;

beforeEach(async () => {
  sim = await startGraphSimulator();
  sim.addGroup({ id: GROUP, displayName: 'Production databases' });
  for (const [index, id] of PEOPLE.entries()) sim.addUser({ id, userPrincipalName: `person${index}@contoso.example` });
  graph = createGraphClient({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: sim.url,
    disableInstanceDiscovery: true,
    baseUrl: sim.url,
  });
  provider = new GraphAccessProvider(graph, sim.url, () => sim.now());
});

afterEach(async () => {
  await sim.stop();
});

const grant = (principalId: string) =>
  provider.grant({ grant: MEMBERSHIP, principalId, durationMinutes: 30, justification: 'test', requestId: 'req_1', startsAt: sim.now() });
const writesSent = () => sim.log.filter((entry) => entry.method !== 'GET' && !entry.path.endsWith('/token')).length;

describe('writes while Graph throttles them', () => {
  it('waits out a short Retry-After before sending the next write, and lets reads through meanwhile', async () => {
    sim.writeThrottle = { writes: 2, windowMs: 1000 };
    const [first = '', second = '', third = ''] = PEOPLE;
    expect(await grant(first)).toMatchObject({ ok: true });
    expect(await grant(second)).toMatchObject({ ok: true });
    expect(await grant(third)).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 1000 });
    const throttledAt = performance.now();

    const removal = provider.revoke(MEMBERSHIP, first);
    expect(await provider.isPresent(MEMBERSHIP, second)).toEqual({ ok: true, present: true });
    expect(await removal).toEqual({ ok: true, alreadyAbsent: false });
    expect(performance.now() - throttledAt).toBeGreaterThanOrEqual(900);
    expect(sim.log.filter((entry) => entry.status === 429)).toHaveLength(1);
  });

  it('sends a POST that only reads (checkMemberGroups) at once while writes are held, and Graph answers it', async () => {
    sim.writeThrottle = { writes: 1, windowMs: 60_000 };
    const [first = '', second = ''] = PEOPLE;
    expect(await grant(first)).toMatchObject({ ok: true });
    expect(await grant(second)).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 60_000 });
    const check = await graph.api(`/users/${first}/checkMemberGroups`).post({ groupIds: [GROUP] });
    expect(check.value).toEqual([GROUP]);
    expect(sim.log.filter((entry) => entry.status === 429)).toHaveLength(1);
  });

  it('answers a write itself, as Graph would, while Graph asked for a longer wait, without sending it', async () => {
    sim.writeThrottle = { writes: 1, windowMs: 60_000 };
    const [first = '', second = ''] = PEOPLE;
    expect(await grant(first)).toMatchObject({ ok: true });
    expect(await grant(second)).toMatchObject({ ok: false, kind: 'transient', retryAfterMs: 60_000 });
    const sent = writesSent();

    const held = await provider.revoke(MEMBERSHIP, first);
    expect(held).toMatchObject({ ok: false, kind: 'transient', message: expect.stringContaining('Not sent') });
    const wait = held.ok === false && held.kind === 'transient' ? held.retryAfterMs : undefined;
    expect(wait).toBeGreaterThan(MAX_HOLD_MS);
    expect(wait).toBeLessThanOrEqual(60_000);
    expect(writesSent()).toBe(sent);
  });
});
