// Builds the whole bot from its configuration: the one place where concrete adapters meet. main.ts runs it;
// end-to-end tests and the demo run the same thing against the simulators, with a few seams (clock, ids,
// logger, retry counts) they may replace. Each part is built in a file of this folder; startBot puts them
// together in the order each needs the others, and starts them.

import type { App } from '@slack/bolt';
import { BotMetrics } from '../adapters/ops/bot-metrics.js';
import type { JobScheduler } from '../adapters/scheduler/job-scheduler.js';
import { alertAdmins } from '../adapters/slack/admin-alerts.js';
import { trackSocket } from '../adapters/slack/socket-state.js';
import { randomIds } from '../adapters/system/random-ids.js';
import { systemClock } from '../adapters/system/system-clock.js';
import type { Clock, IdSource, RequestRepository } from '../application/ports.js';
import type { ReconcileReport } from '../application/reconcile.js';
import { type Config, policyEnvironment, secretValues } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { loadPolicyFile } from '../policy-file.js';
import { POLICY_CHECK_MS } from '../policy-file-watch.js';
import { createBackgroundWork } from './background-work.js';
import { OpenedParts } from './opened-parts.js';
import { serveOps } from './ops.js';
import { connectOutsideServices } from './outside-services.js';
import { followPolicyFile, PolicyHolder, type PolicyReload, type PolicyReloadCause } from './policy-holder.js';
import { createSlackApp, createSlackSurfaces, listenToSlack, type SlackSeams } from './slack.js';
import { openStorage, type Storage } from './storage.js';

export type { PolicyReloadCause };

export interface BotSeams extends SlackSeams {
  clock?: Clock;
  ids?: IdSource;
  log?: Logger;
  /** How long a claimed job stays leased without a heartbeat before another process takes it over (default 8 s). */
  jobLeaseMs?: number;
  /** How often the policy file is checked for a change (default 10 s). */
  policyCheckMs?: number;
  /** Called as the start passes each step, for measuring what each step costs (bench/memory.ts). */
  onStartStep?(step: StartStep): void;
}

/** The steps of a start, in order. */
export type StartStep = 'storage opened' | 'outside services built' | 'connected to Slack' | 'running';

export interface RunningBot {
  app: App;
  storage: Storage;
  requests: RequestRepository;
  scheduler: JobScheduler;
  log: Logger;
  metrics: BotMetrics;
  /** The port /healthz and /metrics listen on. */
  httpPort: number;
  /**
   * Compares Graph with the store and repairs the difference. Also run at start and hourly, by one replica at a
   * time; this call runs it here and now.
   */
  reconcile(): Promise<ReconcileReport>;
  /**
   * Reads the policy file again (on SIGHUP, and when the file changes): a valid file takes effect at once, for
   * waiting requests too; an invalid one keeps the policy in force and tells the admins by DM with the file,
   * line and field, once for each content refused.
   */
  reloadPolicy(cause?: PolicyReloadCause): Promise<PolicyReload>;
  stop(): Promise<void>;
}

// A start that fails gives up on closing what it had opened after this long: the error still reaches the caller,
// which ends the process (main.ts) rather than wait on a part that does not close.
const CLOSE_AFTER_FAILED_START_MS = 5000;

export async function startBot(config: Config, seams: BotSeams = {}): Promise<RunningBot> {
  // The logger is handed the secret values alone, to replace wherever they turn up; never the configuration.
  const log = seams.log ?? createLogger(config.logLevel, undefined, secretValues(config));
  const opened = new OpenedParts();
  try {
    return await startParts(config, seams, log, opened);
  } catch (error) {
    await closeAfterFailedStart(opened, log);
    throw error;
  }
}

async function closeAfterFailedStart(opened: OpenedParts, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ afterMs: CLOSE_AFTER_FAILED_START_MS }, 'gave up closing what the failed start had opened');
      resolve();
    }, CLOSE_AFTER_FAILED_START_MS);
  });
  const closed = opened.closeAll().catch((error: unknown) => log.warn({ err: error }, 'closing after a failed start failed'));
  try {
    await Promise.race([closed, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

async function startParts(config: Config, seams: BotSeams, log: Logger, opened: OpenedParts): Promise<RunningBot> {
  const clock = seams.clock ?? systemClock;
  const step = seams.onStartStep ?? (() => undefined);

  const storage = await openStorage(config.database, log.child({ module: 'storage' }));
  opened.add(() => storage.close());
  step('storage opened');
  const { app, receiver } = createSlackApp(config.slack, seams, log);
  const policy = new PolicyHolder({
    initial: { policy: config.policy, sha256: config.policySha256 },
    load: () => loadPolicyFile(config.policyFile, policyEnvironment(config)),
    tellAdmins: (admins, lines) => alertAdmins(app.client, admins, lines),
    log,
  });
  const outside = await connectOutsideServices(config, { clock, policy, slack: app.client, log });
  step('outside services built');
  const surfaces = createSlackSurfaces(app, {
    slack: config.slack,
    storage,
    policy,
    clock,
    ids: seams.ids ?? randomIds,
    directory: outside.directory,
    access: outside.access,
    boundary: config.boundary,
    ...(outside.incidents && { incidents: outside.incidents }),
    log,
  });
  const metrics = new BotMetrics(storage.requests);
  const socket = trackSocket(receiver.client, () => metrics.socketReconnected());
  const work = createBackgroundWork({
    storage,
    policy,
    clock,
    access: outside.access,
    notifier: surfaces.notifier,
    ...surfaces.approvers,
    ...(outside.boundary && { boundary: outside.boundary }),
    ...(outside.changes && { changes: outside.changes }),
    ...(outside.onCall && { onCall: outside.onCall }),
    metrics,
    log,
    ...(seams.jobLeaseMs !== undefined && { leaseMs: seams.jobLeaseMs }),
  });
  listenToSlack(app, surfaces, () => work.scheduler.wake(), log);
  // The next deadline depends on the policy (its expiry warning): the scheduler sets its timer again.
  policy.onReload(() => work.scheduler.wake());

  await app.init();
  // A Socket Mode client whose start failed may still be trying to connect: stopping it ends that.
  opened.add(() => app.stop().then(() => undefined));
  await app.start();
  // Stopped after the ops server and before Slack, as the scheduler's running jobs may still need both.
  opened.add(() => work.scheduler.stop());
  step('connected to Slack');
  const ops = await serveOps(config, {
    storage,
    isSocketConnected: socket.isConnected,
    policy,
    metrics,
    ...(outside.boundaryHealth && { boundaryHealth: outside.boundaryHealth }),
  });
  opened.add(() => new Promise((resolve) => ops.server.close(() => resolve())));
  await work.start();
  log.info(
    { targets: policy.current().targets.length, policySha256: policy.sha256(), httpPort: ops.port },
    'connected to Slack; jobs running; /healthz and /metrics served',
  );
  work.reconcileAtStart();
  const policyWatch = followPolicyFile(policy, { file: config.policyFile, intervalMs: seams.policyCheckMs ?? POLICY_CHECK_MS, log });
  opened.add(() => policyWatch.stop());
  step('running');

  return {
    app,
    storage,
    requests: storage.requests,
    scheduler: work.scheduler,
    log,
    reconcile: work.reconcileNow,
    metrics,
    httpPort: ops.port,
    reloadPolicy: (cause = 'SIGHUP') => policy.reload(cause),
    stop: () => opened.closeAll(),
  };
}
