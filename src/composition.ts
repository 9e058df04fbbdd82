// Builds the whole bot from its configuration: the one place where concrete adapters meet. main.ts runs it;
// end-to-end tests and the demo run the same thing against the simulators, with a few seams (clock, ids,
// logger, retry counts) they may replace.

import type { App } from '@slack/bolt';
import { BoundaryHealth } from './adapters/boundary/boundary-health.js';
import { BoundarySessionRevoker } from './adapters/boundary/boundary-sign-outs.js';
import { pacer } from './adapters/common/pacer.js';
import { type RejectedCredential, watchCredential } from './adapters/graph/credential-watch.js';
import { GraphAccessProvider } from './adapters/graph/graph-access-provider.js';
import { createGraphClient } from './adapters/graph/graph-client.js';
import { GraphDirectory } from './adapters/graph/graph-directory.js';
import { BotMetrics } from './adapters/ops/bot-metrics.js';
import { startOpsServer } from './adapters/ops/ops-server.js';
import { JobScheduler } from './adapters/scheduler/job-scheduler.js';
import { AdminAlarm, alertAdmins, credentialRejectedAlarm } from './adapters/slack/admin-alerts.js';
import { createBoltApp } from './adapters/slack/bolt-app.js';
import { SlackHomePublisher } from './adapters/slack/home-publisher.js';
import { registerListeners } from './adapters/slack/listeners/index.js';
import { SlackNotifier } from './adapters/slack/slack-notifier.js';
import { SlackUserProfiles } from './adapters/slack/slack-profiles.js';
import { trackSocket } from './adapters/slack/socket-state.js';
import { randomIds } from './adapters/system/random-ids.js';
import { systemClock } from './adapters/system/system-clock.js';
import type { Clock, IdSource, RequestRepository } from './application/ports.js';
import { type ReconcileReport, reconcile } from './application/reconcile.js';
import { runJob } from './application/run-job.js';
import { nextSweepAt, sweep } from './application/sweep.js';
import { bindUseCases } from './application/use-cases.js';
import { type Config, secretValues } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { formatPolicyProblem, loadPolicyFile } from './policy-file.js';
import { POLICY_CHECK_MS, UNREADABLE, watchPolicyFile } from './policy-file-watch.js';
import { openStorage, type Storage } from './storage.js';

// Graph checks a second when reconciling: 10,000 active grants in under seven minutes, a small share of what
// Graph allows an app, and little of the bot's time beside grants and ends falling due meanwhile.
const RECONCILE_CHECKS_PER_SECOND = 25;
const NOTHING_SWEPT = { timedOut: 0, expired: 0, warned: 0 };

export interface BotSeams {
  clock?: Clock;
  ids?: IdSource;
  log?: Logger;
  /** Slack Web API retries per call (default 2). */
  slackRetries?: number;
  /** Socket Mode pong timeout, which also paces reconnects (default 5000 ms). */
  clientPingTimeoutMs?: number;
  /** How long a claimed job stays leased without a heartbeat before another process takes it over (default 8 s). */
  jobLeaseMs?: number;
  /** How often the policy file is checked for a change (default 10 s). */
  policyCheckMs?: number;
}

/** What made the bot read the policy file again. */
export type PolicyReloadCause = 'SIGHUP' | 'file changed';

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
  reloadPolicy(cause?: PolicyReloadCause): Promise<{ ok: true } | { ok: false; problems: string[] }>;
  stop(): Promise<void>;
}

