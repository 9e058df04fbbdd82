// Statements that name their values instead of numbering them. A statement is written once, as a function of
// its placeholders (`${v.requestId}`), which hands out $1, $2… in the order the names first appear in the text;
// a name used again is the same parameter, as PostgreSQL lets a $n be. The text is built once, so it stays the
// stable text `prepared` names the statement by; each call only puts its values in that order.

import type pg from 'pg';
import { prepared } from './database.js';

/** A statement's placeholders, one per value it names. */
export type Placeholders<Values> = { readonly [Name in keyof Values]: string };

export interface Statement<Values> {
  readonly text: string;
  /** The names in parameter order: the first is $1. */
  readonly names: readonly string[];
  /** The statement, prepared, with `values` in parameter order. */
  bind(values: Values): pg.QueryConfig;
}

export function statement<Values extends object>(write: (v: Placeholders<Values>) => string): Statement<Values> {
  const names: string[] = [];
  const placeholders = new Proxy({} as Placeholders<Values>, {
    get(_, name) {
      if (typeof name !== 'string') throw new Error('a statement names its values by strings');
      const known = names.indexOf(name);
      return `$${known === -1 ? names.push(name) : known + 1}`;
    },
  });
  const text = write(placeholders);
  return {
    text,
    names,
    bind(values) {
      const given = values as Record<string, unknown>;
      return prepared(
        text,
        names.map((name) => {
          // pg would send a forgotten value as NULL; a statement's null values are given as null.
          if (given[name] === undefined) throw new Error(`no value for ${name}`);
          return given[name];
        }),
      );
    },
  };
}

/** Rows of named values as one array per name, for `unnest`: the names are the first row's. */
export function arraysOf<Row extends object>(rows: readonly Row[]): { [Name in keyof Row]: Row[Name][] } {
  const arrays: Record<string, unknown[]> = {};
  for (const name of Object.keys(rows[0] ?? {})) arrays[name] = rows.map((row) => (row as Record<string, unknown>)[name]);
  return arrays as { [Name in keyof Row]: Row[Name][] };
}
