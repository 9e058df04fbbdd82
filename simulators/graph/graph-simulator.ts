// A strict local Microsoft Graph (v1.0) and sign-in authority over https on loopback: client-credential
// tokens, users, group membership and PIM for Groups, with Graph's request validation, error bodies and
// Entra's own expiry of PIM assignments on the simulator's clock. This class is the face tests seed and
// inspect; the wire lives in server.ts, authority.ts and the *-routes / pim modules.

import { randomUUID } from 'node:crypto';
import type { Fault } from '../fault-plan.js';
import { Authority } from './authority.js';
import { Directory, type SimDirectoryUser } from './directory.js';
import type { GraphContext } from './graph-route.js';
import { groupsRoutes } from './groups-routes.js';
import { pimRoutes } from './pim.js';
import { type GraphRequestRecord, GraphServer } from './server.js';
import { usersRoutes } from './users-routes.js';

export { parseIsoDuration } from './pim-request.js';
export type { GraphRequestRecord } from './server.js';

export interface GraphSimulatorOptions {
  tenantId?: string;
  tls: { key: string; cert: string };
  now?: () => number;
  /** Refuse adminRemove within 5 minutes of an assignment's start, as Entra does (ActiveDurationTooShort). */
  enforceMinimumActiveDuration?: boolean;
  /**
   * Graph's write throttling per app and tenant (3,000 writes per 2.5 minutes, learn.microsoft.com/graph/
   * throttling-limits): writes beyond `writes` in a sliding `windowMs` get 429 with Retry-After.
   */
  writeThrottle?: { writes: number; windowMs: number };
}

export class GraphSimulator implements GraphContext {
  readonly tenantId: string;
  readonly directory = new Directory();
  /** Milliseconds added to the base clock; tests move time forward with `advance`. */
  private offset = 0;
  private readonly baseNow: () => number;
  private readonly server: GraphServer;

  constructor(options: GraphSimulatorOptions) {
    this.tenantId = options.tenantId ?? '00000000-0000-4000-8000-00000000a11d';
    this.baseNow = options.now ?? Date.now;
    const pim = { enforceMinimumActiveDuration: options.enforceMinimumActiveDuration ?? true };
    const routes = [...usersRoutes(this), ...groupsRoutes(this), ...pimRoutes(this, pim)];
    this.server = new GraphServer({
      tls: options.tls,
      now: () => this.now(),
      authority: new Authority(this.tenantId, this.directory, this.baseNow),
      routes: () => routes,
      beforeCall: () => this.directory.expireAssignments(this.now()),
      writeThrottle: options.writeThrottle,
    });
  }

  get faults() {
    return this.server.faults;
  }

  get log(): GraphRequestRecord[] {
    return this.server.log;
  }

  /** Graph's write throttling, on when set (see the option); the benchmark turns it on between phases. */
  get writeThrottle(): { writes: number; windowMs: number } | undefined {
    return this.server.writeThrottle;
  }

  set writeThrottle(throttle: { writes: number; windowMs: number } | undefined) {
    this.server.writeThrottle = throttle;
  }

  /** Called for every request once it is answered, for the demo's transcript. */
  get onRequest(): ((record: GraphRequestRecord) => void) | undefined {
    return this.server.onRequest;
  }

  set onRequest(listener: ((record: GraphRequestRecord) => void) | undefined) {
    this.server.onRequest = listener;
  }

  now(): number {
    return this.baseNow() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Both the authority host and the Graph root; `localhost` so the certificate and customHosts match. */
  get url(): string {
    return this.server.url;
  }

  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────────────

  addApp(app: { clientId: string; secret: string; roles: string[] }): void {
    this.directory.apps.set(app.clientId, app);
  }

  addUser(user: Partial<SimDirectoryUser> & { id: string; userPrincipalName: string }): SimDirectoryUser {
    const added: SimDirectoryUser = {
      mail: user.userPrincipalName,
      displayName: user.userPrincipalName.split('@')[0] ?? user.userPrincipalName,
      userType: 'Member',
      accountEnabled: true,
      ...user,
    };
    this.directory.users.set(added.id.toLowerCase(), added);
    return added;
  }

  addGroup(group: { id: string; displayName: string }): void {
    this.directory.groups.set(group.id.toLowerCase(), { ...group, members: new Set() });
  }

  addEligibility(groupId: string, principalId: string): void {
    this.directory.eligibilities.push({ id: randomUUID(), groupId, principalId, accessId: 'member' });
  }

  isMember(groupId: string, userId: string): boolean {
    return this.directory.isMember(groupId, userId);
  }

  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }
}
