// What every simulator's HTTP server does alike: listen on a free loopback port, answer a handler's failure with
// the simulator's own 500, close every connection when stopped, and read a request's body.

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server on 127.0.0.1 and a free port, started and stopped with its simulator. */
export class LoopbackServer {
  private server: Server | undefined;

  /** `name`: the simulator's, for the error a URL asked of a stopped one gives. */
  constructor(private readonly name: string) {}

  /**
   * Listens with `create`'s server (http's or https's `createServer`), handing each request to `handle`; a
   * handler that throws is answered by `failed`.
   */
  async start(
    create: (listener: RequestListener) => Server,
    handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
    failed: (response: ServerResponse, error: unknown) => void,
  ): Promise<void> {
    const server = create((request, response) => {
      handle(request, response).catch((error: unknown) => failed(response, error));
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

  get port(): number {
    if (!this.server) throw new Error(`the ${this.name} simulator is not started`);
    return (this.server.address() as AddressInfo).port;
  }
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON body parsed, the raw text when it is not JSON (a simulator refuses it as the service would), or undefined. */
export function parseJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
