// The columns of `requests`, described once: each part of a request, the columns it is stored in with their
// PostgreSQL types, and how it is written to them and read back. Both stores build their inserts, updates and
// reads of a request's row from this list; a new field is one entry here and one migration per store.
// The decisions and the grant live in tables of their own (see `toRequest`).

import type { Approval, RequestFields } from '../../domain/access-request.js';
import type { ChangeState } from '../../domain/change-record.js';

/** A column's type in PostgreSQL; SQLite's columns have the matching affinities. */
export type SqlType = 'text' | 'integer' | 'bigint';
type SqlValue = string | number | null;

/** A part of a request and the columns that store it, by name. */
interface StoredPart<Row extends Record<string, SqlValue>> {
  columns: { readonly [Column in keyof Row]: SqlType };
  write(request: RequestFields): Row;
  read(row: Row): Partial<RequestFields>;
}

/** The fields stored as they are: keys, texts, counts and times. */
type ScalarField = {
  [Field in keyof RequestFields]-?: Exclude<RequestFields[Field], undefined> extends SqlValue ? Field : never;
}[keyof RequestFields];

/** A field kept as it is in a column of its own, NULL when the request has none. */
function field<Field extends ScalarField, Column extends string>(
  key: Field,
  column: Column,
  type: SqlType,
): StoredPart<Record<Column, Exclude<RequestFields[Field], undefined> | null>> {
  type Value = Exclude<RequestFields[Field], undefined> | null;
  return {
    columns: { [column]: type } as Record<Column, SqlType>,
    write: (request) => ({ [column]: request[key] ?? null }) as Record<Column, Value>,
    read: (row) => (row[column] === null ? {} : ({ [key]: row[column] } as Partial<RequestFields>)),
  };
}

/** A part stored in several columns; its columns' values are typed by what `write` returns. */
function part<Row extends Record<string, SqlValue>>(stored: {
  columns: NoInfer<{ readonly [Column in keyof Row]: SqlType }>;
  write(request: RequestFields): Row;
  read(row: NoInfer<Row>): Partial<RequestFields>;
}): StoredPart<Row> {
  return stored;
}

/** Written when the request is opened, and never again. */
const OPENING = [
  field('id', 'id', 'text'),
  field('requesterId', 'requester_id', 'text'),
  field('principalId', 'principal_id', 'text'),
  field('principalName', 'principal_name', 'text'),
  field('email', 'requester_email', 'text'),
  field('targetId', 'target_id', 'text'),
  field('reason', 'reason', 'text'),
  field('createdAt', 'created_at', 'bigint'),
  field('pendingUntil', 'pending_until', 'bigint'),
  part({
    columns: { incident_id: 'text', incident_number: 'integer', incident_title: 'text' },
    write: ({ incident }) => ({
      incident_id: incident?.id ?? null,
      incident_number: incident?.number ?? null,
      incident_title: incident?.title ?? null,
    }),
    read: (row) =>
      row.incident_id === null || row.incident_number === null || row.incident_title === null
        ? {}
        : { incident: { id: row.incident_id, number: row.incident_number, title: row.incident_title } },
  }),
];

