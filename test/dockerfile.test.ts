// No Docker engine runs here, so the image cannot be built in CI; these checks hold the Dockerfile to what
// the README promises and to what the built bot needs at run time.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');

describe('the Dockerfile', () => {
  it('builds in one stage and runs the built bot in another, as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/RUN npm run build && npm prune --omit=dev/);
  });

  it('keeps SQLite on a volume, ships the migrations and checks /healthz', () => {
    expect(dockerfile).toMatch(/JIT_DATABASE=\/data\/jit\.sqlite/);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^COPY migrations \.\/migrations$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  it('leaves secrets, databases and local builds out of the build context', () => {
    for (const entry of ['node_modules', 'dist', 'data', '*.sqlite', '.env', '.git']) expect(ignored).toContain(entry);
  });
});
