// Problems point at the line and column in the file itself, so a reviewer lands on the field without counting.

import { isMap, isScalar, type LineCounter, type Node, type parseDocument } from 'yaml';

export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    data,
  );
}

export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)),
    '',
  );
}

export interface Located {
  line: number;
  column: number;
}

export class PolicyLocator {
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
