// A strict local Microsoft Graph (v1.0) and sign-in authority over https on loopback: client-credential
// tokens, users, group membership and PIM for Groups, with Graph's request validation, error bodies and
// Entra's own expiry of PIM assignments on the simulator's clock. Wire facts: shared/reference/graph.md.

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Fault, FaultPlan } from '../fault-plan.js';
import { Directory, type SimAssignment, type SimDirectoryUser, type SimScheduleRequest } from './directory.js';

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

export interface GraphRequestRecord {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  clientId: string | null;
  at: number;
}

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const PIM_BASE = '/v1.0/identityGovernance/privilegedAccess/group';
const PIM_PATTERN = PIM_BASE.replace(/\./g, '\\.');
const MINUTE = 60_000;
const PIM_MINIMUM_MS = 5 * MINUTE;
const PIM_MAXIMUM_MS = 180 * 24 * 60 * MINUTE;

// Application permissions that allow each kind of call (least first), per the Graph permission reference.
const PERMISSIONS = {
  readUsers: ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  readMembers: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
  writeMembers: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  readAssignments: ['PrivilegedAssignmentSchedule.Read.AzureADGroup', 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
  writeAssignments: ['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
  readEligibility: ['PrivilegedEligibilitySchedule.Read.AzureADGroup', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'],
} as const;

const REQUEST_PROPERTIES = new Set([
  '@odata.type',
  'accessId',
  'principalId',
  'groupId',
  'action',
  'scheduleInfo',
  'justification',
  'ticketInfo',
  'isValidationOnly',
  'targetScheduleId',
]);
const ACTIONS = [
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'selfActivate',
  'selfDeactivate',
  'adminExtend',
  'adminRenew',
  'selfExtend',
  'selfRenew',
];
const EXPIRATION_TYPES = ['notSpecified', 'noExpiration', 'afterDateTime', 'afterDuration'];
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * MINUTE + Number(seconds) * 1000;
}

export class GraphSimulator {
  readonly tenantId: string;
  readonly directory = new Directory();
  readonly faults = new FaultPlan();
  readonly log: GraphRequestRecord[] = [];
  /** Milliseconds added to the base clock; tests move time forward with `advance`. */
  private offset = 0;
  private readonly baseNow: () => number;
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly tls: { key: string; cert: string };
  private readonly enforceMinimumActiveDuration: boolean;
  /** Graph's write throttling, on when set (see the option); the benchmark turns it on between phases. */
  writeThrottle: { writes: number; windowMs: number } | undefined;
  private readonly recentWrites: number[] = [];
  private server: Server | undefined;
  /** Called for every request once it is answered, for the demo's transcript. */
  onRequest: ((record: GraphRequestRecord) => void) | undefined;

  constructor(options: GraphSimulatorOptions) {
    this.tenantId = options.tenantId ?? '00000000-0000-4000-8000-00000000a11d';
    this.tls = options.tls;
    this.baseNow = options.now ?? Date.now;
    this.enforceMinimumActiveDuration = options.enforceMinimumActiveDuration ?? true;
    this.writeThrottle = options.writeThrottle;
  }

  /** Seconds to wait when this write would exceed the throttle; undefined when it may go ahead. */
  private throttled(method: string, path: string): number | undefined {
    // checkMemberGroups is a POST that reads; Graph counts it against the read budget, not the writes.
    if (!this.writeThrottle || method === 'GET' || path.endsWith('/checkMemberGroups')) return undefined;
    const now = Date.now();
    while ((this.recentWrites[0] ?? now) <= now - this.writeThrottle.windowMs) this.recentWrites.shift();
    if (this.recentWrites.length < this.writeThrottle.writes) {
      this.recentWrites.push(now);
      return undefined;
    }
    return Math.max(1, Math.ceil(((this.recentWrites[0] ?? now) + this.writeThrottle.windowMs - now) / 1000));
  }

  now(): number {
    return this.baseNow() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
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
    return this.directory.groups.get(groupId.toLowerCase())?.members.has(userId) ?? false;
  }

  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  // ── server ──────────────────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    const server = createServer({ key: this.tls.key, cert: this.tls.cert }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.send(response, 500, { error: { code: 'InternalServerError', message: String(error) } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Both the authority host and the Graph root; `localhost` so the certificate and customHosts match. */
  get url(): string {
    if (!this.server) throw new Error('the Graph simulator is not started');
    return `https://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://localhost');
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const record: GraphRequestRecord = {
      method,
      path: url.pathname,
      query: url.search,
      body: parseJson(raw),
      status: 0,
      clientId: null,
      at: this.now(),
    };
    this.log.push(record);

    const fault = this.faults.take(`${method} ${url.pathname}`);
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    if (fault?.drop) {
      record.status = -1;
      this.onRequest?.(record);
      request.socket.destroy();
      return;
    }
    if (fault?.status) {
      record.status = fault.status;
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const error = fault.error ?? defaultFaultError(fault.status);
      this.onRequest?.(record);
      this.send(response, fault.status, this.errorBody(error.code, error.message), headers);
      return;
    }

    let status = 200;
    let body: unknown;
    try {
      if (url.pathname.startsWith(`/${this.tenantId}/`) || /^\/[^/]+\/(v2\.0|oauth2)\//.test(url.pathname)) {
        [status, body] = this.authority(method, url, raw);
      } else {
        record.clientId = this.authenticate(request);
        const wait = this.throttled(method, url.pathname);
        if (wait !== undefined) {
          record.status = 429;
          this.onRequest?.(record);
          this.send(response, 429, this.errorBody('TooManyRequests', 'Too many requests; retry after the indicated time.'), {
            'retry-after': String(wait),
          });
          return;
        }
        this.directory.expireAssignments(this.now());
        [status, body] = this.graph(method, url, record.body, record.clientId);
      }
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      status = error.status;
      body = this.errorBody(error.code, error.message);
    }
    record.status = status;
    this.onRequest?.(record);
    this.send(response, status, body);
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (body === undefined) {
      response.writeHead(status, headers);
      response.end();
      return;
    }
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': randomUUID(), ...headers });
    response.end(JSON.stringify(body));
  }

  private errorBody(code: string, message: string): Json {
    const requestId = randomUUID();
    return {
      error: {
        code,
        message,
        innerError: { date: new Date(this.now()).toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': requestId },
      },
    };
  }

  // ── sign-in authority ───────────────────────────────────────────────────────────────────────────────────

  private authority(method: string, url: URL, raw: string): [number, unknown] {
    const [, tenant = '', ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    if (tenant !== this.tenantId) {
      return [
        400,
        aadError('invalid_request', `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`, 90002),
      ];
    }
    const base = `${this.url}/${tenant}`;
    if (method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      return [
        200,
        {
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          tenant_region_scope: 'EU',
        },
      ];
    }
    if (method === 'POST' && path === 'oauth2/v2.0/token') {
      const form = new URLSearchParams(raw);
      if (form.get('grant_type') !== 'client_credentials') {
        return [400, aadError('unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.', 70003)];
      }
      const app = this.directory.apps.get(form.get('client_id') ?? '');
      if (!app) {
        return [
          400,
          aadError(
            'unauthorized_client',
            `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
            700016,
          ),
        ];
      }
      if (form.get('client_secret') !== app.secret) {
        return [
          401,
          aadError(
            'invalid_client',
            `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
            7000215,
          ),
        ];
      }
      if (!(form.get('scope') ?? '').endsWith('/.default')) {
        return [
          400,
          aadError(
            'invalid_scope',
            'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
            1002012,
          ),
        ];
      }
      const token = `sim.${randomBytes(24).toString('base64url')}`;
      // Token lifetimes run on real time: MSAL's cache does, whatever the test does to the directory's clock.
      this.tokens.set(token, { clientId: app.clientId, expiresAt: this.baseNow() + 3599_000 });
      return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }];
    }
    return [404, aadError('invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.', 900561)];
  }

  private authenticate(request: IncomingMessage): string {
    const header = request.headers.authorization ?? '';
    if (!header) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const token = this.tokens.get(header.replace(/^Bearer /, ''));
    if (!token) throw new GraphError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there are no dots (.).');
    if (token.expiresAt <= this.baseNow())
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    return token.clientId;
  }

  private require(clientId: string, allowed: readonly string[]): void {
    const roles = this.directory.apps.get(clientId)?.roles ?? [];
    if (!roles.some((role) => allowed.includes(role))) {
      throw new GraphError(
        403,
        'Authorization_RequestDenied',
        `Insufficient privileges to complete the operation. Needs one of: ${allowed.join(', ')}.`,
      );
    }
  }

  // ── Graph v1.0 ──────────────────────────────────────────────────────────────────────────────────────────

  private graph(method: string, url: URL, body: unknown, clientId: string): [number, unknown] {
    const path = decodeURIComponent(url.pathname);
    const query = url.searchParams;
    for (const route of this.routes) {
      const match = route.methods.includes(method) ? route.path.exec(path) : null;
      if (!match) continue;
      for (const allowed of route.permissions) this.require(clientId, allowed);
      return route.handle({ method, match: match.slice(1).map((part) => part ?? ''), query, body });
    }
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`);
  }

  private readonly routes: GraphRoute[] = [
    {
      methods: ['GET'],
      path: /^\/v1\.0\/users$/,
      permissions: [PERMISSIONS.readUsers],
      handle: ({ query }) => [
        200,
        {
          '@odata.context': `${this.url}/v1.0/$metadata#users`,
          value: this.filterUsers(query.get('$filter')).map((user) => select(user, query.get('$select'))),
        },
      ],
    },
    {
      methods: ['GET'],
      // /users/{id or UPN}, or /users('{UPN}') for names Graph would otherwise misread (a leading $).
      path: /^\/v1\.0\/users(?:\/([^/(][^/]*)|\('((?:[^']|'')+)'\))$/,
      permissions: [PERMISSIONS.readUsers],
      handle: ({ match: [plain = '', quoted = ''], query }) => {
        const key = plain || quoted.replace(/''/g, "'");
        const user = this.directory.findUser(key);
        if (!user) throw notFound(key);
        return [200, { '@odata.context': `${this.url}/v1.0/$metadata#users/$entity`, ...select(user, query.get('$select')) }];
      },
    },
    {
      methods: ['POST'],
      path: /^\/v1\.0\/users\/([^/]+)\/checkMemberGroups$/,
      permissions: [PERMISSIONS.readUsers, PERMISSIONS.readMembers],
      handle: ({ match: [key = ''], body }) => {
        const user = this.directory.findUser(key);
        if (!user) throw notFound(key);
        const groupIds = asStringArray((body as Json | undefined)?.groupIds);
        return [200, { value: groupIds.filter((id) => this.isMember(id, user.id)) }];
      },
    },
    {
      methods: ['POST'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members\/\$ref$/,
      permissions: [PERMISSIONS.writeMembers],
      handle: ({ match: [groupId = ''], body }) => this.addMember(groupId, body),
    },
    {
      methods: ['DELETE'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/,
      permissions: [PERMISSIONS.writeMembers],
      handle: ({ match: [groupId = '', userId = ''] }) => this.removeMember(groupId, userId),
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/groups\/([^/]+)\/members$/,
      permissions: [PERMISSIONS.readMembers],
      handle: ({ match: [groupId = ''], query }) => {
        const group = this.directory.groups.get(groupId.toLowerCase());
        if (!group) throw notFound(groupId);
        const members = [...group.members]
          .map((id) => this.directory.findUser(id))
          .filter((user): user is SimDirectoryUser => user !== undefined);
        return [200, { value: members.map((user) => ({ '@odata.type': '#microsoft.graph.user', ...select(user, query.get('$select')) })) }];
      },
    },
    {
      methods: ['POST'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleRequests$`),
      permissions: [PERMISSIONS.writeAssignments],
      handle: ({ body }) => [201, this.scheduleRequest(body)],
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleRequests$`),
      permissions: [PERMISSIONS.readAssignments],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'status']);
        return [
          200,
          { value: this.directory.requests.filter((request) => matches(request, filter)).map((request) => this.requestJson(request)) },
        ];
      },
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/assignmentScheduleInstances$`),
      permissions: [PERMISSIONS.readAssignments],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'accessId']);
        return [
          200,
          {
            value: this.directory.assignments
              .filter((assignment) => matches(assignment, filter))
              .map((assignment) => this.instanceJson(assignment)),
          },
        ];
      },
    },
    {
      methods: ['GET'],
      path: new RegExp(`^${PIM_PATTERN}/eligibilitySchedules$`),
      permissions: [PERMISSIONS.readEligibility],
      handle: ({ query }) => {
        const filter = parseFilter(query.get('$filter'), ['groupId', 'principalId', 'accessId']);
        const eligible = this.directory.eligibilities.filter((eligibility) => matches(eligibility, filter));
        return [
          200,
          {
            value: eligible.map((eligibility) => ({
              ...eligibility,
              status: 'Provisioned',
              memberType: 'direct',
              scheduleInfo: { expiration: { type: 'noExpiration' } },
            })),
          },
        ];
      },
    },
  ];

  private filterUsers(filter: string | null): SimDirectoryUser[] {
    // Graph reads the query string as form data: a raw '+' arrives as a space (reference/graph.md §9).
    const match = /^(mail|userPrincipalName) eq '((?:[^']|'')*)'$/.exec(filter ?? '');
    if (!match) throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
    const field = match[1] as 'mail' | 'userPrincipalName';
    const value = (match[2] ?? '').replace(/''/g, "'").toLowerCase();
    return [...this.directory.users.values()].filter((user) => user[field]?.toLowerCase() === value);
  }

  private addMember(groupId: string, body: unknown): [number, unknown] {
    const group = this.directory.groups.get(groupId.toLowerCase());
    if (!group) throw notFound(groupId);
    const reference = (body as Json | undefined)?.['@odata.id'];
    const match = typeof reference === 'string' ? /\/(?:directoryObjects|users)\/([0-9a-f-]{36})$/i.exec(reference) : null;
    if (!match) throw new GraphError(400, 'Request_BadRequest', "Invalid URL format specified in @odata.id for 'members'.");
    const user = this.directory.findUser(match[1] ?? '');
    if (!user) throw notFound(match[1] ?? '');
    if (group.members.has(user.id)) {
      throw new GraphError(
        400,
        'Request_BadRequest',
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    }
    group.members.add(user.id);
    return [204, undefined];
  }

  private removeMember(groupId: string, userId: string): [number, unknown] {
    const group = this.directory.groups.get(groupId.toLowerCase());
    if (!group?.members.has(userId)) throw notFound(userId);
    group.members.delete(userId);
    return [204, undefined];
  }

  // ── PIM for Groups ──────────────────────────────────────────────────────────────────────────────────────

  private scheduleRequest(body: unknown): Json {
    const input = validateScheduleRequest(body);
    const now = this.now();
    const request: SimScheduleRequest = {
      id: randomUUID(),
      status: 'Provisioned',
      action: input.action,
      accessId: input.accessId,
      principalId: input.principalId,
      groupId: input.groupId,
      justification: input.justification,
      isValidationOnly: input.isValidationOnly,
      createdDateTime: now,
      completedDateTime: now,
      scheduleInfo: input.scheduleInfo ?? null,
      ticketInfo: input.ticketInfo ?? null,
      targetScheduleId: null,
    };
    const group = this.directory.groups.get(input.groupId.toLowerCase());
    if (!group)
      throw new GraphError(400, 'InvalidRoleAssignmentRequest', `The group '${input.groupId}' does not exist or cannot be managed by PIM.`);
    const principal = this.directory.findUser(input.principalId);
    if (!principal) throw new GraphError(400, 'InvalidRoleAssignmentRequest', `The principal '${input.principalId}' does not exist.`);
    const existing = this.directory.activeAssignment(group.id, principal.id, input.accessId);

    switch (input.action) {
      case 'adminAssign': {
        const span = this.scheduleSpan(input.scheduleInfo, now);
        if (!input.justification) throw policyFailure('JustificationRule');
        if (existing) throw new GraphError(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
        if (input.isValidationOnly) break;
        const assignment: SimAssignment = {
          id: randomUUID(),
          groupId: group.id,
          principalId: principal.id,
          accessId: input.accessId,
          startDateTime: span.start,
          endDateTime: span.end,
          assignmentScheduleId: `${group.id}_${input.accessId}_${randomUUID()}`,
        };
        this.directory.assignments.push(assignment);
        if (input.accessId === 'member') group.members.add(principal.id);
        request.targetScheduleId = assignment.assignmentScheduleId;
        break;
      }
      case 'adminExtend':
      case 'adminUpdate':
      case 'adminRenew': {
        if (!existing) throw new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
        const span = this.scheduleSpan(input.scheduleInfo, now);
        if (!input.justification) throw policyFailure('JustificationRule');
        if (!input.isValidationOnly) existing.endDateTime = span.end;
        request.targetScheduleId = existing.assignmentScheduleId;
        break;
      }
      case 'adminRemove': {
        if (!existing) throw new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
        if (this.enforceMinimumActiveDuration && now - existing.startDateTime < PIM_MINIMUM_MS) {
          throw new GraphError(400, 'ActiveDurationTooShort', 'The Active duration is too short. Miniumum Required is 5 minutes.');
        }
        if (!input.isValidationOnly) this.directory.removeAssignment(existing);
        request.status = 'Revoked';
        request.targetScheduleId = existing.assignmentScheduleId;
        break;
      }
      default:
        // Self-service actions act for the signed-in user; an app-only token has none.
        throw new GraphError(
          400,
          'InvalidRoleAssignmentRequest',
          `The action '${input.action}' requires a signed-in user and cannot be used with an application token.`,
        );
    }
    this.directory.requests.push(request);
    return this.requestJson(request);
  }

  private scheduleSpan(scheduleInfo: Json | undefined, now: number): { start: number; end: number | null } {
    if (!scheduleInfo)
      throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid: scheduleInfo is required.');
    const start = typeof scheduleInfo.startDateTime === 'string' ? Date.parse(scheduleInfo.startDateTime) : now;
    if (Number.isNaN(start))
      throw new GraphError(
        400,
        'BadRequest',
        `Cannot convert the literal '${String(scheduleInfo.startDateTime)}' to the expected type 'Edm.DateTimeOffset'.`,
      );
    const expiration = (scheduleInfo.expiration ?? {}) as Json;
    const type = String(expiration.type ?? 'notSpecified');
    if (type === 'noExpiration' || type === 'notSpecified') throw policyFailure('ExpirationRule');
    let end: number;
    if (type === 'afterDuration') {
      const length = typeof expiration.duration === 'string' ? parseIsoDuration(expiration.duration) : undefined;
      if (length === undefined) throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid.');
      end = start + length;
    } else {
      end = typeof expiration.endDateTime === 'string' ? Date.parse(expiration.endDateTime) : Number.NaN;
      if (Number.isNaN(end)) throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'The role assignment request is invalid.');
    }
    if (end - start < PIM_MINIMUM_MS || end - start > PIM_MAXIMUM_MS) throw policyFailure('ExpirationRule');
    return { start, end };
  }

  private requestJson(request: SimScheduleRequest): Json {
    return {
      '@odata.context': `${this.url}/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity`,
      id: request.id,
      status: request.status,
      completedDateTime: iso(request.completedDateTime),
      createdDateTime: iso(request.createdDateTime),
      approvalId: null,
      customData: null,
      createdBy: { application: { id: 'sim-app', displayName: 'jit-access-bot' }, user: null, device: null },
      action: request.action,
      isValidationOnly: request.isValidationOnly,
      justification: request.justification,
      scheduleInfo: request.scheduleInfo,
      ticketInfo: request.ticketInfo,
      accessId: request.accessId,
      principalId: request.principalId,
      groupId: request.groupId,
      targetScheduleId: request.targetScheduleId,
    };
  }

  private instanceJson(assignment: SimAssignment): Json {
    return {
      id: assignment.id,
      groupId: assignment.groupId,
      principalId: assignment.principalId,
      accessId: assignment.accessId,
      startDateTime: iso(assignment.startDateTime),
      endDateTime: iso(assignment.endDateTime),
      assignmentType: 'assigned',
      memberType: 'direct',
      assignmentScheduleId: assignment.assignmentScheduleId,
    };
  }
}

interface GraphRoute {
  methods: string[];
  path: RegExp;
  /** Each entry is a set of permissions of which the app needs one. */
  permissions: (readonly string[])[];
  handle: (call: { method: string; match: string[]; query: URLSearchParams; body: unknown }) => [number, unknown];
}

interface ScheduleRequestInput {
  action: string;
  accessId: 'member' | 'owner';
  principalId: string;
  groupId: string;
  justification: string | null;
  isValidationOnly: boolean;
  scheduleInfo?: Json;
  ticketInfo?: Json;
}

/** Graph's own request validation: unknown properties and wrong enum values are a 400 before any rule runs. */
function validateScheduleRequest(body: unknown): ScheduleRequestInput {
  if (body === undefined || body === null || typeof body !== 'object')
    throw new GraphError(400, 'BadRequest', 'Unable to read JSON request payload.');
  const input = body as Json;
  for (const key of Object.keys(input)) {
    if (!REQUEST_PROPERTIES.has(key)) {
      throw new GraphError(
        400,
        'BadRequest',
        `The property '${key}' does not exist on type 'microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
    }
  }
  if (!ACTIONS.includes(String(input.action)))
    throw new GraphError(400, 'BadRequest', `Requested value '${String(input.action)}' was not found.`);
  if (input.accessId !== 'member' && input.accessId !== 'owner')
    throw new GraphError(400, 'BadRequest', `Requested value '${String(input.accessId)}' was not found.`);
  for (const key of ['principalId', 'groupId'] as const) {
    if (typeof input[key] !== 'string' || input[key] === '') throw new GraphError(400, 'BadRequest', `The '${key}' property is required.`);
  }
  const scheduleInfo = input.scheduleInfo as Json | undefined;
  const expiration = scheduleInfo?.expiration as Json | undefined;
  if (expiration?.type !== undefined && !EXPIRATION_TYPES.includes(String(expiration.type))) {
    throw new GraphError(400, 'BadRequest', `Requested value '${String(expiration.type)}' was not found.`);
  }
  return {
    action: String(input.action),
    accessId: input.accessId,
    principalId: String(input.principalId),
    groupId: String(input.groupId),
    justification: typeof input.justification === 'string' && input.justification.trim() !== '' ? input.justification : null,
    isValidationOnly: input.isValidationOnly === true,
    ...(scheduleInfo && { scheduleInfo }),
    ...(input.ticketInfo !== undefined && { ticketInfo: input.ticketInfo as Json }),
  };
}

