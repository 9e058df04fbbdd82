// Runs once before the test workers start. The Graph simulator speaks https with a local CA; Node reads
// NODE_EXTRA_CA_CERTS only when a process starts, so it is set here, before the workers are forked.

import { ensureSimulatorTls } from '../simulators/graph/tls.js';
import { simulatorTlsDirectory } from '../simulators/sandbox.js';

export default async function setup(): Promise<void> {
  const directory = simulatorTlsDirectory();
  const tls = await ensureSimulatorTls(directory);
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  process.env.JIT_SIMULATOR_TLS_DIR = directory;
  process.env.NO_PROXY = ['127.0.0.1', 'localhost', process.env.NO_PROXY].filter(Boolean).join(',');
}
