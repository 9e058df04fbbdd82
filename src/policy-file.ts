// Reads the policy file (YAML, the README's "Policy" section) into a validated `Policy`.
// Every problem names the file, the line and the field, and says what is allowed, so that a reviewer of a
// policy change can fix it without reading our code. All problems are reported at once.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { Policy } from './domain/policy.js';
import { crossFieldProblems, pendingTimeoutOf } from './policy-file/cross-field-rules.js';
import { fieldName, type Located, PolicyLocator, valueAt } from './policy-file/locate.js';
import { policySchema, toTarget } from './policy-file/schema.js';
import { allowedKeys, unknownKeyMessage } from './policy-file/unknown-keys.js';

export interface PolicyProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending field, e.g. `targets[0].approvers.required`. */
  field: string;
  message: string;
}

/**
 * What the environment connects the bot to, for the policy blocks that need it; absent (policy:check, which reads
 * no environment), those blocks are checked for their own shape only.
 */
export interface PolicyEnvironment {
  /** SERVICENOW_INSTANCE_URL is set: `change_record` can work. */
  serviceNow: boolean;
  /** PAGERDUTY_TOKEN is set: `auto_approve` and `incident` can work. */
  pagerDuty: boolean;
}

/** The target blocks that need PagerDuty, by their names in the file. */
const PAGERDUTY_BLOCKS = ['auto_approve', 'incident'] as const;

export type PolicyParse = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] };

/**
 * `sha256`: hex digest of the file's bytes, which names the policy a replica runs (/healthz shows it); absent
 * only when the file could not be read.
 */
export type PolicyLoad = { ok: true; policy: Policy; sha256: string } | { ok: false; problems: PolicyProblem[]; sha256?: string };

export function formatPolicyProblem(problem: PolicyProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function parsePolicy(text: string, file: string, environment?: PolicyEnvironment): PolicyParse {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locate = new PolicyLocator(document, lines);
  const problem = (where: Located, field: string, message: string): PolicyProblem => ({ file, ...where, field, message });

  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => problem(locate.at(error.pos[0]), '', `not valid YAML: ${error.message.split('\n')[0]}`)),
    };
  }

  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [problem({ line: 1, column: 1 }, '', 'the policy must be a mapping with version, admins, settings and targets')],
    };
  }

  const problems: PolicyProblem[] = [];
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const allowed = allowedKeys(issue.path, raw);
        for (const key of issue.keys) {
          problems.push(problem(locate.key(issue.path, key), fieldName([...issue.path, key]), unknownKeyMessage(key, allowed)));
        }
      } else if (valueAt(raw, issue.path) === undefined) {
        problems.push(problem(locate.node(issue.path), fieldName(issue.path), 'is required'));
      } else {
        problems.push(problem(locate.node(issue.path), fieldName(issue.path), issue.message));
      }
    }
  }

  const targets = (raw as { targets?: unknown }).targets;
  if (Array.isArray(targets)) {
    const pendingTimeout = pendingTimeoutOf(raw as Record<string, unknown>);
    const seen = new Map<string, number>();
    targets.forEach((target: unknown, index) => {
      if (target === null || typeof target !== 'object') return;
      for (const found of crossFieldProblems(target as Record<string, unknown>, pendingTimeout)) {
        const path = ['targets', index, ...found.path];
        problems.push(problem(locate.node(path), fieldName(path), found.message));
      }
      for (const found of unconfiguredServiceProblems(target as Record<string, unknown>, environment)) {
        const path = ['targets', index, found.block];
        // A missing service is reported where the block's value starts (change_record) or at its key (PagerDuty's).
        const where = found.block === 'change_record' ? locate.node(path) : locate.key(['targets', index], found.block);
        problems.push(problem(where, fieldName(path), found.message));
      }
      const id = (target as { id?: unknown }).id;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, index);
        return;
      }
      const firstLine = locate.node(['targets', first, 'id']).line;
      problems.push(
        problem(
          locate.node(['targets', index, 'id']),
          `targets[${index}].id`,
          `duplicate target id "${id}" (first used on line ${firstLine})`,
        ),
      );
    });
  }

  if (problems.length > 0 || !parsed.success) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, problems };
  }

  const data = parsed.data;
  return {
    ok: true,
    policy: deepFreeze({
      version: 1,
      admins: data.admins,
      settings: { pendingTimeoutMinutes: data.settings.pending_timeout, expiryWarningMinutes: data.settings.expiry_warning },
      targets: data.targets.map(toTarget),
    }),
  };
}

/** The blocks of a target that need an outside service the environment does not configure. */
function unconfiguredServiceProblems(
  target: Record<string, unknown>,
  environment: PolicyEnvironment | undefined,
): { block: string; message: string }[] {
  if (!environment) return [];
  const found: { block: string; message: string }[] = [];
  if (!environment.serviceNow && target.change_record !== undefined) {
    found.push({
      block: 'change_record',
      message: 'needs ServiceNow: set SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or remove change_record',
    });
  }
  for (const block of PAGERDUTY_BLOCKS) {
    if (environment.pagerDuty || target[block] === undefined) continue;
    found.push({
      block,
      message: 'needs PagerDuty, which is not configured: set PAGERDUTY_TOKEN to a read-only REST API key, or remove this block',
    });
  }
  return found;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The digest `loadPolicyFile` would give the file as it is now; undefined when it cannot be read. */
export function policyFileSha256(path: string): string | undefined {
  try {
    return sha256Of(readFileSync(path));
  } catch {
    return undefined;
  }
}

export function loadPolicyFile(path: string, environment?: PolicyEnvironment): PolicyLoad {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot be read (${(error as Error).message})`;
    return {
      ok: false,
      problems: [{ file: path, line: 1, column: 1, field: '', message: `${reason}; set JIT_POLICY_FILE to the policy file` }],
    };
  }
  return { ...parsePolicy(bytes.toString('utf8'), path, environment), sha256: sha256Of(bytes) };
}
