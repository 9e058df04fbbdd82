import { fileURLToPath } from 'node:url';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { MINUTE, percentile, SeededPostgres } from './measure.js';
import { revocationRun } from './revocations.js';

async function main(): Promise<void> {
  const postgres = await SeededPostgres.start(10_000);
  try {
    for (const replicas of (process.env.REPLICAS ?? '1').split(',').map(Number)) {
      const run = await revocationRun({ postgres, replicas, count: 10_000, spreadMs: MINUTE });
      const { first, last } = run.watch.span();
      const lags = run.watch.lags(run.plan);
      console.log(
        replicas,
        'replicas: rate',
        (10_000 / ((last - first) / 1000)).toFixed(0),
        'p50',
        percentile(lags, 50),
        'p99',
        percentile(lags, 99),
      );
    }
  } finally {
    await postgres.stop();
  }
}
void runTrustingSimulatorCa(fileURLToPath(import.meta.url), main);
