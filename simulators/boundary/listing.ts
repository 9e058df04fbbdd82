// Boundary's list pagination (developer.hashicorp.com/boundary/api-docs/pagination): newest first, `page_size`
// items per page after filtering, a `list_token` to continue, `response_type` "delta" while pages remain and
// "complete" on the last one. A completed listing's token, sent again, returns what changed since, with
// `removed_ids`. A list token is bound to the resource and to the caller's grants (a grants change → 400).

import { randomBytes } from 'node:crypto';
import type { Filter } from './filter.js';
import type { Resource } from './store.js';

/** The controller's default and largest page unless configured otherwise (`max_page_size`, globals/globals.go). */
export const MAX_PAGE_SIZE = 1000;

export interface Listable {
  seq: number;
  updatedAt: number;
  json: Record<string, unknown>;
}

interface ListTokenState {
  resource: Resource;
  grants: string;
  /** The last item handed out, by creation order; undefined once the listing completed. */
  afterSeq?: number;
  issuedAt: number;
}

export class ListInputError extends Error {}

export class Paginator {
  private readonly tokens = new Map<string, ListTokenState>();

  /** `maxPageSize`: the controller's `max_page_size`, which is also the page when the caller asks for none. */
  constructor(
    private readonly now: () => number,
    private readonly maxPageSize = MAX_PAGE_SIZE,
  ) {}

  page(
    resource: Resource,
    grants: string,
    all: Listable[],
    filter: Filter | undefined,
    params: URLSearchParams,
    removed: { resource: Resource; id: string; at: number }[],
  ): Record<string, unknown> {
    const pageSize = readPageSize(params.get('page_size'), this.maxPageSize);
    const tokenText = params.get('list_token');
    const state = tokenText ? this.tokens.get(tokenText) : undefined;
    if (tokenText && (!state || state.resource !== resource || state.grants !== grants)) {
      throw new ListInputError('invalid list token');
    }
    const matching = all.filter((item) => !filter || filter.matches(item.json));
    const now = this.now();

    if (state && state.afterSeq === undefined) {
      // From the phase's start, that millisecond included: Boundary compares microsecond transaction times, and a
      // change in the same millisecond as the listing must not be lost (an item listed twice is harmless).
      const changed = matching.filter((item) => item.updatedAt >= state.issuedAt).sort((a, b) => b.updatedAt - a.updatedAt);
      const removedIds = removed.filter((entry) => entry.resource === resource && entry.at >= state.issuedAt).map((entry) => entry.id);
      return wire({
        items: changed,
        responseType: 'complete',
        listToken: this.issue({ resource, grants, issuedAt: now }),
        sortBy: 'updated_time',
        removedIds,
        estimate: all.length,
      });
    }

    const newestFirst = matching.sort((a, b) => b.seq - a.seq);
    const remaining = state?.afterSeq === undefined ? newestFirst : newestFirst.filter((item) => item.seq < (state.afterSeq as number));
    const items = remaining.slice(0, pageSize);
    const more = remaining.length > pageSize;
    const last = items.at(-1);
    const next: ListTokenState = { resource, grants, issuedAt: state?.issuedAt ?? now };
    if (more && last) next.afterSeq = last.seq;
    return wire({
      items,
      responseType: more ? 'delta' : 'complete',
      listToken: this.issue(next),
      sortBy: 'created_time',
      removedIds: [],
      estimate: all.length,
    });
  }

  private issue(state: ListTokenState): string {
    const token = randomBytes(18).toString('base64url');
    this.tokens.set(token, state);
    return token;
  }
}

function readPageSize(text: string | null, max: number): number {
  if (text === null || text === '' || text === '0') return max;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 0) throw new ListInputError('page_size');
  return Math.min(size, max);
}

/** Zero values are left out of the JSON (the gateway marshals with EmitUnpopulated false): no items, no `items`. */
function wire(page: {
  items: Listable[];
  responseType: 'delta' | 'complete';
  listToken: string;
  sortBy: string;
  removedIds: string[];
  estimate: number;
}): Record<string, unknown> {
  return {
    ...(page.items.length > 0 && { items: page.items.map((item) => item.json) }),
    response_type: page.responseType,
    list_token: page.listToken,
    sort_by: page.sortBy,
    sort_dir: 'desc',
    ...(page.removedIds.length > 0 && { removed_ids: page.removedIds }),
    ...(page.estimate > 0 && { est_item_count: page.estimate }),
  };
}
