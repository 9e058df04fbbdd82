// How the Change Management API writes a change request, and the values the bot writes back. Facts from
// servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html and
// servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html.

import type { ChangeOutcome, ChangeRecord, ChangeState } from '../../application/ports.js';

const STATE_BY_VALUE: Readonly<Record<string, ChangeState>> = {
  '-5': 'new',
  '-4': 'assess',
  '-3': 'authorize',
  '-2': 'scheduled',
  '-1': 'implement',
  '0': 'review',
  '3': 'closed',
  '4': 'canceled',
};

export const STATE_VALUE: Readonly<Record<ChangeState, string>> = {
  new: '-5',
  assess: '-4',
  authorize: '-3',
  scheduled: '-2',
  implement: '-1',
  review: '0',
  closed: '3',
  canceled: '4',
};

/** A standard change's way to Closed; a change in Assess or Authorize (not standard) goes on from Scheduled. */
const STANDARD_PATH: readonly ChangeState[] = ['new', 'scheduled', 'implement', 'review', 'closed'];

/** The states to move through, one PATCH each, from `from` up to `to`; none when `from` is there or past it. */
export function stepsTo(from: ChangeState, to: ChangeState): ChangeState[] {
  const target = STANDARD_PATH.indexOf(to);
  const current = from === 'assess' || from === 'authorize' ? STANDARD_PATH.indexOf('new') : STANDARD_PATH.indexOf(from);
  return STANDARD_PATH.slice(current + 1, target + 1);
}

// change_request.close_code choice values (labels "Successful", "Successful with issues", "Unsuccessful"). A grant
// an admin revoked did its work but ended early on someone's decision: successful with issues.
export const CLOSE_CODE: Readonly<Record<ChangeOutcome, 'successful' | 'successful_issues' | 'unsuccessful'>> = {
  expired: 'successful',
  released: 'successful',
  revoked: 'successful_issues',
  failed: 'unsuccessful',
};

const OUTCOME_NOTE: Readonly<Record<ChangeOutcome, string>> = {
  expired: 'Outcome: expired. The access ended at the end of its granted time.',
  released: 'Outcome: released. The requester ended the access before its time.',
  revoked: 'Outcome: revoked. An admin ended the access before its time.',
  failed: 'Outcome: failed. The access could not be granted.',
};

export function closeNotes(outcome: ChangeOutcome, notes: string): string {
  return cutTo(notes.trim() === '' ? OUTCOME_NOTE[outcome] : `${OUTCOME_NOTE[outcome]}\n${notes.trim()}`, MAX_LENGTH.close_notes);
}

// Column lengths (field table of GET /sn_chg_rest/change; task.short_description is 160): ServiceNow cuts a longer
// value without a word, so the bot cuts it first, visibly, and can tell its own values from the stored ones.
export const MAX_LENGTH = { short_description: 160, correlation_id: 100, justification: 4000, close_notes: 4000 } as const;

export function cutTo(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The record in an answer's `result`: an object, or (as the docs' create samples show) an array holding it. */
export function resultRecord(body: unknown): Record<string, unknown> | undefined {
  const result = (body as { result?: unknown } | undefined)?.result;
  const record = Array.isArray(result) ? result[0] : result;
  return isObject(record) ? record : undefined;
}

export function resultList(body: unknown): Record<string, unknown>[] | undefined {
  const result = (body as { result?: unknown } | undefined)?.result;
  return Array.isArray(result) ? result.filter(isObject) : undefined;
}

/**
 * A field's value: each comes as `{value, display_value}`, the value a string or, in some answers, a number
 * (the docs' PATCH sample has `"state": {"value": 3.0}`); a create sample even gives `sys_id` bare.
 */
export function fieldValue(record: Record<string, unknown>, name: string): string | undefined {
  const field = record[name];
  const value = isObject(field) ? field.value : field;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function stateOf(record: Record<string, unknown>): ChangeState | undefined {
  const value = fieldValue(record, 'state');
  return value === undefined ? undefined : STATE_BY_VALUE[value];
}

/** The change as the port tells it; undefined when the record lacks what makes one. */
export function readChange(record: Record<string, unknown>): ChangeRecord | undefined {
  const sysId = fieldValue(record, 'sys_id');
  const number = fieldValue(record, 'number');
  const state = stateOf(record);
  if (!sysId || !number || !state) return undefined;
  return { sysId, number, state };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
