// The change_request table as the Change Management API shows it for standard changes: templates that a change
// is opened from, the standard state model, close codes, and ServiceNow's encoded queries (the subset the bot
// uses). Field names, state values and lengths are the platform's own:
// servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html (field table of GET /sn_chg_rest/change)
// servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html (state values)
// servicenow.com/docs/r/it-service-management/change-management/normal-standard-emergency-states.html

import { randomBytes } from 'node:crypto';
import { ServiceNowApiError } from './wire.js';

export const STATE_LABELS: Readonly<Record<string, string>> = {
  '-5': 'New',
  '-4': 'Assess',
  '-3': 'Authorize',
  '-2': 'Scheduled',
  '-1': 'Implement',
  '0': 'Review',
  '3': 'Closed',
  '4': 'Canceled',
};

/**
 * Standard changes are pre-authorized: New → Scheduled → Implement → Review → Closed, skipping Assess and
 * Authorize. A change may be canceled up to Implement, not from Review or Closed.
 */
const STANDARD_MOVES: Readonly<Record<string, readonly string[]>> = {
  '-5': ['-2', '4'],
  '-2': ['-1', '4'],
  '-1': ['0', '4'],
  '0': ['3'],
  '3': [],
  '4': [],
};

export const CLOSE_CODE_LABELS: Readonly<Record<string, string>> = {
  successful: 'Successful',
  successful_issues: 'Successful with issues',
  unsuccessful: 'Unsuccessful',
};

export const CHANGE_FIELDS = [
  'sys_id',
  'number',
  'type',
  'state',
  'active',
  'std_change_producer_version',
  'short_description',
  'description',
  'justification',
  'implementation_plan',
  'backout_plan',
  'test_plan',
  'correlation_id',
  'correlation_display',
  'start_date',
  'end_date',
  'requested_by',
  'assignment_group',
  'assigned_to',
  'close_code',
  'close_notes',
  'opened_by',
  'sys_created_on',
  'sys_updated_on',
  'sys_created_by',
  'sys_updated_by',
] as const;
export type ChangeField = (typeof CHANGE_FIELDS)[number];
export type SimChange = Record<ChangeField, string>;

/** A standard change template (std_change_record_producer) and the field values its changes start with. */
export interface SimTemplate {
  sysId: string;
  name: string;
  active: boolean;
  fields: Partial<Record<'short_description' | 'description' | 'implementation_plan' | 'backout_plan' | 'test_plan', string>>;
}

// Column lengths of the dictionary (task.short_description 160; correlation_id 100; the text fields 4,000):
// ServiceNow cuts a longer value to the column's length without a word.
const MAX_LENGTH: Partial<Record<ChangeField, number>> = {
  short_description: 160,
  correlation_id: 100,
  correlation_display: 100,
  description: 4000,
  justification: 4000,
  close_notes: 4000,
};

// What a standard change takes from the create call. Description and the plans stay the template's, and read-only
// or unknown fields are ignored (and listed in __meta.ignoredFields) — POST /sn_chg_rest/change/standard/{id}.
const SETTABLE_ON_CREATE = new Set<string>([
  'short_description',
  'justification',
  'correlation_id',
  'correlation_display',
  'start_date',
  'end_date',
  'requested_by',
  'assignment_group',
  'assigned_to',
]);

// What a PATCH may change ("any field that exists in the change request table"); the system fields are read-only.
const SETTABLE_ON_UPDATE = new Set<string>([
  ...SETTABLE_ON_CREATE,
  'description',
  'implementation_plan',
  'backout_plan',
  'test_plan',
  'state',
  'close_code',
  'close_notes',
]);

export interface Created {
  change: SimChange;
  ignoredFields: string[];
}

export class ChangeTable {
  readonly templates = new Map<string, SimTemplate>();
  readonly changes = new Map<string, SimChange>();
  /** Fields this instance also ignores on create (a data policy or ACL of the customer's own), for tests. */
  readonly ignoredOnCreate = new Set<string>();
  private lastNumber = 30000;

  constructor(private readonly now: () => number) {}

