// The Node flags the bot ships with: `npm start` (package.json) and the image (the Dockerfile's CMD) both run
// `node <flags> dist/src/main.js`. The bench starts the built bot with the same flags, so that it measures what
// ships; a test holds the two places to each other.

import { readFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);

/** The flags between `node` and the script in a command line. */
function flagsOf(command: readonly string[]): string[] {
  const node = command.indexOf('node');
  if (node < 0) throw new Error(`not a node command: ${command.join(' ')}`);
  return command.slice(node + 1).filter((argument) => argument.startsWith('--'));
}

/** The flags `npm start` runs the bot with. */
export function shippedNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: { start: string } };
  return flagsOf(manifest.scripts.start.trim().split(/\s+/));
}

/** The flags the image's CMD runs the bot with (CMD in its JSON form). */
export function imageNodeFlags(): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(new URL('Dockerfile', ROOT), 'utf8'))?.[1];
  if (!cmd) throw new Error('the Dockerfile has no CMD in JSON form');
  return flagsOf(JSON.parse(cmd) as string[]);
}
