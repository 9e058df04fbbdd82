// The Node flags and environment the bot runs with are the same for `npm start` and for the image (the README
// says what they do and why), they are what the bench starts the built bot with (it reads them through the same
// functions), and Node and the shell take them as written.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { imageEnvironment, imageNodeFlags, shippedNodeEnvironment, shippedNodeFlags } from '../../simulators/shipped-node-flags.js';

const root = join(import.meta.dirname, '..', '..');
const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

describe('the Node settings the bot ships with', () => {
  it('are the same flags for npm start and for the image', () => {
    expect(shippedNodeFlags().length).toBeGreaterThan(0);
    expect(imageNodeFlags()).toEqual(shippedNodeFlags());
  });

  it('set the same environment for npm start and in the image', () => {
    const shipped = shippedNodeEnvironment();
    const image = imageEnvironment();
    expect(Object.keys(shipped).length).toBeGreaterThan(0);
    expect(image).toMatchObject(shipped);
    // Beyond them, the image sets only the bot's own configuration (where its volumes are, its port).
    const imageOnly = Object.keys(image).filter((name) => !(name in shipped));
    expect(imageOnly.filter((name) => name !== 'NODE_ENV' && !name.startsWith('JIT_'))).toEqual([]);
  });

  it('are taken by the shell npm runs the start script with, and by Node, as written', async () => {
    // The start script with the bot replaced by a line that prints what the process was given.
    const probe = `-p 'JSON.stringify({ flags: process.execArgv, env: process.env })'`;
    const command = start.replace('dist/src/main.js', probe);
    expect(command).not.toBe(start);
    const { stdout } = await promisify(execFile)('sh', ['-c', command], { cwd: root });
    const given = JSON.parse(stdout) as { flags: string[]; env: Record<string, string> };
    expect(given.flags).toEqual([...shippedNodeFlags(), '-p', expect.any(String)]);
    expect(given.env).toMatchObject(shippedNodeEnvironment());
  });
});
