// Runs once before the test workers start. The Graph simulator speaks https with a local CA; Node reads
// NODE_EXTRA_CA_CERTS only when a process starts, so it is set here, before the workers are forked. One
// PostgreSQL server serves the whole run (each test makes its own database on it); a server that cannot start
// fails the run rather than letting the PostgreSQL tests pass by not running.

import { ensureSimulatorTls } from '../simulators/graph/tls.js';
import { startPostgres } from '../simulators/postgres-server.js';
import { simulatorTlsDirectory } from '../simulators/sandbox.js';

export default async function setup(): Promise<() => Promise<void>> {
  const directory = simulatorTlsDirectory();
  const tls = await ensureSimulatorTls(directory);
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  process.env.JIT_SIMULATOR_TLS_DIR = directory;
  process.env.NO_PROXY = ['127.0.0.1', 'localhost', process.env.NO_PROXY].filter(Boolean).join(',');

  const postgres = await startPostgres();
  process.env.JIT_TEST_POSTGRES_URL = postgres.url;
  return () => postgres.stop();
}
