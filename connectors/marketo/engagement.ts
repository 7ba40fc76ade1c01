import { z } from 'zod';
import type { JsonValue, ReadContext, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { EngagementChannel, EngagementEvent } from '../../src/domain/records.js';
import { DAY_MS, extractLeads, isoSeconds, type ExtractState } from './bulk-export.js';
import type { MarketoClient } from './client.js';
import { MarketoApiError } from './errors.js';
import { parseMarketoDate } from './mapper.js';
import { ActivityTypesSchema, EngagementActivitiesPageSchema, EngagementActivitySchema, PagingTokenSchema } from './schemas.js';

/**
 * Stream 'engagement': what leads did, one event per Marketo activity (Get Lead Activities).
 *
 * The activity types are found by name (Get Activity Types), so an instance whose ids differ is
 * still read right; the standard ids are in brackets. CHOSEN channel per type:
 * - Visit Webpage (1) → web_visit. Marketo logs one per tracked page a known lead loads; it has no
 *   sessions. One activity is never stored as two events (web_visit and page_view): that would
 *   double its weight in every engagement feature.
 * - Click Link (3) → page_view: a click on a link of a tracked page, i.e. a further page reached.
 * - Fill Out Form (2) → form_fill; Email Delivered (7) → email_delivered; Email Bounced (8, hard
 *   bounces; soft bounces are not read) → email_bounce; Unsubscribe Email (9) → unsubscribe;
 *   Open Email (10) → email_open; Click Email (11) → email_click.
 *
 * First read (no cursor, or --full): a paging token for `activityHistoryDays` (default 365) before
 * now, then pages of at most 300 until `moreResult` is false. The cursor is the last
 * nextPageToken Marketo answered, written with each page: the next pull (or a resumed one) reads
 * only what came after. An event's key is the activity's marketoGUID (else its id), so reading an
 * activity twice replaces it. An activity of another type, or without a lead id, key or readable
 * date, is skipped and counted in a warning. If Marketo refuses a stored token, the read starts
 * again from the latest activity date stored (minus the lookback), once, and says so.
 *
 * A first read goes through Bulk Activity Extract (bulk-activity-extract docs) rather than 300
 * activities a call: jobs filtered by createdAt (31-day windows over the history, oldest first) and
 * the eight activityTypeIds (unless MARKETO_ACTIVITY_BULK_EXTRACT=false), enqueued, polled and downloaded as CSV by the lead export's machinery
 * (bulk-export.ts: same queue limits, 1029 handling and retries of a failed job). Each file's rows
 * map to the same events (key = marketoGUID) as the REST answers, and are yielded as they are
 * parsed. CHOSEN cursor while windows remain: { bulk: ExtractState } (the start of the first window
 * not yet stored, the end of the last, the jobs already made): a killed pull resumes at the next
 * window, reusing its jobs. After the last window: a paging token at the end of the last window,
 * stored as { token, readThrough } like the REST path, so every later pull reads through REST.
 * If the bulk API is refused (603: the role lacks Read-Only Activity, or bulk access is off, or
 * 1035), the read falls back to the REST path from where the bulk windows stood, with a warning.
 */

export const ENGAGEMENT_ACTIVITY_TYPES: ReadonlyArray<{ name: string; standardId: number; channel: EngagementChannel }> = [
  { name: 'Visit Webpage', standardId: 1, channel: 'web_visit' },
  { name: 'Fill Out Form', standardId: 2, channel: 'form_fill' },
  { name: 'Click Link', standardId: 3, channel: 'page_view' },
  { name: 'Email Delivered', standardId: 7, channel: 'email_delivered' },
  { name: 'Email Bounced', standardId: 8, channel: 'email_bounce' },
  { name: 'Unsubscribe Email', standardId: 9, channel: 'unsubscribe' },
  { name: 'Open Email', standardId: 10, channel: 'email_open' },
  { name: 'Click Email', standardId: 11, channel: 'email_click' },
];

/** Get Lead Activities takes at most 10 activity type ids (activities docs); one call covers all eight. */
const MAX_TYPES_PER_CALL = 10;
const ACTIVITIES_PER_CALL = 300;
export const DEFAULT_ACTIVITY_HISTORY_DAYS = 365;

/**
 * `token`: the last nextPageToken. `readThrough`: the latest activityDate read so far (epoch ms),
 * where a read starts again (minus the lookback) if Marketo ever refuses the stored token.
 */
const CursorSchema = z.object({ token: z.string().min(1), readThrough: z.number().optional() });
type Cursor = z.infer<typeof CursorSchema>;

/** A first read in progress through Bulk Activity Extract (see above). */
const BulkCursorSchema = z.object({
  bulk: z.object({
    nextStartMs: z.number(),
    endMs: z.number(),
    pending: z.array(z.object({ exportId: z.string(), startAt: z.string(), endAt: z.string(), enqueued: z.boolean(), attempts: z.number() })),
  }),
});

/** Bulk Activity Extract columns the events need (the docs' names). */
export const ACTIVITY_EXPORT_FIELDS = ['marketoGUID', 'leadId', 'activityDate', 'activityTypeId'];

/** The bulk API refused outright: no activity permission (603) or no bulk extract for this subscription (1035). */
function bulkRefused(error: unknown): error is MarketoApiError {
  return error instanceof MarketoApiError && (error.code === '603' || error.code === '1035');
}

type Skip = 'type' | 'lead' | 'key' | 'date';
export type MappedActivity = { ok: true; event: EngagementEvent } | { ok: false; skip: Skip };

function positiveInt(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** One activity as an engagement event, or why it is skipped. */
export function mapEngagementActivity(raw: unknown, channels: ReadonlyMap<number, EngagementChannel>): MappedActivity {
  const parsed = EngagementActivitySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, skip: 'key' };
  const a = parsed.data;
  const typeId = positiveInt(a.activityTypeId);
  const channel = typeId === null ? undefined : channels.get(typeId);
  if (!channel) return { ok: false, skip: 'type' };
  const leadId = positiveInt(a.leadId);
  if (leadId === null) return { ok: false, skip: 'lead' };
  const guid = a.marketoGUID === null || a.marketoGUID === undefined ? '' : String(a.marketoGUID).trim();
  const key = guid !== '' ? guid : a.id === null || a.id === undefined ? '' : String(a.id).trim();
  if (key === '') return { ok: false, skip: 'key' };
  const at = parseMarketoDate(a.activityDate);
  if (at === null || at === 'invalid') return { ok: false, skip: 'date' };
  return { ok: true, event: { platform: 'marketo', key, contactExternalId: String(leadId), channel, occurredAt: at, count: 1 } };
}

function skippedWarning(skipped: Record<Skip, number>): string | undefined {
  const total = skipped.type + skipped.lead + skipped.key + skipped.date;
  if (total === 0) return undefined;
  const parts = [
    skipped.type > 0 ? `${skipped.type} of an activity type segsync does not read` : '',
    skipped.lead > 0 ? `${skipped.lead} without a lead id` : '',
    skipped.key > 0 ? `${skipped.key} without an activity id (marketoGUID)` : '',
    skipped.date > 0 ? `${skipped.date} without a readable activityDate` : '',
  ].filter((p) => p !== '');
  return `Marketo engagement: skipped ${total} ${total === 1 ? 'activity' : 'activities'} (${parts.join(', ')}); the others were stored`;
}

/** Marketo refusing a paging token it handed out (a purged or garbled token): start again from a date. */
function tokenRefused(error: unknown): error is MarketoApiError {
  return error instanceof MarketoApiError && error.kind === 'bad_request' && (error.code === '1003' || /token/i.test(error.message));
}

export function createEngagementStream(client: MarketoClient, options: { lookbackMs: number }): SourceStream {
  const historyDays = client.config.activityHistoryDays ?? DEFAULT_ACTIVITY_HISTORY_DAYS;

  /** Activity type id → channel, by name; the names this instance lacks. */
  const resolveTypes = async (signal: AbortSignal) => {
    const data = await client.request({ method: 'GET', path: '/rest/v1/activities/types.json', schema: ActivityTypesSchema, write: false }, signal);
    const byName = new Map((data.result ?? []).map((t) => [t.name.trim().toLowerCase(), t.id]));
    const channels = new Map<number, EngagementChannel>();
    const missing: string[] = [];
    for (const t of ENGAGEMENT_ACTIVITY_TYPES) {
      const id = byName.get(t.name.toLowerCase());
      if (id === undefined) missing.push(t.name);
      else channels.set(id, t.channel);
    }
    return { channels, missing };
  };

  return {
    name: 'engagement',
    async *read(stored: JsonValue | undefined, context: ReadContext): AsyncGenerator<SourcePage> {
      const parsed = CursorSchema.safeParse(stored);
      const cursor: Cursor | undefined = context.full || !parsed.success ? undefined : parsed.data;
      const parsedBulk = BulkCursorSchema.safeParse(stored);
      const resumedBulk: ExtractState | undefined = context.full || !parsedBulk.success ? undefined : parsedBulk.data.bulk;
      const { signal } = context;
      const mode = cursor ? 'incremental' : 'full';
      const { channels, missing } = await resolveTypes(signal);
      const warnings: string[] = missing.length > 0
        ? [`Marketo has no activity type ${missing.map((m) => `"${m}"`).join(', ')} (GET /rest/v1/activities/types.json): those events are not read`]
        : [];
      const typeIds = [...channels.keys()];
      const page = (next: JsonValue, events: EngagementEvent[], received: number, last: readonly string[] = []): SourcePage => ({
        contacts: [], purchases: [], quarantined: [], events, received, cursor: next, mode, ...(last.length > 0 ? { warnings: [...last] } : {}),
      });
      if (typeIds.length === 0) {
        // Nothing this instance logs can be read: keep the cursor as it was.
        yield page(cursor ?? null, [], 0, warnings);
        return;
      }
      if (typeIds.length > MAX_TYPES_PER_CALL) throw new Error(`Marketo engagement: ${typeIds.length} activity types exceed the ${MAX_TYPES_PER_CALL} one call may ask for`);

      const tokenAt = async (ms: number) =>
        (await client.request({ method: 'GET', path: '/rest/v1/activities/pagingtoken.json', qs: { sinceDatetime: isoSeconds(ms) }, schema: PagingTokenSchema, write: false }, signal)).nextPageToken;
      const historyStart = context.now() - historyDays * DAY_MS;
      const skipped: Record<Skip, number> = { type: 0, lead: 0, key: 0, date: 0 };
      let restFrom = historyStart;

      if (!cursor && client.config.activityBulkExtract !== false) {
        // Whole seconds: the createdAt filter has no milliseconds, and windows must meet exactly.
        const second = (ms: number) => Math.floor(ms / 1000) * 1000;
        const state: ExtractState = resumedBulk ?? { nextStartMs: second(historyStart), endMs: second(context.now()), pending: [] };
        let delivered = false;
        let refused = false;
        try {
          for await (const chunk of extractLeads(client, { fields: ACTIVITY_EXPORT_FIELDS, state, signal, pollMs: client.config.bulkPollMs, object: 'activities', extraFilter: { activityTypeIds: typeIds } })) {
            delivered = true;
            const events: EngagementEvent[] = [];
            for (const row of chunk.rows) {
              const mapped = mapEngagementActivity(row, channels);
              if (mapped.ok) events.push(mapped.event);
              else skipped[mapped.skip]++;
            }
            yield page({ bulk: { ...chunk.state, pending: chunk.state.pending.map((j) => ({ ...j })) } }, events, chunk.rows.length);
          }
        } catch (error) {
          if (delivered || !bulkRefused(error)) throw error;
          refused = true;
          restFrom = state.nextStartMs;
          warnings.push(`Marketo refused Bulk Activity Extract (${error.code}: ${error.detail}): reading activities through the REST API instead, 300 a call (slower); give the API user's role Read-Only Activity to use the bulk API`);
        }
        if (!refused) {
          // Later pulls continue through REST from the end of the last window.
          const token = await tokenAt(state.endMs);
          const skippedNote = skippedWarning(skipped);
          yield page({ token, readThrough: state.endMs } satisfies Cursor, [], 0, [...warnings, ...(skippedNote ? [skippedNote] : [])]);
          return;
        }
      }

      let readThrough = cursor ? (cursor.readThrough ?? historyStart) : restFrom;
      let token: string = cursor?.token ?? (await tokenAt(restFrom));
      let restarted = false;
      for (;;) {
        const ask = () => client.request(
          {
            method: 'GET',
            path: '/rest/v1/activities.json',
            qs: { activityTypeIds: typeIds.join(','), nextPageToken: token, batchSize: ACTIVITIES_PER_CALL },
            schema: EngagementActivitiesPageSchema,
            write: false,
          },
          signal,
        );
        let data: Awaited<ReturnType<typeof ask>>;
        try {
          data = await ask();
        } catch (error) {
          // Once per read, and only for a token this read did not just get from Marketo: read again
          // from the last activity stored (keys make the overlap harmless).
          if (!cursor || restarted || !tokenRefused(error)) throw error;
          restarted = true;
          const from = Math.max(historyStart, readThrough - options.lookbackMs);
          warnings.push(`Marketo refused the stored activities paging token (${error.detail}): read again from ${isoSeconds(from)}`);
          token = await tokenAt(from);
          data = await ask();
        }
        token = data.nextPageToken ?? token;
        const more = data.moreResult === true;
        const result = data.result ?? [];
        const events: EngagementEvent[] = [];
        for (const raw of result) {
          const mapped = mapEngagementActivity(raw, channels);
          if (mapped.ok) {
            events.push(mapped.event);
            readThrough = Math.max(readThrough, Date.parse(mapped.event.occurredAt));
          } else skipped[mapped.skip]++;
        }
        const skippedNote = more ? undefined : skippedWarning(skipped);
        // Every page moves the cursor, even one with no activity of these types (Marketo scans a
        // stretch of the log per call): a resumed pull starts after what was already scanned.
        yield page({ token, readThrough } satisfies Cursor, events, result.length, more ? [] : [...warnings, ...(skippedNote ? [skippedNote] : [])]);
        if (!more) return;
      }
    },
  };
}
