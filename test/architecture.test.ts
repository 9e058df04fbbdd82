import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(directory: string): string[] {
  return readdirSync(join(root, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
}

// A clock read, the environment or the randomness source: anything that makes a function impure.
const IMPURE = /\bDate\.now\(|\bnew Date\(|\bperformance\.now\(|\bprocess\.|\bMath\.random\(|\bsetTimeout\(|\bsetInterval\(|\bconsole\./;

describe('the architecture', () => {
  it('keeps src/domain free of Slack, Graph, SQLite, cron, logging and every other outside module', () => {
    const offenders = sourceFiles('src/domain').flatMap((file) =>
      importsOf(file)
        .filter((specifier) => !specifier.startsWith('./'))
        .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps src/domain from reading the clock, the environment or randomness', () => {
    const offenders = sourceFiles('src/domain').flatMap((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .map((line, index) => ({ line: line.replace(/\/\/.*$/, ''), number: index + 1 }))
        .filter(({ line }) => IMPURE.test(line))
        .map(({ number }) => `${file}:${number}`),
    );
    expect(offenders).toEqual([]);
  });

  it('lets src/application depend on the domain and its own ports only', () => {
    const inside = (file: string, specifier: string) => {
      const target = relative(root, join(root, file, '..', specifier));
      return specifier.startsWith('.') && (target.startsWith('src/application/') || target.startsWith('src/domain/'));
    };
    const offenders = sourceFiles('src/application').flatMap((file) =>
      importsOf(file)
        .filter((specifier) => !inside(file, specifier))
        .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('hands process.env to loadConfig in the composition root and reads it nowhere else', () => {
    const withoutComments = (file: string) => readFileSync(join(root, file), 'utf8').replace(/\/\/.*$/gm, '');
    const readers = sourceFiles('src').filter((file) => /process\.env\b/.test(withoutComments(file)));
    // Command-line tools are entry points of their own and hand their environment to config.ts in the same way.
    expect(readers.sort()).toEqual(['src/cli/audit-export.ts', 'src/main.ts']);
  });

  it('keeps the simulators, the demo, the bench, scripts and tests out of src/ (only the bot ships)', () => {
    const offenders = sourceFiles('src').flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(root, join(root, file, '..', specifier)))
        .filter((target) => !target.startsWith('src/'))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  // src/adapters/sql holds what the SQLite and PostgreSQL stores share (migration files, the audit hash chain);
  // src/adapters/common what adapters of outside services share (the lookup cache).
  it('lets an adapter folder import only itself, the shared pieces, the application, the domain and the logger', () => {
    const allowed = (folder: string, target: string) =>
      target.startsWith(`${folder}/`) ||
      target.startsWith('src/adapters/sql/') ||
      target.startsWith('src/adapters/common/') ||
      target.startsWith('src/application/') ||
      target.startsWith('src/domain/') ||
      target === 'src/logger.ts';
    const offenders = sourceFiles('src/adapters').flatMap((file) => {
      const folder = file.split('/').slice(0, 3).join('/');
      return importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(root, join(root, file, '..', specifier)).replace(/\.js$/, '.ts'))
        .filter((target) => !allowed(folder, target))
        .map((target) => `${file} imports ${target}`);
    });
    expect(offenders).toEqual([]);
  });

  it('would notice a forbidden import (the check itself works)', () => {
    expect(importsOf('src/adapters/sqlite/database.ts')).toContain('better-sqlite3');
    expect(IMPURE.test('const t = Date.now();')).toBe(true);
  });
});
