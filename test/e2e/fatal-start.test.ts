// A start that fails ends the process at once, with code 1 and the reason, so that the restart policy that runs
// it (Docker's, systemd's, Kubernetes') acts. Before, a database that refused the bot's password on the
// client's side left a socket open for the server's 60-second authentication timeout, and a Slack that
// refused the bot after the database had opened left the connection pool open for good.
// The bound below is a long way under those 60 s but leaves room for tsx to compile the bot on a busy machine:
// it tells "ends" from "lingers", and says nothing of speed.

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulators, startSimulators } from '../../simulators/sandbox.js';
import { runMainUntilExit } from '../support/main-process.js';
import { databaseForThisTest, testPostgresServerUrl } from '../support/postgres.js';

const ENDS_WITHIN_MS = 20_000;

let sims: Simulators;

beforeAll(async () => {
  sims = await startSimulators();
});

afterAll(async () => {
  await sims.slack.stop();
  await sims.graph.stop();
});

/** The test server's URL for `database`, signing in with `password` instead of the right one. */
function withPassword(url: string, password: string): string {
  const wrong = new URL(url);
  wrong.password = password;
  return wrong.toString();
}

describe('a start that fails', () => {
  it('ends the process when PostgreSQL refuses the password, naming the refusal', { timeout: 40_000 }, async () => {
    const url = withPassword(testPostgresServerUrl(), 'not-the-password');
    const exit = await runMainUntilExit({ ...sims.env, JIT_DATABASE_URL: url }, ENDS_WITHIN_MS);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('jit-access-bot stopped: error: password authentication failed for user "jit"');
    expect(exit.stderr).not.toContain('not-the-password');
  });

  it('ends the process when the URL has no password for a server that asks for one', { timeout: 40_000 }, async () => {
    // pg gives up on the SCRAM exchange itself here, and its socket stayed open until the server timed it out.
    const exit = await runMainUntilExit({ ...sims.env, JIT_DATABASE_URL: withPassword(testPostgresServerUrl(), '') }, ENDS_WITHIN_MS);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
  });

  it('ends the process when Slack refuses the app token after the database opened', { timeout: 40_000 }, async () => {
    const database = await databaseForThisTest();
    const exit = await runMainUntilExit(
      { ...sims.env, JIT_DATABASE_URL: database.url, SLACK_APP_TOKEN: 'xapp-1-A0-not-the-token' },
      ENDS_WITHIN_MS,
    );
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('jit-access-bot stopped:');
    expect(exit.stderr).toContain('invalid_auth');
  });

  it('ends the process when the port of /healthz and /metrics is taken, naming it', { timeout: 40_000 }, async () => {
    const taken = await listenOnFreePort();
    try {
      const port = String((taken.address() as { port: number }).port);
      const exit = await runMainUntilExit({ ...sims.env, JIT_HTTP_PORT: port }, ENDS_WITHIN_MS);
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain('jit-access-bot stopped: Error: listen EADDRINUSE');
      expect(exit.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
