// A strict local ServiceNow instance, Change Management API only, over plain http on loopback: basic auth of one
// integration user and the roles the API asks for, JSON only, standard changes opened from seeded templates, the
// standard state model, queries by encoded query; per-route faults (also after the write took effect), a request
// log and seeding helpers. servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { answerFault, type Fault, FaultPlan, waitOut } from '../fault-plan.js';
import { LoopbackServer, parseJson, readBody } from '../loopback-server.js';
import { ChangeTable, type SimChange, type SimTemplate, type StateValues, serializeChange } from './change-table.js';
import { ServiceNowApiError } from './wire.js';

export type { SimChange, SimTemplate, StateValues };

export interface ServiceNowSimulatorOptions {
  username?: string;
  password?: string;
  /** The integration user's roles (default itil). */
  roles?: string[];
  /** How a create answers: the docs' sample wraps the record in an array, their element table describes an object. */
  createAnswer?: 'object' | 'array';
  stateValues?: StateValues;
  /** A move the state model does not allow: refused with 400 (the default), or dropped while the rest applies. */
  refusedMoves?: 'error' | 'ignore';
  now?: () => number;
}

export interface ServiceNowRequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  /** The user whose basic auth was accepted. */
  user: string | null;
  at: number;
}

// The roles each method needs (Change Management API intro).
const READ_ROLES = ['change_manager', 'itil', 'sn_change_read', 'admin'];
const WRITE_ROLES = ['change_manager', 'itil', 'admin'];
const CHANGE_PATH = /^\/api\/sn_chg_rest(?:\/v\d+)?\/change(?:\/(.*))?$/;

export class ServiceNowSimulator {
  readonly table: ChangeTable;
  readonly faults = new FaultPlan(() => this.now());
  readonly log: ServiceNowRequestRecord[] = [];
  readonly username: string;
  readonly password: string;
  readonly roles: Set<string>;
  createAnswer: 'object' | 'array';
  stateValues: StateValues;
  refusedMoves: 'error' | 'ignore';
  /** Called for every request once it is answered: the demo's transcript, a test's kill at an exact point. */
  onRequest: ((record: ServiceNowRequestRecord) => void) | undefined;
  private readonly now: () => number;
  private readonly http = new LoopbackServer('ServiceNow');

  constructor(options: ServiceNowSimulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.table = new ChangeTable(this.now);
    this.username = options.username ?? 'svc-jit-bot';
    this.password = options.password ?? 'sim-servicenow-password-0123';
    this.roles = new Set(options.roles ?? ['itil']);
    this.createAnswer = options.createAnswer ?? 'object';
    this.stateValues = options.stateValues ?? 'string';
    this.refusedMoves = options.refusedMoves ?? 'error';
  }

  static async start(options: ServiceNowSimulatorOptions = {}): Promise<ServiceNowSimulator> {
    const simulator = new ServiceNowSimulator(options);
    await simulator.start();
    return simulator;
  }

  // ── set-up and inspection ───────────────────────────────────────────────────────────────────────────────

  /** A standard change template; active unless told otherwise. */
  addTemplate(template: Partial<SimTemplate> = {}): SimTemplate {
    return this.table.addTemplate(template);
  }

  get changes(): SimChange[] {
    return [...this.table.changes.values()];
  }

  change(sysId: string): SimChange | undefined {
    return this.table.changes.get(sysId);
  }

  changesFor(correlationId: string): SimChange[] {
    return this.changes.filter((change) => change.correlation_id === correlationId);
  }

  /** A person cancels the change in ServiceNow. */
  cancel(sysId: string): void {
    this.table.cancel(sysId);
  }

  /** Moves a change as a flow or a person would, past the state model. */
  setState(sysId: string, state: string): void {
    this.table.setState(sysId, state);
  }

  /** A fault on the routes it names ("POST /api/sn_chg_rest/change/standard/"); see FaultPlan. */
  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  /**
   * The next `times` requests matching `route` take effect, then the client gets a dropped connection (the
   * default) or the given status instead of the answer, as after a gateway timeout.
   */
  loseAnswerAfterWrite(route: string | RegExp, options: { answer?: 'drop' | number; times?: number } = {}): void {
    const answer = options.answer ?? 'drop';
    this.faults.add({
      route,
      afterWrite: true,
      ...(answer === 'drop' ? { drop: true } : { status: answer }),
      ...(options.times !== undefined && { times: options.times }),
    });
  }

