// /healthz (Socket Mode connected, database writable; the policy in force and Boundary reachable, reported
// only) and /metrics (Prometheus), on JIT_HTTP_PORT.

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reachability = { ok: true } | { ok: false; error: string };

/** What /metrics answers with: Prometheus' text exposition format, in `contentType`. */
export interface MetricsSource {
  contentType: string;
  scrape(): Promise<string>;
}

export interface OpsServerDeps {
  isDatabaseWritable: () => Promise<boolean>;
  isSocketConnected: () => boolean;
  /**
   * sha256 of the policy file in force (hex), so that an operator sees replicas that run different policies.
   * Reported only: a replica on an older policy still serves.
   */
  policySha256: () => string;
  /**
   * Set when the bot ends Boundary sign-ins. Reported in the body but never fails health: without Boundary the
   * bot still ends Entra access on time, and the Boundary step waits for Boundary to return.
   */
  boundary?: () => Promise<Reachability>;
  metrics: MetricsSource;
}

export async function startOpsServer(deps: OpsServerDeps, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    answer(deps, request.url, request.method, response).catch(() => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  // A port already taken fails the start with the reason, rather than as an error event nobody listens for.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function answer(deps: OpsServerDeps, url: string | undefined, method: string | undefined, response: ServerResponse): Promise<void> {
  if (method === 'GET' && url === '/healthz') {
    const slack = deps.isSocketConnected();
    const [database, boundary] = await Promise.all([deps.isDatabaseWritable(), deps.boundary?.()]);
    response.writeHead(slack && database ? 200 : 503, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        status: slack && database ? 'ok' : 'unhealthy',
        slack: slack ? 'connected' : 'disconnected',
        database: database ? 'writable' : 'not writable',
        policy: { sha256: deps.policySha256() },
        ...(boundary && { boundary }),
      }),
    );
    return;
  }
  if (method === 'GET' && url === '/metrics') {
    const text = await deps.metrics.scrape();
    response.writeHead(200, { 'content-type': deps.metrics.contentType });
    response.end(text);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found\n');
}
