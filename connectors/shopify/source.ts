import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { JsonValue, ReadContext, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { StreamName } from '../../src/domain/records.js';
import type { ShopifyClient } from './client.js';
import { ACCESS_SCOPES, customersPage, ordersPage, type PageDocument } from './documents.js';
import { mapCustomer, mapOrder } from './mapper.js';
import { AccessScopesSchema, CustomersPageSchema, OrdersPageSchema, type ConnectionPage } from './schemas.js';

/**
 * Where a stream stands. A full scan (no filter, sorted by UPDATED_AT) checkpoints Shopify's page
 * cursor; afterwards pulls ask for `updated_at:>='since − overlap'`. `since` is the newest
 * updatedAt seen (Shopify's clock, not ours); an interrupted incremental pull resumes from the
 * newest updatedAt of the pages it wrote, which is complete because pages come oldest first.
 */
const CursorSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('full'), after: z.string().nullable(), maxSeen: z.number().nullable() }),
  z.object({ phase: z.literal('incremental'), since: z.number() }),
]);
type Cursor = z.infer<typeof CursorSchema>;

export interface ShopifySourceOptions {
  /** Incremental pulls re-read this far before the cursor (workspace `sources.shopify.lookbackMinutes`, default 10). */
  lookbackMinutes: number;
}

export const READ_ALL_ORDERS_WARNING =
  'Shopify: the app lacks the read_all_orders scope, so Shopify shows only orders from the last 60 days; ' +
  'recency and frequency are truncated to the last 60 days. Grant read_all_orders (public apps need Shopify\'s approval) to pull the full history.';

export function testOrdersWarning(count: number): string {
  return `Shopify: skipped ${count} test order${count === 1 ? '' : 's'} (test: true); they are not purchases.`;
}

/** Shopify's search syntax wants a timestamp; whole seconds, rounded down, so nothing on the boundary is lost. */
export function updatedSinceQuery(ms: number): string {
  return `updated_at:>='${new Date(Math.floor(Math.max(0, ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z')}'`;
}

interface StreamSpec {
  name: StreamName;
  document: PageDocument;
  schema: typeof CustomersPageSchema | typeof OrdersPageSchema;
  connection: (data: z.output<typeof CustomersPageSchema> | z.output<typeof OrdersPageSchema>) => ConnectionPage;
  /** Warnings that hold for the whole read (e.g. a missing scope); asked once per read. */
  prepare?(context: ReadContext): Promise<string[]>;
  /** Maps one node into the page. */
  map(raw: unknown, page: SourcePage, stats: { tests: number }): { id: string | null; updatedAt: string | null };
}

export function createShopifySource(client: ShopifyClient, mapping: Mapping, options: ShopifySourceOptions): Source {
  const customers: StreamSpec = {
    name: 'contacts',
    document: customersPage(mapping),
    schema: CustomersPageSchema,
    connection: (data) => (data as z.output<typeof CustomersPageSchema>).customers,
    map(raw, page) {
      const m = mapCustomer(raw, mapping);
      if (!m.ok) {
        page.quarantined.push(m.quarantined);
        return { id: m.quarantined.externalId, updatedAt: null };
      }
      page.contacts.push(m.record);
      return { id: m.record.externalId, updatedAt: m.record.updatedAt };
    },
  };
  const orders: StreamSpec = {
    name: 'purchases',
    document: ordersPage(mapping),
    schema: OrdersPageSchema,
    connection: (data) => (data as z.output<typeof OrdersPageSchema>).orders,
    async prepare(context) {
      const { data } = await client.execute(ACCESS_SCOPES, {}, AccessScopesSchema, { signal: context.signal });
      const granted = new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
      return granted.has('read_all_orders') ? [] : [READ_ALL_ORDERS_WARNING];
    },
    map(raw, page, stats) {
      const m = mapOrder(raw, mapping);
      if (m.ok === 'test') {
        stats.tests++;
        return { id: m.externalId, updatedAt: (raw as { updatedAt?: string }).updatedAt ?? null };
      }
      if (!m.ok) {
        page.quarantined.push(m.quarantined);
        return { id: m.quarantined.externalId, updatedAt: null };
      }
      page.purchases.push(m.record);
      return { id: m.record.externalId, updatedAt: m.record.updatedAt };
    },
  };
  return { streams: [customers, orders].map((spec) => createStream(client, spec, options)) };
}

function createStream(client: ShopifyClient, spec: StreamSpec, options: ShopifySourceOptions): SourceStream {
  const overlapMs = options.lookbackMinutes * 60_000;
  return {
    name: spec.name,
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const parsed = CursorSchema.safeParse(stored);
      const cursor: Cursor | undefined = context.full || !parsed.success ? undefined : parsed.data;
      const warnings = spec.prepare ? await spec.prepare(context) : [];
      const full = !cursor || cursor.phase === 'full';
      const query = cursor?.phase === 'incremental' ? updatedSinceQuery(cursor.since - overlapMs) : null;
      let after = cursor?.phase === 'full' ? cursor.after : null;
      // Newest updatedAt seen; an incremental pull never moves its cursor backwards.
      let maxSeen: number | null = cursor?.phase === 'full' ? cursor.maxSeen : cursor?.phase === 'incremental' ? cursor.since : null;
      /** id → updatedAt (ms) already yielded in this pull: the overlap and moving records repeat some. */
      const seen = new Map<string, number>();
      const stats = { tests: 0 };
      for (;;) {
        const variables = { first: spec.document.pageSize, after, query };
        const { data } = await client.execute(spec.document, variables, spec.schema, { signal: context.signal });
        const connection = spec.connection(data);
        const page: SourcePage = {
          contacts: [],
          purchases: [],
          quarantined: [],
          received: connection.nodes.length,
          cursor: null,
          mode: full ? 'full' : 'incremental',
        };
        for (const raw of connection.nodes) {
          const id = (raw as { id?: unknown } | null)?.id;
          const updated = Date.parse(String((raw as { updatedAt?: unknown } | null)?.updatedAt ?? ''));
          if (typeof id === 'string' && Number.isFinite(updated)) {
            const before = seen.get(id);
            if (before !== undefined && before >= updated) continue;
            seen.set(id, updated);
          }
          const mapped = spec.map(raw, page, stats);
          const ms = mapped.updatedAt ? Date.parse(mapped.updatedAt) : NaN;
          if (Number.isFinite(ms)) maxSeen = Math.max(maxSeen ?? ms, ms);
        }
        const next = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor ?? null : null;
        if (connection.pageInfo.hasNextPage && !next) {
          throw new Error(`shopify: ${spec.document.name} says there is a next page but gave no endCursor; cannot page on`);
        }
        const done = next === null;
        page.cursor = (
          done
            ? { phase: 'incremental', since: maxSeen ?? 0 }
            : full
              ? { phase: 'full', after: next, maxSeen }
              : { phase: 'incremental', since: maxSeen ?? (cursor?.phase === 'incremental' ? cursor.since : 0) }
        ) satisfies Cursor as JsonValue;
        page.warnings = [...warnings, ...(done && stats.tests > 0 ? [testOrdersWarning(stats.tests)] : [])];
        if (page.warnings.length === 0) delete page.warnings;
        yield page;
        if (done) return;
        after = next;
      }
    },
  };
}
