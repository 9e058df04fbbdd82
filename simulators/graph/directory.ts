// The simulated tenant: app registrations, users, groups, memberships, PIM assignments and eligibilities.

export interface SimApp {
  clientId: string;
  secret: string;
  /** Application permissions granted to the app, e.g. GroupMember.ReadWrite.All. */
  roles: string[];
}

export interface SimDirectoryUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  /** Further addresses the user receives mail at, outside the tenant's own domains. */
  otherMails: string[];
  /** Exchange addresses: `SMTP:` marks the primary, `smtp:` the aliases. */
  proxyAddresses: string[];
}

export interface SimGroup {
  id: string;
  displayName: string;
  /**
   * Everything Graph lists as a direct member: users and nested groups, added through members/$ref or by an
   * active PIM member assignment. The members of a nested group are members of this one only transitively.
   */
  members: Set<string>;
  /** Members added through members/$ref (or seeded so); they stay when a PIM assignment of theirs ends. */
  directMembers: Set<string>;
}

/** Who created a schedule request or assignment, as PIM's `createdBy` identitySet names it. */
export type SimCreator = { application: { id: string; displayName: string } } | { user: { id: string; displayName: string } };

export interface SimAssignment {
  id: string;
  groupId: string;
  principalId: string;
  accessId: 'member' | 'owner';
  startDateTime: number;
  endDateTime: number | null;
  assignmentScheduleId: string;
  createdDateTime: number;
  createdBy: SimCreator;
}

export interface SimEligibility {
  id: string;
  groupId: string;
  principalId: string;
  accessId: 'member' | 'owner';
}

export interface SimScheduleRequest {
  id: string;
  status: string;
  action: string;
  accessId: string;
  principalId: string;
  groupId: string;
  justification: string | null;
  isValidationOnly: boolean;
  createdDateTime: number;
  completedDateTime: number | null;
  scheduleInfo: unknown;
  ticketInfo: unknown;
  targetScheduleId: string | null;
  createdBy: SimCreator;
}

export class Directory {
  readonly apps = new Map<string, SimApp>();
  readonly users = new Map<string, SimDirectoryUser>();
  readonly groups = new Map<string, SimGroup>();
  readonly assignments: SimAssignment[] = [];
  readonly eligibilities: SimEligibility[] = [];
  readonly requests: SimScheduleRequest[] = [];

  findUser(key: string): SimDirectoryUser | undefined {
    const lower = key.toLowerCase();
    return this.users.get(lower) ?? [...this.users.values()].find((user) => user.userPrincipalName.toLowerCase() === lower);
  }

  /** A direct member: what the group's member list holds. */
  isMember(groupId: string, objectId: string): boolean {
    return this.groups.get(groupId.toLowerCase())?.members.has(objectId) ?? false;
  }

  /** A member directly or through nested groups, as checkMemberGroups answers. */
  isTransitiveMember(groupId: string, objectId: string, seen = new Set<string>()): boolean {
    const group = this.groups.get(groupId.toLowerCase());
    if (!group || seen.has(group.id)) return false;
    seen.add(group.id);
    if (group.members.has(objectId)) return true;
    return [...group.members].some((member) => this.groups.has(member.toLowerCase()) && this.isTransitiveMember(member, objectId, seen));
  }

  activeAssignment(groupId: string, principalId: string, accessId: string): SimAssignment | undefined {
    return this.assignments.find(
      (assignment) => assignment.groupId === groupId && assignment.principalId === principalId && assignment.accessId === accessId,
    );
  }

  /** What Entra does by itself: an assignment past its end is removed, and with it the membership. */
  expireAssignments(now: number): SimAssignment[] {
    const expired = this.assignments.filter((assignment) => assignment.endDateTime !== null && assignment.endDateTime <= now);
    for (const assignment of expired) this.removeAssignment(assignment);
    return expired;
  }

  removeAssignment(assignment: SimAssignment): void {
    this.assignments.splice(this.assignments.indexOf(assignment), 1);
    const group = this.groups.get(assignment.groupId.toLowerCase());
    // Unverified: we assume Entra leaves a direct membership alone when an overlapping PIM assignment ends.
    if (assignment.accessId === 'member' && !group?.directMembers.has(assignment.principalId))
      group?.members.delete(assignment.principalId);
  }
}
