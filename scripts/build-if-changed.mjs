// `npm start` runs this first: it rebuilds dist/ only when a source or build setting changed since the last
// build, so a restart with nothing changed starts the bot at once. Plain JavaScript, so that deciding costs a
// directory walk and no compiler start. The build itself is incremental (tsconfig.build.json keeps build info).

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const buildInfo = join(root, 'dist', '.tsbuildinfo');

function newestIn(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(buildInfo).mtimeMs;
  } catch {
    return 0;
  }
}

const settings = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((file) => statSync(join(root, file)).mtimeMs);
const sourcesChangedAt = Math.max(newestIn(join(root, 'src')), ...settings);
if (sourcesChangedAt > builtAt()) {
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
  // An incremental build that found nothing to emit leaves its build info as it was: mark it as of now.
  const now = new Date();
  utimesSync(buildInfo, now, now);
}
