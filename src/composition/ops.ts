// What operators watch, on JIT_HTTP_PORT: /healthz (Socket Mode connected, database writable; the policy in
// force and Boundary reachable, reported only) and /metrics.

import type { Server } from 'node:http';
import type { BoundaryHealth } from '../adapters/boundary/boundary-health.js';
import type { BotMetrics } from '../adapters/ops/bot-metrics.js';
import { startOpsServer } from '../adapters/ops/ops-server.js';
import type { Config } from '../config.js';
import type { PolicyHolder } from './policy-holder.js';
import type { Storage } from './storage.js';

export interface OpsDeps {
  storage: Pick<Storage, 'isWritable'>;
  isSocketConnected(): boolean;
  policy: PolicyHolder;
  metrics: BotMetrics;
  boundaryHealth?: BoundaryHealth;
}

export function serveOps(config: Pick<Config, 'httpPort' | 'httpHost'>, deps: OpsDeps): Promise<{ server: Server; port: number }> {
  const { boundaryHealth } = deps;
  return startOpsServer(
    {
      isDatabaseWritable: () => deps.storage.isWritable(),
      isSocketConnected: deps.isSocketConnected,
      policySha256: () => deps.policy.sha256(),
      metrics: deps.metrics,
      ...(boundaryHealth && { boundary: () => boundaryHealth.check() }),
    },
    config.httpPort,
    config.httpHost,
  );
}
