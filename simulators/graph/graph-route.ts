// What a Graph route is, what it may read of the simulator, and the application permissions that allow it.

import type { Directory } from './directory.js';

export interface GraphCall {
  method: string;
  match: string[];
  query: URLSearchParams;
  body: unknown;
  clientId: string;
  /** The request's headers, names in lower case (ConsistencyLevel arrives as `consistencylevel`). */
  headers: Readonly<Record<string, string>>;
}

export interface GraphRoute {
  methods: string[];
  path: RegExp;
  /** Each entry is a set of permissions of which the app needs one. */
  permissions: (readonly string[])[];
  handle: (call: GraphCall) => [number, unknown];
}

/** The part of the simulator a route sees: the tenant, its clock and where it is served. */
export interface GraphContext {
  readonly directory: Directory;
  now(): number;
  readonly url: string;
}

// Application permissions that allow each kind of call (least first), per the Graph permission reference
// (learn.microsoft.com/graph/permissions-reference).
export const PERMISSIONS = {
  readUsers: ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  readMembers: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
  writeMembers: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  readAssignments: ['PrivilegedAssignmentSchedule.Read.AzureADGroup', 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
  writeAssignments: ['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
  readEligibility: ['PrivilegedEligibilitySchedule.Read.AzureADGroup', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'],
} as const;