  // ── server ──────────────────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await this.http.start(
      createServer,
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, 500, new ServiceNowApiError(500, 'Internal Server Error', String(error)).body()),
    );
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** The instance URL, as SERVICENOW_INSTANCE_URL would give it. */
  get url(): string {
    return `http://127.0.0.1:${this.http.port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const record: ServiceNowRequestRecord = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: parseJson(raw),
      status: 0,
      user: null,
      at: this.now(),
    };
    this.log.push(record);

    const fault = this.faults.take(`${method} ${url.pathname}`);
    await waitOut(fault);
    if (fault && !fault.afterWrite && this.answerFault(fault, request, response, record)) return;

    let answer: [number, unknown];
    try {
      record.user = this.authenticate(request);
      answer = this.route(method, url, request, raw, record.user);
    } catch (error) {
      if (!(error instanceof ServiceNowApiError)) throw error;
      answer = [error.status, error.body()];
    }
    if (fault?.afterWrite && this.answerFault(fault, request, response, record)) return;
    record.status = answer[0];
    this.send(response, answer[0], answer[1]);
    this.onRequest?.(record);
  }

  private answerFault(fault: Fault, request: IncomingMessage, response: ServerResponse, record: ServiceNowRequestRecord): boolean {
    const seen = answerFault(fault, request, (status, headers) =>
      this.send(response, status, ServiceNowApiError.fault(status).body(), headers),
    );
    if (seen === undefined) return false;
    record.status = seen;
    this.onRequest?.(record);
    return true;
  }

  /** Basic auth of the integration user; anything else is 401 before the route is looked at. */
  private authenticate(request: IncomingMessage): string {
    const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (encoded === undefined) throw ServiceNowApiError.unauthenticated();
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(0, colon) !== this.username || decoded.slice(colon + 1) !== this.password) {
      throw ServiceNowApiError.unauthenticated();
    }
    return this.username;
  }

  private route(method: string, url: URL, request: IncomingMessage, raw: string, user: string): [number, unknown] {
    const accept = request.headers.accept;
    if (accept !== undefined && !/application\/json|application\/\*|\*\/\*/.test(accept)) {
      throw new ServiceNowApiError(406, 'Not Acceptable', 'This simulator answers application/json only');
    }
    const match = CHANGE_PATH.exec(url.pathname);
    if (!match) throw ServiceNowApiError.noResource();
    const segments = (match[1] ?? '').split('/').filter(Boolean).map(decodeURIComponent);

    if (method === 'GET' && segments.length === 0) {
      this.require(READ_ROLES);
      return [200, { result: this.table.query(url.searchParams).map((change) => this.serialize(change)) }];
    }
    if (method === 'POST' && segments.length === 2 && segments[0] === 'standard') {
      this.require(WRITE_ROLES);
      const values = { ...fieldParams(url.searchParams), ...readJsonObject(request, raw) };
      const { change, ignoredFields } = this.table.createStandard(segments[1] ?? '', values, user);
      const created = { ...this.serialize(change), __meta: { ignoredFields } };
      return [200, { result: this.createAnswer === 'array' ? [created] : created }];
    }
    if (segments.length === 1 && segments[0] !== 'standard') {
      const sysId = segments[0] ?? '';
      if (method === 'GET') {
        this.require(READ_ROLES);
        return [200, { result: this.serialize(this.table.find(sysId)) }];
      }
      if (method === 'PATCH') {
        this.require(WRITE_ROLES);
        const values = { ...fieldParams(url.searchParams), ...readJsonObject(request, raw) };
        return [200, { result: this.serialize(this.table.update(sysId, values, user, this.refusedMoves)) }];
      }
    }
    throw ServiceNowApiError.noResource();
  }

  private require(roles: readonly string[]): void {
    if (!roles.some((role) => this.roles.has(role))) throw ServiceNowApiError.forbidden();
  }

  private serialize(change: SimChange): Record<string, unknown> {
    return serializeChange(change, this.stateValues);
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
    response.end(JSON.stringify(body));
  }
}

/** Name-value pairs in the URL set fields too; the body wins over them. */
function fieldParams(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries([...query].filter(([name]) => !name.startsWith('sysparm_')));
}

/** A request body must be a JSON object sent as application/json; none at all is an empty one. */
function readJsonObject(request: IncomingMessage, raw: string): Record<string, unknown> {
  if (raw === '') return {};
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
    throw new ServiceNowApiError(415, 'Unsupported Media Type', 'Send the body as application/json');
  }
  const body = parseJson(raw);
  if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServiceNowApiError(400, 'Exception while reading request', 'The payload is not valid JSON.');
  }
  return body as Record<string, unknown>;
}
