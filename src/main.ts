// Entry point: read the configuration, start the bot, stop it cleanly on SIGTERM/SIGINT.

import { startBot } from './composition.js';
import { loadConfig } from './config.js';
import { createLogger, secretsOf } from './logger.js';

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`jit-access-bot cannot start; fix these and start again:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const log = createLogger(loaded.config.logLevel, undefined, secretsOf(loaded.config));
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  const bot = await startBot(loaded.config, { log });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping');
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    bot.reloadPolicy().catch((error: unknown) => log.error({ err: error }, 'policy reload failed'));
  });
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`jit-access-bot stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
