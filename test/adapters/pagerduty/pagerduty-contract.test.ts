// One contract for PagerDuty's two ports, held by the real client (over HTTP, against the strict PagerDuty
// simulator on loopback) and by the hand-written fake alike, so use-case tests that run on the fake say
// something true of PagerDuty.

import { afterEach, describe, expect, it } from 'vitest';
import { PagerDutySimulator } from '../../../simulators/pagerduty/pagerduty-simulator.js';
import { PagerDutyClient } from '../../../src/adapters/pagerduty/pagerduty-client.js';
import type { IncidentLookup, IncidentStatus, OnCallDirectory } from '../../../src/application/ports.js';
import { FakePagerDuty } from '../../support/fake-pagerduty.js';

const T0 = Date.parse('2030-03-04T10:00:00Z');
const HOUR = 60 * 60_000;

interface OnCallSeed {
  userId: string;
  escalationPolicyId: string;
  escalationLevel?: number;
  scheduleId?: string;
  start?: number;
  end?: number;
}

/** PagerDuty's two ports, and how a test puts people, schedules, on-calls and incidents behind them. */
interface Subject {
  pagerDuty: OnCallDirectory & IncidentLookup;
  addUser(name: string, email: string): string;
  addSchedule(name: string): string;
  addEscalationPolicy(name: string): string;
  putOnCall(onCall: OnCallSeed): void;
  addIncident(incident: { number: number; title: string; status: IncidentStatus }): string;
  failNext(kind: 'transient' | 'permanent'): void;
  stop(): Promise<void>;
}

function inMemory(): Subject {
  const fake = new FakePagerDuty(() => T0);
  let sequence = 0;
  const id = (prefix: string) => `${prefix}${String(++sequence).padStart(5, '0')}`;
  return {
    pagerDuty: fake,
    addUser: (_name, email) => fake.addUser(email),
    addSchedule: () => id('PS'),
    addEscalationPolicy: () => id('PE'),
    putOnCall: (onCall) => fake.putOnCall(onCall),
    addIncident: (incident) => fake.addIncident(incident).id,
    failNext: (kind) =>
      fake.failNext(
        kind === 'transient'
          ? { ok: false, kind: 'transient', message: 'PagerDuty answered 503' }
          : { ok: false, kind: 'permanent', code: 'PagerDutyAccessDenied', message: 'PagerDuty refused (403)' },
      ),
    stop: async () => {},
  };
}

async function overHttp(): Promise<Subject> {
  const sim = await PagerDutySimulator.start({ now: () => T0 });
  return {
    pagerDuty: new PagerDutyClient({ apiUrl: sim.url, token: sim.token, now: () => T0 }),
    addUser: (name, email) => sim.addUser({ name, email }).id,
    addSchedule: (name) => sim.addSchedule({ name }).id,
    addEscalationPolicy: (name) => sim.addEscalationPolicy({ name }).id,
    putOnCall: (onCall) => sim.putOnCall(onCall),
    addIncident: (incident) => sim.addIncident(incident).id,
    // An empty route is a prefix of every request: the next one fails, whichever it is.
    failNext: (kind) => sim.injectFault({ route: '', status: kind === 'transient' ? 503 : 403 }),
    stop: () => sim.stop(),
  };
}

const subjects: [string, () => Subject | Promise<Subject>][] = [
  ['the in-memory fake', inMemory],
  ['PagerDuty, through the REST API client', overHttp],
];