export async function startBot(config: Config, seams: BotSeams = {}): Promise<RunningBot> {
  const log = seams.log ?? createLogger(config.logLevel, undefined, secretValues(config));
  const clock = seams.clock ?? systemClock;

  const storage = await openStorage(config.database, log.child({ module: 'storage' }));
  const { requests, jobs, messages } = storage;

  const { app, receiver } = createBoltApp({
    botToken: config.slack.botToken,
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    log: log.child({ module: 'slack' }),
    retries: seams.slackRetries ?? 2,
    ...(seams.clientPingTimeoutMs !== undefined && { clientPingTimeoutMs: seams.clientPingTimeoutMs }),
  });
  // Every use case reads the policy through a getter at each use, so a reload reaches them all at once.
  let policy = config.policy;
  let policySha256 = config.policySha256;
  // The content last refused (its sha256), so that the admins hear of one bad file once, however often it is read.
  let refusedSha256: string | undefined;

  const alarm = new AdminAlarm({ client: app.client, admins: () => policy.admins, clock, log: log.child({ module: 'alarm' }) });
  const credentialRejected = (failure: RejectedCredential) => {
    const { key, lines } = credentialRejectedAlarm(failure);
    alarm.raise(key, lines);
  };
  const graph = createGraphClient({ ...config.azure, baseUrl: config.graph.baseUrl, now: () => clock.now() });
  const access = watchCredential(new GraphAccessProvider(graph, config.graph.baseUrl, () => clock.now()), credentialRejected);
  const directory = watchCredential(new GraphDirectory(graph, () => clock.now()), credentialRejected);
  // The job worker is woken once the listener that stored a change has answered Slack (see app.use below).
  let changedInListener = false;
  const useCases = bindUseCases(
    {
      requests,
      get policy() {
        return policy;
      },
      clock,
      ids: seams.ids ?? randomIds,
      profiles: new SlackUserProfiles(app.client, () => clock.now()),
      directory,
      access,
    },
    () => {
      changedInListener = true;
    },
  );
  const homes = new SlackHomePublisher({ client: app.client, reads: useCases, log: log.child({ module: 'home' }) });
  const notifier = new SlackNotifier({
    client: app.client,
    messages,
    homes,
    get policy() {
      return policy;
    },
    ...(config.boundary && { boundary: { oidcAuthMethodId: config.boundary.oidcAuthMethodId } }),
    clock,
    log: log.child({ module: 'notifier' }),
  });
  const boundary = config.boundary && new BoundarySessionRevoker(config.boundary);
  const boundaryHealth = boundary && new BoundaryHealth(() => boundary.probe(), { now: () => clock.now() });
  const jobDeps = {
    requests,
    jobs,
    get policy() {
      return policy;
    },
    clock,
    access,
    notifier,
    ...(boundary && { boundary }),
    pace: pacer(RECONCILE_CHECKS_PER_SECOND),
  };
  const metrics = new BotMetrics(requests);
  const socket = trackSocket(receiver.client, () => metrics.reconnects.inc());
  const reconcileNow = async (): Promise<ReconcileReport> => {
    const report = await reconcile(jobDeps);
    const repaired =
      report.removedOutside.length +
      report.lingering.length +
      report.cleanedUp.length +
      report.addedSince.length +
      report.mismatched.length;
    const level = repaired > 0 ? 'warn' : 'info';
    log[level]({ module: 'reconcile', ...report }, 'reconciled with Graph');
    scheduler.wake();
    return report;
  };
  // At start and hourly every replica would reconcile; one of them at a time does.
  const reconcileShared = async (): Promise<void> => {
    if (!(await storage.alone('reconcile', reconcileNow))) log.info({ module: 'reconcile' }, 'another replica is reconciling');
  };
  const scheduler = new JobScheduler({
    hourly: reconcileShared,
    jobs,
    clock,
    log: log.child({ module: 'scheduler' }),
    runJob: async (job) => {
      const outcome = await runJob(jobDeps, job);
      metrics.observe(job, outcome);
      return outcome;
    },
    // Every replica's timer fires for the same deadlines: one replica at a time sweeps, so that two do not
    // both try each change (the loser's try is refused, but costs it a read and a write). One that finds the
    // sweep taken looks again a second later, and takes over within that second if the sweeping one died.
    sweep: async () => (await storage.alone('sweep', () => sweep(jobDeps))) ?? NOTHING_SWEPT,
    nextSweepAt: () => nextSweepAt(jobDeps),
    ...(seams.jobLeaseMs !== undefined && { leaseMs: seams.jobLeaseMs }),
  });

  app.use(async ({ next }) => {
    try {
      await next();
    } finally {
      if (changedInListener) {
        changedInListener = false;
        scheduler.wake();
      }
    }
  });
  registerListeners(app, { useCases, homes, log: log.child({ module: 'listeners' }) });
  app.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });

  await app.init();
  await app.start();
  const ops = await startOpsServer(
    {
      isDatabaseWritable: () => storage.isWritable(),
      isSocketConnected: socket.isConnected,
      policySha256: () => policySha256,
      metrics: metrics.registry,
      ...(boundaryHealth && { boundary: () => boundaryHealth.check() }),
    },
    config.httpPort,
    config.httpHost,
  );
  // Jobs a dead process left leased run now, rather than when their lease would run out.
  const released = await storage.recoverLeases(clock.now());
  if (released > 0) log.warn({ released }, 'jobs left running by a stopped process run again now');
  await storage.watchOtherReplicas(() => scheduler.wake());
  scheduler.start();
  log.info(
    { targets: policy.targets.length, policySha256, httpPort: ops.port },
    'connected to Slack; jobs running; /healthz and /metrics served',
  );
  reconcileShared().catch((error: unknown) => log.error({ err: error }, 'reconciliation at start failed'));

  const reloadPolicy = async (cause: PolicyReloadCause = 'SIGHUP'): Promise<{ ok: true } | { ok: false; problems: string[] }> => {
    const loaded = loadPolicyFile(config.policyFile);
    if (!loaded.ok) {
      const problems = loaded.problems.map(formatPolicyProblem);
      const refused = loaded.sha256 ?? UNREADABLE;
      log.error({ cause, problems, refusedSha256: loaded.sha256, policySha256 }, 'policy reload refused; the policy in force stays');
      if (refused === refusedSha256) return { ok: false, problems };
      refusedSha256 = refused;
      const lines = [
        'The policy file was not reloaded; the policy in force stays. Fix these: each replica reads the file again once it changes.',
        ...problems,
      ];
      await alertAdmins(app.client, policy.admins, lines).catch((error: unknown) => {
        // Not sent, so not told: the next read of the same content tries again.
        refusedSha256 = undefined;
        log.error({ err: error }, 'telling the admins failed');
      });
      return { ok: false, problems };
    }
    refusedSha256 = undefined;
    policy = loaded.policy;
    policySha256 = loaded.sha256;
    log.info({ cause, targets: policy.targets.length, policySha256 }, 'policy reloaded');
    scheduler.wake();
    return { ok: true };
  };
  const policyWatch = watchPolicyFile({
    file: config.policyFile,
    intervalMs: seams.policyCheckMs ?? POLICY_CHECK_MS,
    isSettled: (sha256) => sha256 === policySha256 || sha256 === refusedSha256,
    reload: () => reloadPolicy('file changed'),
    onError: (error) => log.error({ err: error }, 'checking the policy file failed'),
  });

  return {
    app,
    storage,
    requests,
    scheduler,
    log,
    reconcile: reconcileNow,
    metrics,
    httpPort: ops.port,
    reloadPolicy,
    async stop() {
      await policyWatch.stop();
      await new Promise((resolve) => ops.server.close(resolve));
      await scheduler.stop();
      await app.stop();
      await storage.close();
    },
  };
}
