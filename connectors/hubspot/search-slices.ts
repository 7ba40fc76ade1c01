import type { HubSpotClient } from './client.js';
import { CrmObjectSchema, SearchPageSchema } from './schemas.js';
import { parseStrictDate } from '../../src/domain/dates.js';

export interface SearchSlicePage {
  results: unknown[];
  /** A rerun may restart from here (inclusive) without missing anything. */
  restartFromMs: number;
  total: number;
}

export interface SliceOptions {
  objectType: 'contacts' | 'deals' | 'companies';
  modifiedProperty: string;
  properties: string[];
  sinceMs: number;
  /** HubSpot answers at most this many results per query; paging past it is a 400. */
  resultCap: number;
  signal: AbortSignal;
}

const PAGE_SIZE = 200;

function key(raw: unknown, property: string): { id: string; ms: number } | undefined {
  const parsed = CrmObjectSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const value = parsed.data.properties[property] ?? parsed.data.updatedAt;
  const ms = /^\d+$/.test(value) ? Number(value) : parseStrictDate(value);
  return Number.isFinite(ms) ? { id: parsed.data.id, ms } : undefined;
}

/**
 * Every record modified at or after `sinceMs`, each once. Pages by key, not by offset: after each
 * page the next query starts at the last modification time seen, skipping the records already
 * returned at that time. Offsets would shift when a record changes mid-pull (it jumps to the end
 * and a never-seen record slides into the page already read), and they cannot pass the search
 * API's 10,000-result cap. When a whole page shares one timestamp, that timestamp is walked by
 * record id (again by key) before moving strictly past it.
 */
export async function* searchModifiedSince(client: HubSpotClient, options: SliceOptions): AsyncGenerator<SearchSlicePage> {
  const { objectType, modifiedProperty, properties, signal } = options;
  const limit = Math.min(PAGE_SIZE, options.resultCap);
  let lower = options.sinceMs;
  let inclusive = true;
  let seenAtLower = new Set<string>();

  const search = async (filters: object[], sortProperty: string) =>
    (await client.request(
      {
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/search`,
        body: { filterGroups: [{ filters }], sorts: [{ propertyName: sortProperty, direction: 'ASCENDING' }], properties, limit, after: '0' },
        schema: SearchPageSchema,
        write: false,
        search: true,
      },
      signal,
    )).data;

  for (;;) {
    const data = await search([{ propertyName: modifiedProperty, operator: inclusive ? 'GTE' : 'GT', value: String(lower) }], modifiedProperty);
    const fresh: unknown[] = [];
    let lastMs = lower;
    let idsAtLast = new Set<string>();
    for (const raw of data.results) {
      const k = key(raw, modifiedProperty);
      if (k && k.ms === lower && seenAtLower.has(k.id)) continue;
      fresh.push(raw);
      if (!k) continue;
      if (k.ms > lastMs) {
        lastMs = k.ms;
        idsAtLast = new Set([k.id]);
      } else if (k.ms === lastMs) idsAtLast.add(k.id);
    }
    yield { results: fresh, restartFromMs: lower, total: data.total };
    if (data.results.length < limit) return;
    if (lastMs > lower) {
      lower = lastMs;
      inclusive = true;
      seenAtLower = idsAtLast;
      continue;
    }
    // A full page at one timestamp: walk it by id, then go strictly past it.
    yield* walkOneTimestamp(lower, new Set([...seenAtLower, ...idsAtLast]));
    inclusive = false;
    seenAtLower = new Set();
  }

  async function* walkOneTimestamp(ms: number, skip: Set<string>): AsyncGenerator<SearchSlicePage> {
    let afterId = '0';
    for (;;) {
      const data = await search(
        [
          { propertyName: modifiedProperty, operator: 'EQ', value: String(ms) },
          { propertyName: 'hs_object_id', operator: 'GT', value: afterId },
        ],
        'hs_object_id',
      );
      const fresh: unknown[] = [];
      const before = afterId;
      for (const raw of data.results) {
        const k = key(raw, modifiedProperty);
        if (k && BigInt(k.id) > BigInt(afterId)) afterId = k.id;
        if (k && skip.has(k.id)) continue;
        fresh.push(raw);
      }
      yield { results: fresh, restartFromMs: ms, total: data.total };
      // A page of records without readable ids cannot move the walk on; they went to quarantine.
      if (data.results.length < limit || afterId === before) return;
    }
  }
}