describe.each(subjects)('the PagerDuty contract: %s', (_name, makeSubject) => {
  let subject: Subject | undefined;
  afterEach(async () => {
    await subject?.stop();
    subject = undefined;
  });

  async function start(): Promise<Subject> {
    subject = await makeSubject();
    return subject;
  }

  describe('findUserByEmail', () => {
    it('finds the one user whose email is the address, whatever its case, among others that merely contain it', async () => {
      const { pagerDuty, addUser } = await start();
      addUser('Jo Ann', 'joann@example.com');
      addUser('Ann Other', 'ann@example.com.evil.test');
      const ann = addUser('Ann Lee', 'Ann@Example.com');

      expect(await pagerDuty.findUserByEmail('ann@example.com')).toEqual({ ok: true, userId: ann });
      expect(await pagerDuty.findUserByEmail('  ANN@EXAMPLE.COM ')).toEqual({ ok: true, userId: ann });
    });

    it('answers not_found when users only contain the address, and ambiguous when two have it', async () => {
      const { pagerDuty, addUser } = await start();
      addUser('Jo Ann', 'joann@example.com');
      expect(await pagerDuty.findUserByEmail('ann@example.com')).toMatchObject({ ok: false, kind: 'not_found' });

      addUser('Sam One', 'sam@example.com');
      addUser('Sam Two', 'SAM@example.com');
      expect(await pagerDuty.findUserByEmail('sam@example.com')).toMatchObject({ ok: false, kind: 'ambiguous' });
    });

    it('refuses an address that is not a plain one without asking', async () => {
      const { pagerDuty, failNext } = await start();
      failNext('transient');
      for (const email of ['', 'not an email', 'ann@', 'ann@example.com, bob@example.com']) {
        expect(await pagerDuty.findUserByEmail(email)).toMatchObject({ ok: false, kind: 'invalid_email' });
      }
    });

    it('reports a failure as transient or permanent', async () => {
      const { pagerDuty, addUser, failNext } = await start();
      addUser('Ann Lee', 'ann@example.com');
      failNext('transient');
      expect(await pagerDuty.findUserByEmail('ann@example.com')).toMatchObject({ ok: false, kind: 'transient' });
      failNext('permanent');
      expect(await pagerDuty.findUserByEmail('ann@example.com')).toMatchObject({ ok: false, kind: 'permanent' });
    });
  });

  describe('onCallNow', () => {
    async function team() {
      const started = await start();
      return {
        ...started,
        ann: started.addUser('Ann', 'ann@example.com'),
        bob: started.addUser('Bob', 'bob@example.com'),
        primary: started.addSchedule('Primary'),
        weekend: started.addSchedule('Weekend'),
        platform: started.addEscalationPolicy('Platform'),
        databases: started.addEscalationPolicy('Databases'),
      };
    }

    it('answers an on-call for a listed schedule with its escalation policy, level and times', async () => {
      const { pagerDuty, putOnCall, ann, primary, platform } = await team();
      putOnCall({ userId: ann, escalationPolicyId: platform, escalationLevel: 2, scheduleId: primary, start: T0 - HOUR, end: T0 + HOUR });

      expect(await pagerDuty.onCallNow(ann, { scheduleIds: [primary], escalationPolicyIds: [] })).toEqual({
        ok: true,
        entries: [{ escalationPolicyId: platform, escalationLevel: 2, scheduleId: primary, start: T0 - HOUR, end: T0 + HOUR }],
      });
    });

    it('answers an on-call for a listed escalation policy, a direct target with no schedule and no end included', async () => {
      const { pagerDuty, putOnCall, ann, primary, platform, databases } = await team();
      putOnCall({ userId: ann, escalationPolicyId: databases, escalationLevel: 1 });
      putOnCall({ userId: ann, escalationPolicyId: platform, escalationLevel: 3, scheduleId: primary });

      const found = await pagerDuty.onCallNow(ann, { scheduleIds: [], escalationPolicyIds: [databases, platform] });
      expect(found.ok && [...found.entries].sort((a, b) => a.escalationLevel - b.escalationLevel)).toEqual([
        { escalationPolicyId: databases, escalationLevel: 1, scheduleId: null, start: null, end: null },
        { escalationPolicyId: platform, escalationLevel: 3, scheduleId: primary, start: null, end: null },
      ]);
    });

    it('counts a schedule or a policy listed: either is enough, and an on-call both name is answered once', async () => {
      const { pagerDuty, putOnCall, ann, primary, weekend, platform, databases } = await team();
      putOnCall({ userId: ann, escalationPolicyId: platform, scheduleId: primary });
      putOnCall({ userId: ann, escalationPolicyId: databases, scheduleId: weekend, escalationLevel: 2 });

      const found = await pagerDuty.onCallNow(ann, { scheduleIds: [primary], escalationPolicyIds: [platform, databases] });
      expect(found.ok && found.entries.map((entry) => entry.escalationLevel).sort()).toEqual([1, 2]);
    });

    it('answers none for an on-call that has ended or not begun, one outside the scope, or someone else’s', async () => {
      const { pagerDuty, putOnCall, ann, bob, primary, weekend, platform } = await team();
      putOnCall({ userId: ann, escalationPolicyId: platform, scheduleId: primary, start: T0 - 2 * HOUR, end: T0 });
      putOnCall({ userId: ann, escalationPolicyId: platform, scheduleId: primary, start: T0 + 1, end: T0 + HOUR });
      putOnCall({ userId: ann, escalationPolicyId: platform, scheduleId: weekend });
      putOnCall({ userId: bob, escalationPolicyId: platform, scheduleId: primary });

      expect(await pagerDuty.onCallNow(ann, { scheduleIds: [primary], escalationPolicyIds: [] })).toEqual({ ok: true, entries: [] });
    });

    it('answers none when the scope lists nothing', async () => {
      const { pagerDuty, putOnCall, ann, primary, platform } = await team();
      putOnCall({ userId: ann, escalationPolicyId: platform, scheduleId: primary });
      expect(await pagerDuty.onCallNow(ann, { scheduleIds: [], escalationPolicyIds: [] })).toEqual({ ok: true, entries: [] });
    });

    it('reports a failure as transient or permanent', async () => {
      const { pagerDuty, failNext, ann, primary } = await team();
      failNext('transient');
      expect(await pagerDuty.onCallNow(ann, { scheduleIds: [primary], escalationPolicyIds: [] })).toMatchObject({
        ok: false,
        kind: 'transient',
      });
      failNext('permanent');
      expect(await pagerDuty.onCallNow(ann, { scheduleIds: [primary], escalationPolicyIds: [] })).toMatchObject({
        ok: false,
        kind: 'permanent',
      });
    });
  });

  describe('findIncident', () => {
    it('finds an incident by its id, its number, or its number written #1234, with its status and link', async () => {
      const { pagerDuty, addIncident } = await start();
      addIncident({ number: 1233, title: 'Earlier', status: 'resolved' });
      const id = addIncident({ number: 1234, title: 'Database is down', status: 'acknowledged' });

      for (const reference of [id, '1234', '#1234', ' 1234 ']) {
        const found = await pagerDuty.findIncident(reference);
        expect(found).toEqual({
          ok: true,
          incident: {
            id,
            number: 1234,
            title: 'Database is down',
            status: 'acknowledged',
            htmlUrl: expect.stringMatching(new RegExp(`/incidents/${id}$`)),
          },
        });
      }
    });

    it('answers a resolved incident as found, with its status, for the use case to refuse', async () => {
      const { pagerDuty, addIncident } = await start();
      addIncident({ number: 9, title: 'Over', status: 'resolved' });
      expect(await pagerDuty.findIncident('9')).toMatchObject({ ok: true, incident: { status: 'resolved' } });
    });

    it('answers not_found for an id or number PagerDuty does not hold, and invalid_reference without asking', async () => {
      const { pagerDuty, addIncident, failNext } = await start();
      addIncident({ number: 1, title: 'Only one', status: 'triggered' });
      expect(await pagerDuty.findIncident('QNOSUCHINCIDENT')).toMatchObject({ ok: false, kind: 'not_found' });
      expect(await pagerDuty.findIncident('2')).toMatchObject({ ok: false, kind: 'not_found' });

      failNext('transient');
      for (const reference of ['', '../users', 'Q1 2', '#']) {
        expect(await pagerDuty.findIncident(reference)).toMatchObject({ ok: false, kind: 'invalid_reference' });
      }
    });

    it('reports a failure as transient or permanent', async () => {
      const { pagerDuty, addIncident, failNext } = await start();
      addIncident({ number: 1, title: 'Only one', status: 'triggered' });
      failNext('transient');
      expect(await pagerDuty.findIncident('1')).toMatchObject({ ok: false, kind: 'transient' });
      failNext('permanent');
      expect(await pagerDuty.findIncident('1')).toMatchObject({ ok: false, kind: 'permanent' });
    });
  });
});