  addTemplate(template: Partial<SimTemplate> & { sysId?: string } = {}): SimTemplate {
    const added: SimTemplate = {
      sysId: template.sysId ?? newSysId(),
      name: template.name ?? 'JIT privileged access',
      active: template.active ?? true,
      fields: {
        short_description: 'Just-in-time privileged access',
        description: 'Time-bound membership of an Entra ID group, approved in Slack.',
        implementation_plan: 'The bot adds the membership and removes it at the end of the granted time.',
        backout_plan: 'Remove the membership.',
        test_plan: 'The bot checks the membership after each change.',
        ...template.fields,
      },
    };
    this.templates.set(added.sysId, added);
    return added;
  }

  /** POST /sn_chg_rest/change/standard/{template}: one change from an active template, in state New. */
  createStandard(templateId: string, values: Record<string, unknown>, user: string): Created {
    const template = this.templates.get(templateId);
    if (!template) throw ServiceNowApiError.notFound();
    if (!template.active) {
      // Unverified wording: ServiceNow's answer for a template that is not active is not documented.
      throw new ServiceNowApiError(400, 'Invalid standard change template', `Standard change template ${templateId} is not active`);
    }
    const at = formatTime(this.now());
    const change: SimChange = {
      ...(Object.fromEntries(CHANGE_FIELDS.map((field) => [field, ''])) as SimChange),
      ...template.fields,
      sys_id: newSysId(),
      number: `CHG${String(++this.lastNumber).padStart(7, '0')}`,
      type: 'standard',
      state: '-5',
      active: 'true',
      std_change_producer_version: template.sysId,
      opened_by: user,
      sys_created_on: at,
      sys_updated_on: at,
      sys_created_by: user,
      sys_updated_by: user,
    };
    const ignoredFields: string[] = [];
    for (const [name, value] of Object.entries(values)) {
      if (!SETTABLE_ON_CREATE.has(name) || this.ignoredOnCreate.has(name)) ignoredFields.push(name);
      else change[name as ChangeField] = stored(name as ChangeField, value);
    }
    this.changes.set(change.sys_id, change);
    return { change, ignoredFields };
  }

  find(sysId: string): SimChange {
    const change = this.changes.get(sysId);
    if (!change) throw ServiceNowApiError.notFound();
    return change;
  }

  /**
   * PATCH /sn_chg_rest/change/{sys_id}. A state the model does not allow from the current one refuses the whole
   * update; with `refusedMoves: 'ignore'` it is dropped instead and the rest applies, as a business rule that
   * resets the state would do.
   */
  update(sysId: string, values: Record<string, unknown>, user: string, refusedMoves: 'error' | 'ignore'): SimChange {
    const change = this.find(sysId);
    const next: SimChange = { ...change };
    for (const [name, value] of Object.entries(values)) {
      if (SETTABLE_ON_UPDATE.has(name)) next[name as ChangeField] = stored(name as ChangeField, value);
    }
    if (next.close_code !== '' && !(next.close_code in CLOSE_CODE_LABELS)) {
      // ServiceNow would store an unknown choice value as it is; refusing it here shows a wrong value in tests.
      throw new ServiceNowApiError(400, 'Invalid close code', `"${next.close_code}" is not a choice of change_request.close_code`);
    }
    if (next.state !== change.state) {
      const refusal = this.refusal(change, next);
      if (refusal && refusedMoves === 'error') throw refusal;
      if (refusal) next.state = change.state;
    }
    next.active = next.state === '3' || next.state === '4' ? 'false' : 'true';
    next.sys_updated_on = formatTime(this.now());
    next.sys_updated_by = user;
    this.changes.set(sysId, next);
    return next;
  }

  /** A person cancels the change in ServiceNow's own UI. */
  cancel(sysId: string): void {
    const change = this.find(sysId);
    this.changes.set(sysId, { ...change, state: '4', active: 'false' });
  }

  /** Sets the state as a flow or a person would, whatever the model says (e.g. a change auto-scheduled on create). */
  setState(sysId: string, state: string): void {
    const change = this.find(sysId);
    this.changes.set(sysId, { ...change, state });
  }

