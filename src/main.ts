// Composition root: config → logger → database + migrations → adapters → use cases → start.
// The only place where concrete adapters meet.

import { openDatabase } from './adapters/sqlite/database.js';
import { findMigrationsDirectory, migrate, readMigrations } from './adapters/sqlite/migrations.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`jit-access-bot cannot start; fix these and start again:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const log = createLogger(config.logLevel);
  log.info({ policyFile: config.policyFile, targets: config.policy.targets.length }, 'policy loaded');

  const db = openDatabase(config.databaseFile);
  const migrations = migrate(db, readMigrations(findMigrationsDirectory()));
  if (!migrations.ok) {
    log.fatal({ databaseFile: config.databaseFile }, migrations.error);
    process.exitCode = 1;
    return;
  }
  log.info({ databaseFile: config.databaseFile, applied: migrations.applied.map((m) => m.version) }, 'database ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`jit-access-bot stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
