// The bot's real entry point (src/main.ts, as `npm run dev` runs it) in a process of its own, for tests of how
// the process itself begins and ends: its exit code and what it writes, not what it does in Slack.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface MainExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs main.ts with `env` (added to this process's environment) and resolves with how it ended. Rejects, and
 * kills it, if it has not ended after `withinMs`: the test expected it to end, not to linger.
 */
export function runMainUntilExit(env: Record<string, string>, withinMs: number): Promise<MainExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bot was still running ${withinMs} ms after it was started; stderr so far:\n${stderr}`));
    }, withinMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
