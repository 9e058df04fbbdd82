// /healthz (Socket Mode connected, database writable) and /metrics (Prometheus), on JIT_HTTP_PORT.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqliteDatabase } from '../sqlite/database.js';
import type { Registry } from './metrics.js';

export interface OpsServerDeps {
  db: SqliteDatabase;
  isSocketConnected: () => boolean;
  metrics: Registry;
}

function databaseWritable(db: SqliteDatabase): boolean {
  try {
    // Taking the write lock and letting go proves the file is writable without changing it.
    db.exec('BEGIN IMMEDIATE; ROLLBACK;');
    return true;
  } catch {
    return false;
  }
}

export async function startOpsServer(deps: OpsServerDeps, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      const slack = deps.isSocketConnected();
      const database = databaseWritable(deps.db);
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
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
