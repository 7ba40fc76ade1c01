import type { HubSpotClient } from './client.js';
import { CrmObjectSchema } from './schemas.js';
import { SearchPageSchema } from './schemas.js';

export interface SearchSlicePage {
  results: unknown[];
  /** A rerun may restart from here (inclusive) without missing anything. */
  restartFromMs: number;
  total: number;
}

export interface SliceOptions {
  objectType: 'contacts' | 'deals';
  modifiedProperty: string;
  properties: string[];
  sinceMs: number;
  /** HubSpot answers at most this many results per query; paging past it is a 400. */
  resultCap: number;
  signal: AbortSignal;
}

const PAGE_SIZE = 200;

function modifiedMs(raw: unknown, property: string): { id: string; ms: number } | undefined {
  const parsed = CrmObjectSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const value = parsed.data.properties[property] ?? parsed.data.updatedAt;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? { id: parsed.data.id, ms } : undefined;
}

/**
 * Every record modified at or after `sinceMs`, each exactly once, despite the search API's
 * result cap. Results come sorted by modification time; when a query nears the cap it restarts
 * from the last timestamp seen, skipping the records already returned at that timestamp. If more
 * records than the cap share one timestamp, that timestamp is walked by record id instead.
 */
export async function* searchModifiedSince(client: HubSpotClient, options: SliceOptions): AsyncGenerator<SearchSlicePage> {
  const { objectType, modifiedProperty, properties, resultCap, signal } = options;
  const limit = Math.min(PAGE_SIZE, resultCap);
  let lower = options.sinceMs;
  let inclusive = true;
  let seenAtLower = new Set<string>();

  const search = (filters: object[], sortProperty: string, offset: number) =>
    client.request(
      {
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/search`,
        body: {
          filterGroups: [{ filters }],
          sorts: [{ propertyName: sortProperty, direction: 'ASCENDING' }],
          properties,
          limit,
          after: String(offset),
        },
        schema: SearchPageSchema,
        write: false,
        search: true,
      },
      signal,
    );

  for (;;) {
    let offset = 0;
    let lastMs = Number.NEGATIVE_INFINITY;
    let idsAtLast = new Set<string>();
    for (;;) {
      if (offset >= resultCap) break;
      const filters = [{ propertyName: modifiedProperty, operator: inclusive ? 'GTE' : 'GT', value: String(lower) }];
      const { data } = await search(filters, modifiedProperty, offset);
      const fresh: unknown[] = [];
      for (const raw of data.results) {
        const key = modifiedMs(raw, modifiedProperty);
        if (key && key.ms === lower && seenAtLower.has(key.id)) continue;
        fresh.push(raw);
        if (!key) continue;
        if (key.ms > lastMs) {
          lastMs = key.ms;
          idsAtLast = new Set([key.id]);
        } else if (key.ms === lastMs) idsAtLast.add(key.id);
      }
      yield { results: fresh, restartFromMs: lower, total: data.total };
      if (!data.paging?.next) return;
      offset = Number(data.paging.next.after);
    }
    // The cap was reached: restart the query from the last timestamp seen.
    if (lastMs > lower) {
      lower = lastMs;
      inclusive = true;
      seenAtLower = idsAtLast;
      continue;
    }
    // Everything in this slice shares one timestamp: walk it by id, then go strictly past it.
    const skip = new Set([...seenAtLower, ...idsAtLast]);
    yield* walkOneTimestamp(lower, skip);
    inclusive = false;
    seenAtLower = new Set();
  }

  async function* walkOneTimestamp(ms: number, skip: Set<string>): AsyncGenerator<SearchSlicePage> {
    let afterId = '0';
    for (;;) {
      let offset = 0;
      let maxId = afterId;
      for (;;) {
        if (offset >= resultCap) break;
        const filters = [
          { propertyName: modifiedProperty, operator: 'EQ', value: String(ms) },
          { propertyName: 'hs_object_id', operator: 'GT', value: afterId },
        ];
        const { data } = await search(filters, 'hs_object_id', offset);
        const fresh: unknown[] = [];
        for (const raw of data.results) {
          const key = modifiedMs(raw, modifiedProperty);
          if (key && BigInt(key.id) > BigInt(maxId)) maxId = key.id;
          if (key && skip.has(key.id)) continue;
          fresh.push(raw);
        }
        yield { results: fresh, restartFromMs: ms, total: data.total };
        if (!data.paging?.next) return;
        offset = Number(data.paging.next.after);
      }
      afterId = maxId;
    }
  }
}
