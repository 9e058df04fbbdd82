// The part of Boundary's list filter language (go-bexpr, github.com/hashicorp/go-bexpr) the bot uses:
// `"/item/user_id" == "u_…"`, `!=`, `in`, `contains`, `is empty`, `and`/`or`/`not`, parentheses, and quoted
// strings with Go's escapes. Selectors are JSON pointers into `{"item": <resource>}`
// (developer.hashicorp.com/boundary/docs/concepts/filtering/resource-listing). A selector an item lacks makes
// the whole filter "not a match" rather than an error (Boundary's handlers/filtering.go `Match`).

export class FilterSyntaxError extends Error {}

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'equal' | 'notEqual' | 'in' | 'notIn' | 'contains' | 'notContains'; selector: string[]; value: string }
  | { kind: 'empty' | 'notEmpty'; selector: string[] };

type Token = { type: 'word' | 'string' | 'symbol'; text: string };

class MissingSelector extends Error {}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'is', 'empty']);

export interface Filter {
  matches(item: unknown): boolean;
}

/** Parses a filter; throws FilterSyntaxError on anything the language does not allow. */
export function parseFilter(text: string): Filter {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const next = (): Token => {
    const token = tokens[position++];
    if (!token) throw new FilterSyntaxError('unexpected end of filter');
    return token;
  };
  const isWord = (word: string): boolean => peek()?.type === 'word' && peek()?.text === word;

  const parseOr = (): Node => {
    let left = parseAnd();
    while (isWord('or')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseUnary();
    while (isWord('and')) {
      next();
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Node => {
    if (isWord('not')) {
      next();
      return { kind: 'not', operand: parseUnary() };
    }
    if (peek()?.type === 'symbol' && peek()?.text === '(') {
      next();
      const inner = parseOr();
      const close = next();
      if (close.type !== 'symbol' || close.text !== ')') throw new FilterSyntaxError(`expected ")" but found "${close.text}"`);
      return inner;
    }
    return parseMatch();
  };
  const parseMatch = (): Node => {
    const first = operand();
    const negated = isWord('not');
    if (negated) next();
    const operator = next();
    if (operator.type === 'word' && operator.text === 'in') {
      return { kind: negated ? 'notIn' : 'in', value: first, selector: selectorOf(operand()) };
    }
    if (operator.type === 'word' && operator.text === 'contains') {
      return { kind: negated ? 'notContains' : 'contains', selector: selectorOf(first), value: operand() };
    }
    if (negated) throw new FilterSyntaxError(`"not" cannot precede "${operator.text}"`);
    if (operator.type === 'symbol' && (operator.text === '==' || operator.text === '!=')) {
      return { kind: operator.text === '==' ? 'equal' : 'notEqual', selector: selectorOf(first), value: operand() };
    }
    if (operator.type === 'word' && operator.text === 'is') {
      const not = isWord('not');
      if (not) next();
      const empty = next();
      if (empty.type !== 'word' || empty.text !== 'empty') throw new FilterSyntaxError('expected "empty" after "is"');
      return { kind: not ? 'notEmpty' : 'empty', selector: selectorOf(first) };
    }
    throw new FilterSyntaxError(`unexpected "${operator.text}"`);
  };
  const operand = (): string => {
    const token = next();
    if (token.type === 'string' || (token.type === 'word' && !KEYWORDS.has(token.text))) return token.text;
    throw new FilterSyntaxError(`unexpected "${token.text}"`);
  };

  if (tokens.length === 0) throw new FilterSyntaxError('empty filter');
  const root = parseOr();
  if (position < tokens.length) throw new FilterSyntaxError(`unexpected "${tokens[position]?.text}"`);
  return {
    matches(item: unknown): boolean {
      try {
        return evaluate(root, { item });
      } catch (error) {
        if (error instanceof MissingSelector) return false;
        throw error;
      }
    },
  };
}

function selectorOf(text: string): string[] {
  if (!text.startsWith('/')) throw new FilterSyntaxError(`selector "${text}" is not a JSON pointer`);
  return text
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function lookup(root: unknown, path: string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) throw new MissingSelector();
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MissingSelector();
}

function evaluate(node: Node, root: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, root) && evaluate(node.right, root);
    case 'or':
      return evaluate(node.left, root) || evaluate(node.right, root);
    case 'not':
      return !evaluate(node.operand, root);
    case 'equal':
      return scalar(lookup(root, node.selector)) === node.value;
    case 'notEqual':
      return scalar(lookup(root, node.selector)) !== node.value;
    case 'in':
    case 'contains':
      return contains(lookup(root, node.selector), node.value);
    case 'notIn':
    case 'notContains':
      return !contains(lookup(root, node.selector), node.value);
    case 'empty':
      return isEmpty(lookup(root, node.selector));
    case 'notEmpty':
      return !isEmpty(lookup(root, node.selector));
  }
}

function contains(container: unknown, value: string): boolean {
  if (typeof container === 'string') return container.includes(value);
  if (Array.isArray(container)) return container.some((element) => typeof element !== 'object' && String(element) === value);
  if (container !== null && typeof container === 'object') return value in container;
  throw new MissingSelector();
}

function isEmpty(value: unknown): boolean {
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0;
  throw new MissingSelector();
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (char === '(' || char === ')') {
      tokens.push({ type: 'symbol', text: char });
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ type: 'symbol', text: text.slice(i, i + 2) });
      i += 2;
    } else if (char === '"') {
      const [value, end] = readQuoted(text, i + 1);
      tokens.push({ type: 'string', text: value });
      i = end;
    } else if (char === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new FilterSyntaxError('unterminated raw string');
      tokens.push({ type: 'string', text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const word = /^[A-Za-z0-9_.@:/+-]+/.exec(text.slice(i))?.[0];
      if (!word) throw new FilterSyntaxError(`unexpected character "${char}"`);
      tokens.push({ type: 'word', text: word });
      i += word.length;
    }
  }
  return tokens;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/** A double-quoted string with Go's escapes (strconv.Unquote); returns the value and the index after it. */
function readQuoted(text: string, start: number): [string, number] {
  let value = '';
  let i = start;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') return [value, i + 1];
    if (char === '\n') throw new FilterSyntaxError('newline in string');
    if (char !== '\\') {
      value += char;
      i++;
      continue;
    }
    const escaped = text[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[escaped];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    const width = escaped === 'x' ? 2 : escaped === 'u' ? 4 : escaped === 'U' ? 8 : 0;
    const digits = text.slice(i + 2, i + 2 + width);
    if (width === 0 || !new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) {
      throw new FilterSyntaxError(`invalid escape "\\${escaped}"`);
    }
    value += String.fromCodePoint(Number.parseInt(digits, 16));
    i += 2 + width;
  }
  throw new FilterSyntaxError('unterminated string');
}
