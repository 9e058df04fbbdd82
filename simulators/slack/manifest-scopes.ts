import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { findMigrationsDirectory } from '../../src/adapters/sql/migration-files.js';

/** The bot scopes manifest.yml asks for: the simulator grants exactly these, so tests prove they suffice. */
export function manifestBotScopes(): string[] {
  const manifest = parse(readFileSync(join(dirname(findMigrationsDirectory()), 'manifest.yml'), 'utf8')) as {
    oauth_config?: { scopes?: { bot?: string[] } };
  };
  return manifest.oauth_config?.scopes?.bot ?? [];
}
