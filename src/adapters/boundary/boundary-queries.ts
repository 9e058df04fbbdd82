// What the sign-out asks Boundary for: the grants each call needs, and filters built from user text that stays
// inside its string literals.

import type { OutsideFailure } from '../../application/ports.js';

export type Item = Record<string, unknown>;
export type Outcome<T> = { ok: true; value: T } | OutsideFailure;

// The grants each call needs, named when Boundary answers 403 (developer.hashicorp.com/boundary/docs/rbac/
// permission-grant-formats). Sessions live in projects, tokens and accounts in global or orgs: the role needs
// grant scopes this + descendants.
export const GRANTS = {
  account: 'ids=*;type=account;actions=list,read',
  user: 'ids=*;type=user;actions=list,read',
  token: 'ids=*;type=auth-token;actions=list,read,delete',
  session: 'ids=*;type=session;actions=list,read,cancel',
} as const;
export const RECURSIVE = { scope_id: 'global', recursive: 'true' };

/**
 * A value as a filter string literal. JSON's string escapes are a subset of Go's (strconv.Unquote, which
 * go-bexpr uses), so a quote or backslash in user text stays inside the literal.
 */
export function filterLiteral(value: string): string {
  return JSON.stringify(value);
}

export function anyOf(selector: string, values: readonly string[]): string {
  return `(${values.map((value) => `${filterLiteral(selector)} == ${filterLiteral(value)}`).join(' or ')})`;
}

export function idsOf(items: Item[]): string[] {
  return items.map((item) => item.id).filter((id): id is string => typeof id === 'string');
}
