// Reads the policy file (YAML, the README's "Policy" section) into a validated `Policy`.
// Every problem names the file, the line and the field, and says what is allowed, so that a reviewer of a
// policy change can fix it without reading our code. All problems are reported at once.

import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { DURATION_HINT, formatDuration, parseDuration } from './domain/duration.js';
import { DEFAULT_SETTINGS, PIM_MIN_MINUTES, type Policy, type Target } from './domain/policy.js';

export interface PolicyProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending field, e.g. `targets[0].approvers.required`. */
  field: string;
  message: string;
}

export type PolicyLoad = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] };

export function formatPolicyProblem(problem: PolicyProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{6,20}$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{6,20}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TARGET_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const BOUNDARY_TARGET_ID = /^t[a-z]*_[A-Za-z0-9]{1,40}$/;
// Slack shows a target as a select option, whose text is at most 75 characters.
const MAX_NAME = 75;
const MAX_DESCRIPTION = 300;
// PIM caps admin assignments at 180 days (Expiration_Admin_Assignment); nothing here may ask for more.
const MAX_MINUTES = 180 * 24 * 60;

const slackUserId = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U0123ABCD (profile → ⋮ → Copy member ID)');
const slackUserList = z.array(slackUserId);
const duration = z.string({ error: `must be a duration; ${DURATION_HINT}` }).transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  if (parsed.minutes > MAX_MINUTES) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is longer than 180d, the longest assignment Entra allows` });
    return z.NEVER;
  }
  return parsed.minutes;
});
const groupId = z.string().regex(GUID, 'must be the Entra group object id, a GUID like c89c2175-f8e7-4cb2-9bd8-f9bf924c2c8a');

const grantSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('pim_group'), group_id: groupId, require_eligibility: z.boolean().default(false) }),
    z.strictObject({ kind: z.literal('group_membership'), group_id: groupId }),
  ],
  { error: 'must be pim_group or group_membership' },
);

const durationBlockSchema = z.strictObject({
  default: duration,
  max: duration,
  choices: z.array(duration).max(100, 'may list at most 100 choices (Slack select limit)').default([]),
});

const approversSchema = z.strictObject({
  channel: z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id such as C0123ABCD (channel details → About → Channel ID)'),
  users: slackUserList.min(1, 'must list at least one approver'),
  required: z.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
});

// The part of `approvers` the quorum rule needs; other fields of the block are checked by approversSchema.
const quorumSchema = z.object({ users: z.array(z.string()), required: approversSchema.shape.required });

const targetSchema = z.strictObject({
  id: z.string().regex(TARGET_ID, 'must be lowercase letters, digits, - or _ (at most 64), starting with a letter or digit'),
  name: z.string().min(1, 'must not be empty').max(MAX_NAME, `must be at most ${MAX_NAME} characters (Slack's option text limit)`),
  description: z.string().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`).optional(),
  boundary: z
    .strictObject({
      managed_group: z.string().min(1, 'must not be empty'),
      target_ids: z.array(z.string().regex(BOUNDARY_TARGET_ID, 'must be a Boundary target id such as ttcp_1234567890')).default([]),
    })
    .optional(),
  grant: grantSchema,
  duration: durationBlockSchema,
  approvers: approversSchema,
  requesters: z
    .strictObject({ users: slackUserList.min(1, 'must list at least one user; leave requesters out to let anyone ask') })
    .optional(),
  allow_guests: z.boolean('must be true or false').default(false),
});

interface FieldProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Rules that relate one field of a target to another. Each field is parsed on its own, so these are checked
 * (and reported with everything else) even when an unrelated field of the same target is wrong.
 */
function crossFieldProblems(raw: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const minutesAt = (value: unknown): number | undefined => {
    const parsed = duration.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  };
  const block = (raw.duration ?? {}) as Record<string, unknown>;
  const preset = minutesAt(block.default);
  const max = minutesAt(block.max);
  const choices = Array.isArray(block.choices) ? block.choices.map(minutesAt) : [];
  const named: [(string | number)[], number | undefined][] = [
    [['duration', 'default'], preset],
    [['duration', 'max'], max],
    ...choices.map((choice, index): [(string | number)[], number | undefined] => [['duration', 'choices', index], choice]),
  ];

  if (max !== undefined) {
    for (const [path, minutes] of named) {
      if (minutes !== undefined && minutes > max)
        problems.push({ path, message: `${formatDuration(minutes)} is above max (${formatDuration(max)})` });
    }
  }
  if (preset !== undefined && choices.length > 0 && choices.every((choice) => choice !== undefined) && !choices.includes(preset)) {
    problems.push({ path: ['duration', 'default'], message: `${formatDuration(preset)} must be one of the choices` });
  }
  if ((raw.grant as { kind?: unknown } | undefined)?.kind === 'pim_group') {
    for (const [path, minutes] of named) {
      if (minutes !== undefined && minutes < PIM_MIN_MINUTES) {
        problems.push({ path, message: `${formatDuration(minutes)} is under 5m, the shortest PIM assignment Entra accepts` });
      }
    }
  }
  const quorum = quorumSchema.safeParse(raw.approvers);
  if (quorum.success) {
    const distinct = new Set(quorum.data.users).size;
    if (quorum.data.required > distinct) {
      problems.push({
        path: ['approvers', 'required'],
        message: `${quorum.data.required} approvals can never be reached: only ${distinct} distinct approver(s) are listed`,
      });
    }
  }
  return problems;
}

const policySchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  admins: slackUserList.default([]),
  settings: z
    .strictObject({
      pending_timeout: duration.default(DEFAULT_SETTINGS.pendingTimeoutMinutes),
      expiry_warning: duration.default(DEFAULT_SETTINGS.expiryWarningMinutes),
    })
    .default({ pending_timeout: DEFAULT_SETTINGS.pendingTimeoutMinutes, expiry_warning: DEFAULT_SETTINGS.expiryWarningMinutes }),
  targets: z.array(targetSchema, 'must be a list of targets').min(1, 'must list at least one target'),
});

type ParsedTarget = z.output<typeof targetSchema>;

function toTarget(parsed: ParsedTarget): Target {
  const grant =
    parsed.grant.kind === 'pim_group'
      ? { kind: 'pim_group' as const, groupId: parsed.grant.group_id, requireEligibility: parsed.grant.require_eligibility }
      : { kind: 'group_membership' as const, groupId: parsed.grant.group_id };
  return {
    id: parsed.id,
    name: parsed.name,
    ...(parsed.description !== undefined && { description: parsed.description }),
    ...(parsed.boundary && { boundary: { managedGroup: parsed.boundary.managed_group, targetIds: parsed.boundary.target_ids } }),
    grant,
    duration: { defaultMinutes: parsed.duration.default, maxMinutes: parsed.duration.max, choices: parsed.duration.choices },
    approvers: { channel: parsed.approvers.channel, users: parsed.approvers.users, required: parsed.approvers.required },
    ...(parsed.requesters && { requesters: { users: parsed.requesters.users } }),
    allowGuests: parsed.allow_guests,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    data,
  );
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)),
    '',
  );
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The keys a strict object accepts at `path`, read from the schema itself so the message never drifts from it. */
function allowedKeys(path: readonly PropertyKey[], raw: unknown): string[] {
  let schema: z.ZodType = policySchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[String(key)] as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
  }
  schema = unwrap(schema);
  if (schema instanceof z.ZodDiscriminatedUnion) {
    // The keys of the variant the file chose, e.g. `kind: group_membership` has no require_eligibility.
    const chosen = (valueAt(raw, path) as { kind?: unknown } | undefined)?.kind;
    schema =
      (schema.options as z.ZodType[]).find((option) => option instanceof z.ZodObject && option.shape.kind?.value === chosen) ?? schema;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional || current instanceof z.ZodPipe) {
    current = (current instanceof z.ZodPipe ? current.in : current.unwrap()) as z.ZodType;
  }
  return current;
}

function unknownKeyMessage(key: string, allowed: string[]): string {
  const closest = allowed.filter((candidate) => editDistance(key, candidate) <= 2)[0];
  const hint = closest ? ` (did you mean "${closest}"?)` : '';
  return `unknown field "${key}"${hint}; allowed here: ${allowed.join(', ')}`;
}

interface Located {
  line: number;
  column: number;
}

class PolicyLocator {
  constructor(
    private readonly document: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number): Located {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** The node at `path`, or the nearest enclosing one that exists (a missing field is reported where its parent is). */
  node(path: readonly PropertyKey[]): Located {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.document.getIn(path.slice(0, depth) as unknown[], true) as Node | undefined;
      if (node?.range) return this.at(node.range[0]);
    }
    return { line: 1, column: 1 };
  }

  key(path: readonly PropertyKey[], key: string): Located {
    const parent = this.document.getIn(path as unknown[], true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return this.node(path);
  }
}

export function parsePolicy(text: string, file: string): PolicyLoad {
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
    const seen = new Map<string, number>();
    targets.forEach((target: unknown, index) => {
      if (target === null || typeof target !== 'object') return;
      for (const found of crossFieldProblems(target as Record<string, unknown>)) {
        const path = ['targets', index, ...found.path];
        problems.push(problem(locate.node(path), fieldName(path), found.message));
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

export function loadPolicyFile(path: string): PolicyLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot be read (${(error as Error).message})`;
    return {
      ok: false,
      problems: [{ file: path, line: 1, column: 1, field: '', message: `${reason}; set JIT_POLICY_FILE to the policy file` }],
    };
  }
  return parsePolicy(text, path);
}
