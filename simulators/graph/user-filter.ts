// The $filter forms a directory client uses to find a user, parsed the way Graph's OData parser reads them:
// `mail eq '…'`, `userPrincipalName eq '…'`, `otherMails/any(x:x eq '…')`, `proxyAddresses/any(x:x eq '…')`,
// joined with `or` / `and`, in parentheses if wanted. A literal doubles its quotes (`'O''Neil'`); anything
// else is a syntax error (400 BadRequest) or a query Graph does not support (400 Request_UnsupportedQuery)
// (learn.microsoft.com/graph/filter-query-parameter, learn.microsoft.com/graph/aad-advanced-queries).

import type { SimDirectoryUser } from './directory.js';
import { GraphError } from './graph-error.js';

type Token = { kind: 'word' | 'literal' | '(' | ')' | ':' | ','; text: string; at: number };

/** A parsed filter: whether a user matches. */
export type UserPredicate = (user: SimDirectoryUser) => boolean;

const SCALAR_FIELDS = new Set(['mail', 'userPrincipalName', 'displayName', 'id', 'userType']);
const COLLECTION_FIELDS = new Set(['otherMails', 'proxyAddresses']);

export function parseUserFilter(filter: string): UserPredicate {
  const tokens = tokenize(filter);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const syntaxError = (token: Token | undefined): GraphError =>
    new GraphError(400, 'BadRequest', `Invalid filter clause: Syntax error at position ${token?.at ?? filter.length} in '${filter}'.`);
  const expect = (kind: Token['kind'], text?: string): Token => {
    const token = peek();
    if (!token || token.kind !== kind || (text !== undefined && token.text !== text)) throw syntaxError(token);
    position += 1;
    return token;
  };
  const keyword = (text: string): boolean => {
    const token = peek();
    if (token?.kind !== 'word' || token.text.toLowerCase() !== text) return false;
    position += 1;
    return true;
  };

  const disjunction = (): UserPredicate => {
    const terms = [conjunction()];
    while (keyword('or')) terms.push(conjunction());
    return (user) => terms.some((term) => term(user));
  };
  const conjunction = (): UserPredicate => {
    const terms = [primary()];
    while (keyword('and')) terms.push(primary());
    return (user) => terms.every((term) => term(user));
  };
  const primary = (): UserPredicate => {
    const token = peek();
    if (token?.kind === '(') {
      position += 1;
      const inner = disjunction();
      expect(')');
      return inner;
    }
    const field = expect('word');
    const [name = '', lambda] = field.text.split('/');
    if (lambda !== undefined) return anyClause(name, lambda);
    if (peek()?.kind === '(') throw unsupported();
    if (!keyword('eq')) throw peek()?.kind === 'word' ? unsupported() : syntaxError(peek());
    const value = expect('literal').text;
    if (!SCALAR_FIELDS.has(name)) throw unsupported();
    return (user) => equal((user as unknown as Record<string, unknown>)[name], value);
  };
  const anyClause = (name: string, lambda: string): UserPredicate => {
    if (lambda !== 'any' || !COLLECTION_FIELDS.has(name)) throw unsupported();
    expect('(');
    const variable = expect('word').text;
    expect(':');
    if (expect('word').text !== variable) throw unsupported();
    if (!keyword('eq')) throw unsupported();
    const value = expect('literal').text;
    expect(')');
    return (user) =>
      ((user as unknown as Record<string, unknown>)[name] as string[] | undefined)?.some((item) => equal(item, value)) ?? false;
  };

  const predicate = disjunction();
  if (position < tokens.length) throw syntaxError(peek());
  return predicate;
}

// Directory string comparisons ignore case (unverified for the smtp:/SMTP: prefix of proxyAddresses).
function equal(actual: unknown, expected: string): boolean {
  return typeof actual === 'string' && actual.toLowerCase() === expected.toLowerCase();
}

function unsupported(): GraphError {
  return new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < filter.length) {
    const char = filter[index] ?? '';
    if (char === ' ') {
      index += 1;
    } else if (char === '(' || char === ')' || char === ':' || char === ',') {
      tokens.push({ kind: char, text: char, at: index });
      index += 1;
    } else if (char === "'") {
      const start = index;
      let text = '';
      index += 1;
      for (;;) {
        if (index >= filter.length) {
          throw new GraphError(
            400,
            'BadRequest',
            `Invalid filter clause: There is an unterminated string literal at position ${start} in '${filter}'.`,
          );
        }
        const next = filter[index] ?? '';
        if (next === "'" && filter[index + 1] === "'") {
          text += "'";
          index += 2;
        } else if (next === "'") {
          index += 1;
          break;
        } else {
          text += next;
          index += 1;
        }
      }
      tokens.push({ kind: 'literal', text, at: start });
    } else if (/[A-Za-z$]/.test(char)) {
      const match = /^[A-Za-z$][\w/]*/.exec(filter.slice(index));
      const text = match?.[0] ?? char;
      tokens.push({ kind: 'word', text, at: index });
      index += text.length;
    } else {
      throw new GraphError(
        400,
        'BadRequest',
        `Invalid filter clause: Syntax error: character '${char}' is not valid at position ${index} in '${filter}'.`,
      );
    }
  }
  return tokens;
}
