// Entry point: read the configuration, start the bot, read the policy again on SIGHUP, stop it cleanly on
// SIGTERM/SIGINT. A start that fails ends the process at once with code 1, so that a supervisor (Docker's
// restart policy, systemd, Kubernetes) sees it and acts, whatever might still be open.

import { type RunningBot, startBot } from './composition/index.js';
import { loadConfig, secretValues } from './config.js';
import { createLogger, redactText } from './logger.js';

/** Says why on stderr, without any configured secret, and ends the process now. */
function exitWithFailure(error: unknown, secrets: readonly string[]): never {
  const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(redactText(`jit-access-bot stopped: ${reason}\n`, secrets));
  process.exit(1);
}

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`jit-access-bot cannot start; fix these and start again:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  const secrets = secretValues(loaded.config);
  const log = createLogger(loaded.config.logLevel, undefined, secrets);
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  const reload = (running: RunningBot): void => {
    running.reloadPolicy('SIGHUP').catch((error: unknown) => log.error({ err: error }, 'policy reload failed'));
  };
  // Each replica also notices a changed policy file by itself; SIGHUP reads it at once. Listened for before the
  // bot starts, since a SIGHUP nobody listens for ends the process; one that comes during the start is answered
  // once the bot runs.
  let bot: RunningBot | undefined;
  let reloadWhenStarted = false;
  process.on('SIGHUP', () => {
    if (bot) reload(bot);
    else reloadWhenStarted = true;
  });
  const started = await startBot(loaded.config, { log }).catch((error: unknown) => exitWithFailure(error, secrets));
  bot = started;
  if (reloadWhenStarted) reload(started);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping');
    started.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => exitWithFailure(error, []));
