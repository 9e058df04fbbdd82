// A misspelt key in a hand-edited file is easy to miss, so the message lists what is allowed and the likely intent.

import { z } from 'zod';
import { valueAt } from './locate.js';
import { policySchema } from './schema.js';

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
export function allowedKeys(path: readonly PropertyKey[], raw: unknown): string[] {
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

export function unknownKeyMessage(key: string, allowed: string[]): string {
  const closest = allowed.filter((candidate) => editDistance(key, candidate) <= 2)[0];
  const hint = closest ? ` (did you mean "${closest}"?)` : '';
  return `unknown field "${key}"${hint}; allowed here: ${allowed.join(', ')}`;
}
