// A strict local Microsoft Graph (v1.0) and sign-in authority over https on loopback: client-credential
// tokens, users, group membership and PIM for Groups, with Graph's request validation, error bodies and
// Entra's own expiry of PIM assignments on the simulator's clock. This class is the face tests seed and
// inspect; the wire lives in server.ts, authority.ts and the *-routes / pim modules.

import { randomUUID } from 'node:crypto';
import type { Fault } from '../fault-plan.js';
import { Authority } from './authority.js';
import { Directory, type SimAssignment, type SimDirectoryUser, type SimScheduleRequest } from './directory.js';
import type { GraphContext } from './graph-route.js';
import { groupsRoutes } from './groups-routes.js';
import { pimRoutes, type StandingAssignmentSeed, seedStandingAssignment } from './pim.js';
import { type GraphRequestRecord, GraphServer } from './server.js';
import { usersRoutes } from './users-routes.js';

export type { SimCreator } from './directory.js';
export type { StandingAssignmentSeed } from './pim.js';
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
      otherMails: [],
      proxyAddresses: [],
      ...user,
    };
    this.directory.users.set(added.id.toLowerCase(), added);
    return added;
  }

  addGroup(group: { id: string; displayName: string }): void {
    this.directory.groups.set(group.id.toLowerCase(), { ...group, members: new Set(), directMembers: new Set() });
  }

  /** A member added outside the bot (members/$ref in the portal): never expires. */
  addDirectMember(groupId: string, userId: string): void {
    const group = this.directory.groups.get(groupId.toLowerCase());
    if (!group) throw new Error(`no group ${groupId} in the simulated tenant`);
    group.members.add(userId);
    group.directMembers.add(userId);
  }

  /**
   * Makes `childGroupId` a member of `parentGroupId` (a nested group, as an admin would in the portal): the child's
   * members are then members of the parent transitively (checkMemberGroups says so) but not directly (the
   * parent's member list names the child group, not them).
   */
  addNestedGroup(parentGroupId: string, childGroupId: string): void {
    const parent = this.directory.groups.get(parentGroupId.toLowerCase());
    const child = this.directory.groups.get(childGroupId.toLowerCase());
    if (!parent || !child) throw new Error(`no group ${parent ? childGroupId : parentGroupId} in the simulated tenant`);
    parent.members.add(child.id);
    parent.directMembers.add(child.id);
  }

  /**
   * A PIM assignment someone else made, permanent unless `endDateTime` is given, with the adminAssign request
   * that created it (its own id, ticket and creator). It makes the principal a member, as PIM does.
   */
  addStandingAssignment(seed: StandingAssignmentSeed): { assignment: SimAssignment; request: SimScheduleRequest } {
    return seedStandingAssignment(this.directory, seed, this.now());
  }

  /** Changes a user as an administrator would (a new UPN or mail, a disabled account); returns the user. */
  updateUser(id: string, change: Partial<Omit<SimDirectoryUser, 'id'>>): SimDirectoryUser {
    const user = this.directory.findUser(id);
    if (!user) throw new Error(`no user ${id} in the simulated tenant`);
    return Object.assign(user, change);
  }

  disableUser(id: string): SimDirectoryUser {
    return this.updateUser(id, { accountEnabled: false });
  }

  addEligibility(groupId: string, principalId: string): void {
    this.directory.eligibilities.push({ id: randomUUID(), groupId, principalId, accessId: 'member' });
  }

  /** A direct member (the bot's grants are direct); not one only through a nested group. */
  isMember(groupId: string, userId: string): boolean {
    return this.directory.isMember(groupId, userId);
  }

  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  /**
   * The next `times` requests matching `route` (e.g. `POST /v1.0/groups/`) take effect, then the client gets a
   * dropped connection (the default) or the given status (504, 503…) instead of the answer.
   */
  loseResponseAfterWrite(route: string | RegExp, options: { answer?: 'drop' | number; times?: number } = {}): void {
    const answer = options.answer ?? 'drop';
    this.faults.add({
      route,
      afterWrite: true,
      ...(answer === 'drop' ? { drop: true } : { status: answer }),
      ...(options.times !== undefined && { times: options.times }),
    });
  }
}