  /** GET /sn_chg_rest/change: the changes an encoded query (or name-value pairs) selects, in its order. */
  query(query: URLSearchParams): SimChange[] {
    const encoded = query.get('sysparm_query');
    const { filters, order } = encoded === null ? pairFilters(query) : parseEncodedQuery(encoded);
    const selected = [...this.changes.values()].filter((change) =>
      filters.every(({ field, op, value }) => (op === '=' ? change[field] === value : change[field] !== value)),
    );
    for (const { field, descending } of [...order].reverse()) {
      selected.sort((a, b) => (descending ? -1 : 1) * a[field].localeCompare(b[field]));
    }
    const offset = Number(query.get('sysparm_offset') ?? '0');
    const limit = query.get('sysparm_limit');
    return selected.slice(offset, limit === null ? undefined : offset + Number(limit));
  }

  private refusal(change: SimChange, next: SimChange): ServiceNowApiError | undefined {
    const allowed = STANDARD_MOVES[change.state] ?? [];
    if (!allowed.includes(next.state)) {
      // Integrators quote "Change cannot be moved to state : 3" for a jump the model does not allow.
      return new ServiceNowApiError(400, 'Invalid state transition', `Change cannot be moved to state : ${next.state}`);
    }
    if (next.state === '3' && (next.close_code === '' || next.close_notes.trim() === '')) {
      return new ServiceNowApiError(400, 'Data Policy Exception', 'The following fields are mandatory: Close code, Close notes');
    }
    return undefined;
  }
}

interface Filter {
  field: ChangeField;
  op: '=' | '!=';
  value: string;
}

/**
 * `field=value^field!=value^ORDERBYfield^ORDERBYDESCfield`. A clause on a field the table does not have, or with
 * an operator this simulator does not know, is ignored, as ServiceNow ignores the invalid part of a query while
 * glide.invalid_query.returns_no_rows is false (its default).
 */
function parseEncodedQuery(encoded: string): { filters: Filter[]; order: { field: ChangeField; descending: boolean }[] } {
  const filters: Filter[] = [];
  const order: { field: ChangeField; descending: boolean }[] = [];
  for (const clause of encoded.split('^')) {
    const sort = /^ORDERBY(DESC)?(\w+)$/.exec(clause);
    if (sort) {
      if (isField(sort[2])) order.push({ field: sort[2], descending: sort[1] !== undefined });
      continue;
    }
    const match = /^(\w+)(!=|=)(.*)$/.exec(clause);
    if (match && isField(match[1])) filters.push({ field: match[1], op: match[2] as Filter['op'], value: match[3] ?? '' });
  }
  return { filters, order };
}

function pairFilters(query: URLSearchParams): { filters: Filter[]; order: { field: ChangeField; descending: boolean }[] } {
  const filters: Filter[] = [];
  for (const [name, value] of query) if (isField(name)) filters.push({ field: name, op: '=', value });
  return { filters, order: [] };
}

function isField(name: string | undefined): name is ChangeField {
  return (CHANGE_FIELDS as readonly string[]).includes(name ?? '');
}

function stored(field: ChangeField, value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  const max = MAX_LENGTH[field];
  return max === undefined ? text : text.slice(0, max);
}

function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** ServiceNow's stored date-time format, in UTC: 2015-07-06 18:59:27. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

// A record as the Change Management API writes it: every field as `{value, display_value}`.

/** How the state's value is written: a string ("-5", the usual) or a number (3.0 in the docs' PATCH sample). */
export type StateValues = 'string' | 'number';

export function serializeChange(change: SimChange, stateValues: StateValues): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(change)) fields[name] = { value, display_value: displayValue(name, value) };
  if (stateValues === 'number') fields.state = { value: Number(change.state), display_value: STATE_LABELS[change.state] ?? change.state };
  return fields;
}

function displayValue(name: string, value: string): string {
  if (name === 'state') return STATE_LABELS[value] ?? value;
  if (name === 'close_code') return CLOSE_CODE_LABELS[value] ?? value;
  if (name === 'type') return value === 'standard' ? 'Standard' : value;
  return value;
}
