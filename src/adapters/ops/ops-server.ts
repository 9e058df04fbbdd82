// /healthz (Socket Mode connected, database writable; Boundary reachable, reported only) and /metrics
// (Prometheus), on JIT_HTTP_PORT.

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from './metrics.js';

export type Reachability = { ok: true } | { ok: false; error: string };

export interface OpsServerDeps {
  isDatabaseWritable: () => boolean;
  isSocketConnected: () => boolean;
  /**
   * Set when the bot ends Boundary sign-ins. Reported in the body but never fails health: without Boundary the
   * bot still ends Entra access on time, and the Boundary step waits for Boundary to return.
   */
  boundary?: () => Promise<Reachability>;
  metrics: Registry;
}

export async function startOpsServer(deps: OpsServerDeps, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      void answerHealth(deps, response);
      return;
    }
    if (request.method === 'GET' && request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(deps.metrics.render());
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function answerHealth(deps: OpsServerDeps, response: ServerResponse): Promise<void> {
  const slack = deps.isSocketConnected();
  const database = deps.isDatabaseWritable();
  const boundary = deps.boundary ? await deps.boundary() : undefined;
  response.writeHead(slack && database ? 200 : 503, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      status: slack && database ? 'ok' : 'unhealthy',
      slack: slack ? 'connected' : 'disconnected',
      database: database ? 'writable' : 'not writable',
      ...(boundary && { boundary }),
    }),
  );
}
