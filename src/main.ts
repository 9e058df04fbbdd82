// Entry point: read the configuration, start the bot, read the policy again on SIGHUP, stop it cleanly on
// SIGTERM/SIGINT.

import { type RunningBot, startBot } from './composition/index.js';
import { loadConfig, secretValues } from './config.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`jit-access-bot cannot start; fix these and start again:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const log = createLogger(loaded.config.logLevel, undefined, secretValues(loaded.config));
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
  const started = await startBot(loaded.config, { log });
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

main().catch((error: unknown) => {
  process.stderr.write(`jit-access-bot stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
