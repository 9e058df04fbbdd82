// Each replica notices a changed policy file by itself, so that one edit reaches every replica without a SIGHUP
// sent to each. It compares the file's sha256 on a timer rather than using fs.watch: fs.watch misses changes
// across bind mounts and network filesystems, loses the file when a Kubernetes ConfigMap update swaps the
// `..data` symlink under it, and editors that save by writing a new file and renaming it replace the inode it
// watches. Reading a small file every few seconds sees all of these the same way.

import { policyFileSha256 } from './policy-file.js';

export const POLICY_CHECK_MS = 10_000;

/** What a look at a file that cannot be read finds, so that a missing file is one content like any other. */
export const UNREADABLE = 'unreadable';

export interface PolicyFileWatchOptions {
  file: string;
  intervalMs: number;
  /** True for the content in force and for a content already refused: nothing to do for either. */
  isSettled(sha256: string): boolean;
  /** Reads the file again, as SIGHUP does. */
  reload(): Promise<unknown>;
  onError(error: unknown): void;
}

export interface PolicyFileWatch {
  /** Stops the timer and waits for a reload under way. */
  stop(): Promise<void>;
}

export function watchPolicyFile(options: PolicyFileWatchOptions): PolicyFileWatch {
  let previous: string | undefined;
  let looking: Promise<void> | undefined;
  const look = async (): Promise<void> => {
    const seen = policyFileSha256(options.file) ?? UNREADABLE;
    const before = previous;
    previous = seen;
    if (options.isSettled(seen)) return;
    // A file caught halfway through a write must neither become the policy nor alarm the admins: a new content
    // is acted on once two looks in a row read the same bytes.
    if (seen !== before) return;
    await options.reload();
  };
  const timer = setInterval(() => {
    if (looking) return;
    looking = look()
      .catch(options.onError)
      .finally(() => {
        looking = undefined;
      });
  }, options.intervalMs);
  // The timer alone must not keep the process alive.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await looking;
    },
  };
}