function parseFilter(filter: string | null, fields: string[]): Record<string, string> {
  if (!filter) throw new GraphError(400, 'BadRequest', 'The $filter query parameter is required for this request.');
  const clauses: Record<string, string> = {};
  for (const clause of filter.split(/ and /i)) {
    const match = /^\s*(\w+) eq '([^']*)'\s*$/.exec(clause);
    if (!match || !fields.includes(match[1] ?? '')) throw new GraphError(400, 'BadRequest', `Invalid filter clause: '${clause.trim()}'.`);
    clauses[match[1] ?? ''] = match[2] ?? '';
  }
  return clauses;
}

function matches(item: object, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([key, value]) => String((item as Json)[key]).toLowerCase() === value.toLowerCase());
}

function select(user: SimDirectoryUser, fields: string | null): Json {
  const all: Json = { ...user };
  if (!fields) return all;
  return Object.fromEntries(fields.split(',').map((field) => [field, all[field] ?? null]));
}

function policyFailure(rule: string): GraphError {
  return new GraphError(400, 'RoleAssignmentRequestPolicyValidationFailed', `The following policy rules failed: ["${rule}"]`);
}

function notFound(id: string): GraphError {
  return new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function defaultFaultError(status: number): { code: string; message: string } {
  if (status === 429) return { code: 'TooManyRequests', message: 'Too many requests.' };
  if (status === 403) return { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };
  if (status === 503) return { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' };
  if (status === 504) return { code: 'GatewayTimeout', message: 'The gateway timed out.' };
  return { code: 'InternalServerError', message: 'Something went wrong.' };
}

function aadError(error: string, description: string, code: number): Json {
  return {
    error,
    error_description: description,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function parseJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