/** Written when the request is opened, and again by every change. */
const CHANGING = [
  field('state', 'state', 'text'),
  field('version', 'version', 'integer'),
  field('durationMinutes', 'duration_minutes', 'integer'),
  field('requiredApprovals', 'required_approvals', 'integer'),
  field('decidedAt', 'decided_at', 'bigint'),
  field('autoApprovedBy', 'auto_approved_by', 'text'),
  field('cancelledAt', 'cancelled_at', 'bigint'),
  field('failure', 'failure', 'text'),
  field('expiryWarnedAt', 'expiry_warned_at', 'bigint'),
  field('keptBy', 'kept_by', 'text'),
  field('extendedMinutes', 'extended_minutes', 'integer'),
  part({
    columns: {
      extension_minutes: 'integer',
      extension_reason: 'text',
      extension_asked_at: 'bigint',
      // The approvals given so far, as JSON: [{ "approverId": "U…", "at": 1700000000000 }, …].
      extension_approvals: 'text',
      extension_result: 'text',
      extension_decided_by: 'text',
      extension_decided_at: 'bigint',
      extension_comment: 'text',
    },
    write: ({ extension }) => ({
      extension_minutes: extension?.minutes ?? null,
      extension_reason: extension?.reason ?? null,
      extension_asked_at: extension?.askedAt ?? null,
      extension_approvals: extension ? JSON.stringify(extension.approvals) : null,
      extension_result: extension?.decision?.result ?? null,
      extension_decided_by: extension?.decision?.by ?? null,
      extension_decided_at: extension?.decision?.at ?? null,
      extension_comment: extension?.decision?.comment ?? null,
    }),
    read: (row) => {
      if (row.extension_minutes === null || row.extension_reason === null || row.extension_asked_at === null) return {};
      const decision =
        row.extension_result === null
          ? undefined
          : {
              result: row.extension_result,
              by: row.extension_decided_by ?? '',
              at: row.extension_decided_at ?? 0,
              ...(row.extension_comment !== null && { comment: row.extension_comment }),
            };
      return {
        extension: {
          minutes: row.extension_minutes,
          reason: row.extension_reason,
          askedAt: row.extension_asked_at,
          approvals: JSON.parse(row.extension_approvals ?? '[]') as Approval[],
          ...(decision && { decision }),
        },
      };
    },
  }),
  field('heldBy', 'held_by', 'text'),
  part({
    columns: { ending_reason: 'text', ending_by: 'text', ending_at: 'bigint' },
    write: ({ ending }) => ({ ending_reason: ending?.reason ?? null, ending_by: ending?.by ?? null, ending_at: ending?.at ?? null }),
    read: (row) =>
      row.ending_reason === null ? {} : { ending: { reason: row.ending_reason, by: row.ending_by ?? '', at: row.ending_at ?? 0 } },
  }),
  part({
    columns: { grant_sent_at: 'bigint', grant_kind: 'text', grant_group_id: 'text' },
    write: ({ grantCall }) => ({
      grant_sent_at: grantCall?.sentAt ?? null,
      grant_kind: grantCall?.kind ?? null,
      grant_group_id: grantCall?.groupId ?? null,
    }),
    read: (row) =>
      row.grant_sent_at === null || row.grant_kind === null || row.grant_group_id === null
        ? {}
        : { grantCall: { sentAt: row.grant_sent_at, kind: row.grant_kind, groupId: row.grant_group_id } },
  }),
  part({
    columns: { cleanup_at: 'bigint', cleanup_result: 'text' },
    write: ({ cleanup }) => ({ cleanup_at: cleanup?.at ?? null, cleanup_result: cleanup?.result ?? null }),
    read: (row) =>
      row.cleanup_at === null || row.cleanup_result === null ? {} : { cleanup: { at: row.cleanup_at, result: row.cleanup_result } },
  }),
  part({
    columns: {
      signed_out_at: 'bigint',
      signed_out_tokens: 'integer',
      signed_out_sessions: 'integer',
      signed_out_other_accounts: 'integer',
    },
    write: ({ signOut }) => ({
      signed_out_at: signOut?.at ?? null,
      signed_out_tokens: signOut?.tokensRevoked ?? null,
      signed_out_sessions: signOut?.sessionsEnded ?? null,
      signed_out_other_accounts: signOut?.otherAccounts ?? null,
    }),
    read: (row) =>
      row.signed_out_at === null
        ? {}
        : {
            signOut: {
              at: row.signed_out_at,
              tokensRevoked: row.signed_out_tokens ?? 0,
              sessionsEnded: row.signed_out_sessions ?? 0,
              otherAccounts: row.signed_out_other_accounts ?? 0,
            },
          },
  }),
  part({
    columns: { change_sys_id: 'text', change_number: 'text', change_state: 'text' },
    write: ({ change }) => ({
      change_sys_id: change?.sysId ?? null,
      change_number: change?.number ?? null,
      change_state: change?.state ?? null,
    }),
    read: (row) =>
      row.change_sys_id === null || row.change_number === null || row.change_state === null
        ? {}
        : { change: { sysId: row.change_sys_id, number: row.change_number, state: row.change_state as ChangeState } },
  }),
  field('changeProblem', 'change_problem', 'text'),
  field('remindAt', 'remind_at', 'bigint'),
  field('remindersSent', 'reminders_sent', 'integer'),
  field('escalateAt', 'escalate_at', 'bigint'),
  field('escalatedAt', 'escalated_at', 'bigint'),
  part({
    columns: {
      break_glass_at: 'bigint',
      break_glass_realert_at: 'bigint',
      break_glass_reviewed_by: 'text',
      break_glass_reviewed_at: 'bigint',
    },
    write: ({ breakGlass }) => ({
      break_glass_at: breakGlass?.at ?? null,
      break_glass_realert_at: breakGlass?.realertAt ?? null,
      break_glass_reviewed_by: breakGlass?.review?.by ?? null,
      break_glass_reviewed_at: breakGlass?.review?.at ?? null,
    }),
    read: (row) =>
      row.break_glass_at === null
        ? {}
        : {
            breakGlass: {
              at: row.break_glass_at,
              ...(row.break_glass_realert_at !== null && { realertAt: row.break_glass_realert_at }),
              ...(row.break_glass_reviewed_by !== null && {
                review: { by: row.break_glass_reviewed_by, at: row.break_glass_reviewed_at ?? row.break_glass_at },
              }),
            },
          },
  }),
];

const PARTS = [...OPENING, ...CHANGING];

type RowOf<Part> = Part extends StoredPart<infer Row> ? Row : never;
/** The parts' rows as one: the union of their types turned into the intersection. */
type Intersection<Union> = (Union extends unknown ? (value: Union) => void : never) extends (value: infer Both) => void ? Both : never;

/** A request's row as both stores read it: every column of every part (PostgreSQL's BIGINT read as numbers). */
export type RequestRow = Intersection<RowOf<(typeof PARTS)[number]>>;
export type RequestColumnName = keyof RequestRow & string;

export interface RequestColumn {
  name: RequestColumnName;
  type: SqlType;
}

function columnsOf(parts: readonly StoredPart<Record<string, SqlValue>>[]): RequestColumn[] {
  return parts.flatMap((stored) =>
    Object.entries(stored.columns).map(([name, type]) => ({ name: name as RequestColumnName, type: type as SqlType })),
  );
}

/** Every column a request is stored in, written when it is opened. */
export const REQUEST_COLUMNS: readonly RequestColumn[] = columnsOf(PARTS);
/** The columns a change writes again. */
export const CHANGED_COLUMNS: readonly RequestColumn[] = columnsOf(CHANGING);

/** The request's row: the value of every column in `REQUEST_COLUMNS`. */
export function requestRow(request: RequestFields): RequestRow {
  return Object.assign({}, ...PARTS.map((stored) => stored.write(request)));
}

/** What the row holds of the request: everything but its decisions and its grant. */
export function readRequestRow(row: RequestRow): Partial<RequestFields> {
  return Object.assign({}, ...PARTS.map((stored) => stored.read(row)));
}
