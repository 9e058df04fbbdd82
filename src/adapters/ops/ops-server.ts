// /healthz (Socket Mode connected, database writable) and /metrics (Prometheus), on JIT_HTTP_PORT.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from './metrics.js';

export interface OpsServerDeps {
  isDatabaseWritable: () => boolean;
  isSocketConnected: () => boolean;
  metrics: Registry;
}

export async function startOpsServer(deps: OpsServerDeps, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      const slack = deps.isSocketConnected();
      const database = deps.isDatabaseWritable();
      response.writeHead(slack && database ? 200 : 503, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: slack && database ? 'ok' : 'unhealthy',
          slack: slack ? 'connected' : 'disconnected',
          database: database ? 'writable' : 'not writable',
        }),
      );
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
