// The Graph simulator's https server: reads each request, logs it, applies injected faults and Graph's write
// throttling, hands sign-in calls to the authority and the rest to the first matching route, and answers in
// Graph's error shape.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { answerFault, type Fault, FaultPlan, waitOut } from '../fault-plan.js';
import { LoopbackServer, parseJson, readBody } from '../loopback-server.js';
import type { Authority } from './authority.js';
import { defaultFaultError, GraphError, graphErrorBody } from './graph-error.js';
import type { GraphRoute } from './graph-route.js';

// POSTs that only read (directoryObject's checkMemberGroups and its kin): Graph counts them against the read
// budget, not the writes. The bot's write gate holds back the same list.
const READING_ACTIONS = /\/(checkMemberGroups|checkMemberObjects|getMemberGroups|getMemberObjects)$/;

export interface GraphRequestRecord {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  clientId: string | null;
  at: number;
  /** For a response lost after the write: the status the write itself got (`status` is what the client saw). */
  appliedStatus?: number;
}

export interface GraphServerOptions {
  tls: { key: string; cert: string };
  now: () => number;
  authority: Authority;
  routes: () => readonly GraphRoute[];
  /** Runs before every Graph call, so the tenant is up to date with the clock (PIM expiry). */
  beforeCall: () => void;
  writeThrottle?: { writes: number; windowMs: number } | undefined;
}

export class GraphServer {
  readonly faults: FaultPlan;
  readonly log: GraphRequestRecord[] = [];
  /** Graph's write throttling, on when set; the benchmark turns it on between phases. */
  writeThrottle: { writes: number; windowMs: number } | undefined;
  /** Called for every request once it is answered, for the demo's transcript. */
  onRequest: ((record: GraphRequestRecord) => void) | undefined;
  private readonly recentWrites: number[] = [];
  private readonly http = new LoopbackServer('Graph');

  constructor(private readonly options: GraphServerOptions) {
    this.faults = new FaultPlan(options.now);
    this.writeThrottle = options.writeThrottle;
  }

  async start(): Promise<void> {
    await this.http.start(
      (listener) => createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, listener),
      (request, response) => this.handle(request, response),
      (response, error) => this.send(response, 500, { error: { code: 'InternalServerError', message: String(error) } }),
    );
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** Both the authority host and the Graph root; `localhost` so the certificate and customHosts match. */
  get url(): string {
    return `https://localhost:${this.http.port}`;
  }

  /**
   * Seconds to wait when this write would exceed the throttle; undefined when it may go ahead. Graph allows
   * 3,000 writes per 2.5 minutes per app and tenant (learn.microsoft.com/graph/throttling-limits).
   */
  private throttled(method: string, path: string): number | undefined {
    if (!this.writeThrottle || method === 'GET' || READING_ACTIONS.test(path)) return undefined;
    const now = Date.now();
    while ((this.recentWrites[0] ?? now) <= now - this.writeThrottle.windowMs) this.recentWrites.shift();
    if (this.recentWrites.length < this.writeThrottle.writes) {
      this.recentWrites.push(now);
      return undefined;
    }
    return Math.max(1, Math.ceil(((this.recentWrites[0] ?? now) + this.writeThrottle.windowMs - now) / 1000));
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
      at: this.options.now(),
    };
    this.log.push(record);

    const fault = this.faults.take(`${method} ${url.pathname}`);
    await waitOut(fault);
    if (fault && !fault.afterWrite && this.answerFault(fault, request, response, record)) return;

    const answer = this.answer(request, url, method, raw, record);
    if (fault?.afterWrite) {
      record.appliedStatus = answer.status;
      if (this.answerFault(fault, request, response, record)) return;
    }
    record.status = answer.status;
    this.onRequest?.(record);
    this.send(response, answer.status, answer.body, answer.headers);
  }

  /** Answers with the fault's dropped connection or status; false when the fault has neither. */
  private answerFault(fault: Fault, request: IncomingMessage, response: ServerResponse, record: GraphRequestRecord): boolean {
    const seen = answerFault(fault, request, (status, headers) => {
      const error = fault.error ?? defaultFaultError(status);
      this.send(response, status, this.errorBody(error.code, error.message), headers);
    });
    if (seen === undefined) return false;
    record.status = seen;
    this.onRequest?.(record);
    return true;
  }

  private answer(
    request: IncomingMessage,
    url: URL,
    method: string,
    raw: string,
    record: GraphRequestRecord,
  ): { status: number; body: unknown; headers?: Record<string, string> } {
    try {
      const authority = this.options.authority;
      if (authority.serves(url.pathname)) {
        const [status, body] = authority.answer(method, url, raw, this.url);
        return { status, body };
      }
      record.clientId = authority.authenticate(request);
      const wait = this.throttled(method, url.pathname);
      if (wait !== undefined) {
        const body = this.errorBody('TooManyRequests', 'Too many requests; retry after the indicated time.');
        return { status: 429, body, headers: { 'retry-after': String(wait) } };
      }
      this.options.beforeCall();
      const [status, body] = this.dispatch(method, url, record.body, record.clientId, headersOf(request));
      return { status, body };
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      return { status: error.status, body: this.errorBody(error.code, error.message) };
    }
  }

  private dispatch(method: string, url: URL, body: unknown, clientId: string, headers: Record<string, string>): [number, unknown] {
    const path = decodeURIComponent(url.pathname);
    const query = url.searchParams;
    for (const route of this.options.routes()) {
      const match = route.methods.includes(method) ? route.path.exec(path) : null;
      if (!match) continue;
      for (const allowed of route.permissions) this.options.authority.require(clientId, allowed);
      return route.handle({ method, match: match.slice(1).map((part) => part ?? ''), query, body, clientId, headers });
    }
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`);
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

  private errorBody(code: string, message: string): unknown {
    return graphErrorBody(code, message, this.options.now());
  }
}

function headersOf(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}
