// The Node flags and environment the bot ships with: `npm start` (package.json) runs
// `NAME=value … node <flags> dist/src/main.js` and the image runs `node <flags> dist/src/main.js` (the Dockerfile's
// CMD) with the same NAME=value in its ENV. The bench starts the built bot with the same flags and environment,
// so that it measures what ships; a test holds the places to each other.

import { readFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);

/** The flags between `node` and the script in a command line. */
function flagsOf(command: readonly string[]): string[] {
  const node = command.indexOf('node');
  if (node < 0) throw new Error(`not a node command: ${command.join(' ')}`);
  return command.slice(node + 1).filter((argument) => argument.startsWith('--'));
}

/** NAME=value words as an environment. */
function environmentOf(words: readonly string[]): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const word of words) {
    const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word) ?? [];
    if (name === undefined || value === undefined) throw new Error(`not a NAME=value assignment: ${word}`);
    environment[name] = value;
  }
  return environment;
}

function startCommand(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: { start: string } };
  return manifest.scripts.start.trim().split(/\s+/);
}

/** The flags `npm start` runs the bot with. */
export function shippedNodeFlags(): string[] {
  return flagsOf(startCommand());
}

/** The environment `npm start` sets for the bot: the assignments before `node` in its command. */
export function shippedNodeEnvironment(): Record<string, string> {
  const command = startCommand();
  return environmentOf(command.slice(0, command.indexOf('node')));
}

/** The final stage of the Dockerfile: what the image runs. */
function imageStage(): string {
  const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
  return dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
}

/** The flags the image's CMD runs the bot with (CMD in its JSON form). */
export function imageNodeFlags(): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(imageStage())?.[1];
  if (!cmd) throw new Error('the Dockerfile has no CMD in JSON form');
  return flagsOf(JSON.parse(cmd) as string[]);
}

/** The environment the image's ENV instructions set (NAME=value form, values without spaces or quotes). */
export function imageEnvironment(): Record<string, string> {
  const instructions = imageStage().replace(/\\\n/g, ' ');
  const words = [...instructions.matchAll(/^ENV\s+(.*)$/gm)].flatMap((match) => (match[1] ?? '').trim().split(/\s+/));
  return environmentOf(words);
}
