/**
 * Relay connections as Shopify pages them: `first`/`last` ≤ 250, opaque cursors that encode the
 * sort value and id of a node (the recorded cursor decodes to {"last_id":…,"last_value":…}),
 * keyset paging, so a record modified while someone pages moves to the end instead of shifting
 * every later page.
 */
import { GraphQLError } from 'graphql';

export const MAX_PAGE_SIZE = 250;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
}

export interface Connection<T> {
  nodes: T[];
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

type Key = { id: number; value: number | string };

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify({ last_id: key.id, last_value: key.value })).toString('base64');
}

function decodeCursor(cursor: string): Key {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { last_id?: unknown; last_value?: unknown };
    if (typeof parsed.last_id === 'number' && (typeof parsed.last_value === 'number' || typeof parsed.last_value === 'string')) {
      return { id: parsed.last_id, value: parsed.last_value };
    }
  } catch {
    // fall through
  }
  throw new GraphQLError('Invalid cursor for current pagination.', { extensions: { code: 'BAD_REQUEST' } });
}

function cmp(a: Key, b: Key): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.id - b.id;
}

function checkSize(name: string, n: number | null | undefined): void {
  if (n === null || n === undefined) return;
  // CHOSEN wording; Shopify refuses page sizes above 250.
  if (n < 0 || n > MAX_PAGE_SIZE) throw new GraphQLError(`The value of ${name} must be between 0 and ${MAX_PAGE_SIZE}.`, { extensions: { code: 'BAD_REQUEST' } });
}

/**
 * One page of `items`. With `unpaged` (a bulk operation runs the query), paging arguments are
 * ignored and every item comes back: bulk queries have no page size (`first`, cursors and
 * pageInfo are ignored there); sort order, `reverse` and the search query still apply.
 */
export function paginate<T>(items: readonly T[], args: PageArgs, keyOf: (item: T) => Key, options: { unpaged?: boolean } = {}): Connection<T> {
  if (options.unpaged) {
    const sign = args.reverse ? -1 : 1;
    const all = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => sign * cmp(a.key, b.key));
    const edges = all.map(({ item, key }) => ({ cursor: encodeCursor(key), node: item }));
    return {
      nodes: edges.map((e) => e.node),
      edges,
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null },
    };
  }
  // Both messages are Shopify's own (the recorded error_graphql_query_with_cost.json, and issue reports).
  if ((args.first === null || args.first === undefined) && (args.last === null || args.last === undefined)) {
    throw new GraphQLError('you must provide one of first or last');
  }
  if (args.last !== null && args.last !== undefined && !args.before && (args.first === null || args.first === undefined)) {
    throw new GraphQLError('using last without before is not supported');
  }
  checkSize('first', args.first);
  checkSize('last', args.last);
  const sign = args.reverse ? -1 : 1;
  const keyed = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => sign * cmp(a.key, b.key));
  let start = 0;
  let end = keyed.length;
  if (args.after) {
    const after = decodeCursor(args.after);
    while (start < end && sign * cmp(keyed[start]!.key, after) <= 0) start++;
  }
  if (args.before) {
    const before = decodeCursor(args.before);
    let i = start;
    while (i < end && sign * cmp(keyed[i]!.key, before) < 0) i++;
    end = i;
  }
  let from = start;
  let to = end;
  if (args.first !== null && args.first !== undefined) to = Math.min(to, from + args.first);
  if (args.last !== null && args.last !== undefined) from = Math.max(from, to - args.last);
  const slice = keyed.slice(from, to);
  const edges = slice.map(({ item, key }) => ({ cursor: encodeCursor(key), node: item }));
  return {
    nodes: edges.map((e) => e.node),
    edges,
    pageInfo: {
      hasNextPage: to < end,
      hasPreviousPage: from > start,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
