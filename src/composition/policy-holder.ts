// The policy in force, held in one place. Every part of the bot reads it here at each use, so that a reload
// reaches them all at once: waiting requests, jobs, cards, Home tabs, the admins' alarms and /healthz.

import type { Policy } from '../domain/policy.js';
import type { Logger } from '../logger.js';
import { formatPolicyProblem, type PolicyLoad } from '../policy-file.js';
import { type PolicyFileWatch, UNREADABLE, watchPolicyFile } from '../policy-file-watch.js';

/** What made the bot read the policy file again. */
export type PolicyReloadCause = 'SIGHUP' | 'file changed';

export type PolicyReload = { ok: true } | { ok: false; problems: string[] };

export interface PolicyHolderDeps {
  /** The policy read at start, and the sha256 of the file's bytes that names it. */
  initial: { policy: Policy; sha256: string };
  /** Reads the policy file again. */
  load(): PolicyLoad;
  /** DMs these admins (those of the policy in force); a failure to send is reported by rejecting. */
  tellAdmins(admins: readonly string[], lines: readonly string[]): Promise<void>;
  log: Logger;
}

export class PolicyHolder {
  private policy: Policy;
  private policySha256: string;
  // The content last refused (its sha256), so that the admins hear of one bad file once, however often it is read.
  private refusedSha256: string | undefined;
  private readonly reloaded: (() => void)[] = [];

  constructor(private readonly deps: PolicyHolderDeps) {
    this.policy = deps.initial.policy;
    this.policySha256 = deps.initial.sha256;
  }

  current(): Policy {
    return this.policy;
  }

  /** The sha256 of the file the policy in force was read from. */
  sha256(): string {
    return this.policySha256;
  }

  /** True for the content in force and for a content already refused: reading either again changes nothing. */
  isSettled(sha256: string): boolean {
    return sha256 === this.policySha256 || sha256 === this.refusedSha256;
  }

  /** Runs `listener` each time a policy read again takes effect. */
  onReload(listener: () => void): void {
    this.reloaded.push(listener);
  }

  /**
   * Reads the policy file again: a valid file takes effect at once; an invalid one keeps the policy in force and
   * tells the admins with the file, line and field, once for each content refused.
   */
  async reload(cause: PolicyReloadCause): Promise<PolicyReload> {
    const { log } = this.deps;
    const loaded = this.deps.load();
    if (!loaded.ok) {
      const problems = loaded.problems.map(formatPolicyProblem);
      const refused = loaded.sha256 ?? UNREADABLE;
      log.error(
        { cause, problems, refusedSha256: loaded.sha256, policySha256: this.policySha256 },
        'policy reload refused; the policy in force stays',
      );
      if (refused === this.refusedSha256) return { ok: false, problems };
      this.refusedSha256 = refused;
      const lines = [
        'The policy file was not reloaded; the policy in force stays. Fix these: each replica reads the file again once it changes.',
        ...problems,
      ];
      await this.deps.tellAdmins(this.policy.admins, lines).catch((error: unknown) => {
        // Not sent, so not told: the next read of the same content tries again.
        this.refusedSha256 = undefined;
        log.error({ err: error }, 'telling the admins failed');
      });
      return { ok: false, problems };
    }
    this.refusedSha256 = undefined;
    this.policy = loaded.policy;
    this.policySha256 = loaded.sha256;
    log.info({ cause, targets: loaded.policy.targets.length, policySha256: loaded.sha256 }, 'policy reloaded');
    for (const listener of this.reloaded) listener();
    return { ok: true };
  }
}

/**
 * `deps` with a `policy` that is the one in force at each read, for the use cases and jobs, which take the
 * policy as a plain field.
 */
export function readingPolicy<T extends object>(policy: PolicyHolder, deps: T): T & { readonly policy: Policy } {
  return {
    ...deps,
    get policy() {
      return policy.current();
    },
  };
}

export interface PolicyFileFollowing {
  file: string;
  intervalMs: number;
  log: Logger;
}

/** Has this replica read the policy file again by itself once its content changes, by the path SIGHUP takes. */
export function followPolicyFile(policy: PolicyHolder, following: PolicyFileFollowing): PolicyFileWatch {
  return watchPolicyFile({
    file: following.file,
    intervalMs: following.intervalMs,
    isSettled: (sha256) => policy.isSettled(sha256),
    reload: () => policy.reload('file changed'),
    onError: (error) => following.log.error({ err: error }, 'checking the policy file failed'),
  });
}
