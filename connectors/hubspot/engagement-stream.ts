import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { JsonValue, ReadContext, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { HubSpotClient } from './client.js';
import { eventsFromHistory, trackedProperties, type TrackedProperty } from './engagement.js';
import { BatchResponseSchema, ObjectPageSchema } from './schemas.js';
import { searchModifiedSince } from './search-slices.js';

/**
 * HubSpot reads at most 50 records a request when property history is asked for: "The maximum
 * number of inputs supported in a batch request for property histories is 50" (400
 * VALIDATION_ERROR, quoted in activepieces/activepieces#9359) and 50 a page for the list
 * (dlt-hub/verified-sources#206: "API allows max 50 items per call with property history").
 */
export const HISTORY_READ_MAX = 50;

/**
 * A full read lists every contact with history (50 a page) and remembers when it started; an
 * incremental one searches the contacts modified since (any property change, the counters'
 * included, moves `lastmodifieddate`) and reads their history by id, 50 a request.
 */
const CursorSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('full'), after: z.string().nullable(), startedAt: z.number() }),
  z.object({ phase: z.literal('incremental'), since: z.number() }),
]);
type Cursor = z.infer<typeof CursorSchema>;

interface Tally {
  falls: number;
  unreadable: number;
  malformed: number;
}

function page(raws: readonly unknown[], tracked: readonly TrackedProperty[], tally: Tally, cursor: Cursor, mode: 'full' | 'incremental', expectedTotal?: number): SourcePage {
  const read = eventsFromHistory(raws, tracked);
  tally.falls += read.falls;
  tally.unreadable += read.unreadable;
  tally.malformed += read.malformed;
  return {
    contacts: [], purchases: [], quarantined: [], events: read.events, received: raws.length, cursor: cursor as JsonValue, mode,
    ...(expectedTotal !== undefined ? { expectedTotal } : {}),
  };
}

/** One warning for the whole read (the pull keeps each distinct warning once). */
function tallyWarnings(tally: Tally): string[] {
  const out: string[] = [];
  if (tally.falls > 0) {
    out.push(`${tally.falls} fall${tally.falls === 1 ? '' : 's'} of an engagement counter in HubSpot property history (a reset, or contacts merged) gave no event; the rises before and after are kept`);
  }
  if (tally.unreadable > 0) out.push(`${tally.unreadable} HubSpot property history entr${tally.unreadable === 1 ? 'y' : 'ies'} with an unreadable value or timestamp skipped`);
  if (tally.malformed > 0) out.push(`${tally.malformed} HubSpot contact${tally.malformed === 1 ? '' : 's'} read with history had no valid id and gave no events`);
  return out;
}

export function createEngagementStream(client: HubSpotClient, mapping: Mapping, options: { lookbackMinutes: number }): SourceStream {
  return {
    name: 'engagement',
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const tracked = trackedProperties(mapping);
      if (tracked.length === 0) return;
      const withHistory = tracked.map((t) => t.property).join(',');
      const tally: Tally = { falls: 0, unreadable: 0, malformed: 0 };
      const parsed = CursorSchema.safeParse(stored);
      const cursor: Cursor | undefined = context.full || !parsed.success ? undefined : parsed.data;

      if (!cursor || cursor.phase === 'full') {
        const startedAt = cursor?.startedAt ?? context.now();
        let after = cursor?.after ?? null;
        let last: Cursor = { phase: 'incremental', since: startedAt };
        do {
          // `properties` keeps the answer small: without it HubSpot adds its default set.
          const qs: Record<string, string> = { limit: String(HISTORY_READ_MAX), properties: 'lastmodifieddate', propertiesWithHistory: withHistory, archived: 'false' };
          if (after) qs.after = after;
          const { data } = await client.request({ method: 'GET', path: '/crm/v3/objects/contacts', qs, schema: ObjectPageSchema, write: false }, context.signal);
          after = data.paging?.next?.after ?? null;
          last = after ? { phase: 'full', after, startedAt } : { phase: 'incremental', since: startedAt };
          yield page(data.results, tracked, tally, last, 'full');
        } while (after);
        const warnings = tallyWarnings(tally);
        if (warnings.length > 0) yield { contacts: [], purchases: [], quarantined: [], events: [], received: 0, cursor: last as JsonValue, mode: 'full', warnings };
        return;
      }

      const startedAt = context.now();
      const sinceMs = cursor.since - options.lookbackMinutes * 60_000;
      let maxSeen = cursor.since;
      let resume: Cursor = cursor;
      const read = new Set<string>();
      for await (const slice of searchModifiedSince(client, {
        objectType: 'contacts',
        modifiedProperty: 'lastmodifieddate',
        properties: ['lastmodifieddate'],
        sinceMs,
        resultCap: client.config.searchResultCap,
        signal: context.signal,
      })) {
        const ids: string[] = [];
        for (const raw of slice.results) {
          const r = raw as { id?: unknown; properties?: { lastmodifieddate?: unknown } };
          if (typeof r.id !== 'string' || !/^\d+$/.test(r.id) || read.has(r.id)) continue;
          read.add(r.id);
          ids.push(r.id);
          const modified = typeof r.properties?.lastmodifieddate === 'string' ? Date.parse(r.properties.lastmodifieddate) : Number.NaN;
          if (Number.isFinite(modified)) maxSeen = Math.max(maxSeen, modified);
        }
        // A rerun restarts where this slice proved everything before it was read.
        resume = { phase: 'incremental', since: Math.max(slice.restartFromMs, sinceMs) };
        for (let i = 0; i < ids.length; i += HISTORY_READ_MAX) {
          const { data } = await client.request(
            {
              method: 'POST',
              path: '/crm/v3/objects/contacts/batch/read',
              body: { inputs: ids.slice(i, i + HISTORY_READ_MAX).map((id) => ({ id })), properties: ['lastmodifieddate'], propertiesWithHistory: tracked.map((t) => t.property) },
              schema: BatchResponseSchema,
              write: false,
            },
            context.signal,
          );
          // Ids HubSpot no longer has are in the 207's errors: they have no history to read.
          yield page(data.results, tracked, tally, resume, 'incremental', slice.total);
        }
      }
      // Anything changed after the pull started has a later timestamp: start there next time.
      const done: Cursor = { phase: 'incremental', since: Math.min(maxSeen, startedAt) };
      yield { contacts: [], purchases: [], quarantined: [], events: [], received: 0, cursor: done as JsonValue, mode: 'incremental', ...(tallyWarnings(tally).length > 0 ? { warnings: tallyWarnings(tally) } : {}) };
    },
  };
}
