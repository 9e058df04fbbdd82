import { spawnSync } from 'node:child_process';
import { ensureSimulatorTls } from './graph/tls.js';
import { simulatorTlsDirectory } from './sandbox.js';

const CHILD_FLAG = 'JIT_TRUSTS_SIMULATOR_CA';

/**
 * Runs `main` in a process that trusts the Graph simulator's CA. Node reads NODE_EXTRA_CA_CERTS only at start,
 * so the first process makes the certificate and starts the script again with it; TLS checks stay on.
 */
export async function runTrustingSimulatorCa(scriptPath: string, main: () => Promise<void>): Promise<never> {
  if (process.env[CHILD_FLAG] === '1') {
    try {
      await main();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  }
  const tls = await ensureSimulatorTls(simulatorTlsDirectory());
  const child = spawnSync(process.execPath, [...process.execArgv, scriptPath, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caFile, [CHILD_FLAG]: '1', NO_PROXY: '127.0.0.1,localhost' },
  });
  process.exit(child.status ?? 1);
}
