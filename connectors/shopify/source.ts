import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { JsonValue, ReadContext, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { StreamName } from '../../src/domain/records.js';
import { ApiError } from '../../src/http/errors.js';
import {
  awaitBulkOperation,
  explainedBulkFailure,
  fetchBulkOperation,
  jsonlLines,
  parseBulkLine,
  sameQuery,
  startBulkQuery,
  type StartedOperation,
} from './bulk.js';
import { classifyShopifyError, holdsScope, type ShopifyClient } from './client.js';
import { DEFAULT_BULK_POLL_MS } from './config.js';
import {
  ACCESS_SCOPES, customersBulkQuery, customersById, customersPage, ordersBulkQuery, ordersById, ordersPage, type BulkQuery, type PageDocument,
} from './documents.js';
import { mapCustomer, mapOrder, type CollectionsOf } from './mapper.js';
import { collectionsFailedWarning, readProductCollections } from './collections.js';
import { createCheckoutStream } from './checkouts.js';
import { checkShopifyMapping } from './mapping-check.js';
import { AccessScopesSchema, CustomersPageSchema, NodesSchema, OrdersPageSchema, type ConnectionPage } from './schemas.js';
import { parseStrictDate } from '../../src/domain/dates.js';

/**
 * Where a stream stands.
 *
 * A full pull (the first, or `--full`) is one bulk query operation: `bulk` checkpoints its id and
 * how many lines of its result file are written, so a rerun after a crash polls that operation
 * and downloads the file again (its URL lives seven days), skipping the lines already written,
 * instead of starting another; `maxSeen` and `tests` carry what the written lines said.
 *
 * Afterwards pulls are incremental and paged: `updated_at:>='since − overlap'`, sorted by
 * UPDATED_AT. `since` is Shopify's clock, not ours: after a bulk pull the operation's createdAt
 * (nothing changed after it can be missing from its file) or the newest updatedAt seen, whichever
 * is older; after an incremental pull the newest updatedAt of the pages written, which is complete
 * because pages come oldest first.
 *
 * `full` cursors were written by segsync before full pulls became bulk operations: such a pull
 * starts over as a bulk operation.
 */
const CursorSchema = z.discriminatedUnion('phase', [
  z.object({
    phase: z.literal('bulk'),
    operation: z.string().min(1),
    lines: z.number().int().nonnegative(),
    maxSeen: z.number().nullable(),
    tests: z.number().int().nonnegative(),
  }),
  z.object({ phase: z.literal('incremental'), since: z.number() }),
  z.object({ phase: z.literal('full'), after: z.string().nullable(), maxSeen: z.number().nullable() }),
]);
type Cursor = z.infer<typeof CursorSchema>;
type BulkCursor = Extract<Cursor, { phase: 'bulk' }>;

/** Lines of a bulk result file per page written (one transaction, one checkpoint). */
export const BULK_PAGE_SIZE = 1_000;
/** A download that breaks off (reset, stalled) is opened again this often, skipping the lines already read. */
export const DOWNLOAD_RESTARTS = 3;

export interface ShopifySourceOptions {
  /** Incremental pulls re-read this far before the cursor (workspace `sources.shopify.lookbackMinutes`, default 10). */
  lookbackMinutes: number;
}

export const READ_ALL_ORDERS_WARNING =
  'Shopify: the app lacks the read_all_orders scope, so Shopify shows only orders from the last 60 days; ' +
  'recency and frequency are truncated to the last 60 days. Grant read_all_orders (public apps need Shopify\'s approval) to pull the full history.';

/** Without read_products the orders are read all the same, their lines without their product. */
export const READ_PRODUCTS_WARNING =
  'Shopify: the app lacks the read_products scope, so order lines are read without their product: product types and collections ' +
  'are missing (vendors come from the lines), and the interests features stay empty. Grant read_products to the app, then reinstall it.';

export function testOrdersWarning(count: number): string {
  return `Shopify: skipped ${count} test order${count === 1 ? '' : 's'} (test: true); they are not purchases.`;
}

export function objectCountWarning(lines: number, reported: number): string {
  return `Shopify: the bulk result file had ${lines} lines, but Shopify reported ${reported} objects; run \`segsync pull --full\` if records are missing.`;
}

/** Shopify's search syntax wants a timestamp; whole seconds, rounded down, so nothing on the boundary is lost. */
export function updatedSinceQuery(ms: number): string {
  return `updated_at:>='${new Date(Math.floor(Math.max(0, ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z')}'`;
}

/** What a read sends and how it maps each node: fixed for customers; for orders it depends on the scopes granted. */
interface StreamQueries {
  document: PageDocument;
  /** `nodes(ids:)` for reading records again by id. */
  byId: PageDocument;
  bulk: BulkQuery;
  /** Maps one node into the page, paged or bulk alike. */
  map(raw: unknown, page: SourcePage, stats: { tests: number }): { id: string | null; updatedAt: string | null };
}

interface StreamSpec extends StreamQueries {
  name: StreamName;
  schema: typeof CustomersPageSchema | typeof OrdersPageSchema;
  connection: (data: z.output<typeof CustomersPageSchema> | z.output<typeof OrdersPageSchema>) => ConnectionPage;
  /**
   * Asked once per read (and per read by id) before anything is read: warnings that hold for the
   * whole read (e.g. a missing scope), and the queries to use instead of the spec's own when they
   * depend on what the shop allows.
   */
  prepare?(context: ReadContext): Promise<{ warnings: string[]; queries?: StreamQueries }>;
}

/** The spec as this read uses it, and the warnings of the whole read. */
async function prepared(spec: StreamSpec, context: ReadContext): Promise<{ spec: StreamSpec; warnings: string[] }> {
  if (!spec.prepare) return { spec, warnings: [] };
  const { warnings, queries } = await spec.prepare(context);
  return { spec: queries ? { ...spec, ...queries } : spec, warnings };
}


export function createShopifySource(client: ShopifyClient, mapping: Mapping, options: ShopifySourceOptions): Source {
  const customers: StreamSpec = {
    name: 'contacts',
    document: customersPage(mapping),
    byId: customersById(mapping),
    bulk: customersBulkQuery(mapping),
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
  /**
   * The orders' queries: with read_products each line selects its product and takes the
   * collections of the products bulk query (collections.ts); without, no product is selected.
   */
  const orderQueries = (products: boolean, collectionsOf?: CollectionsOf): StreamQueries => ({
    document: ordersPage(mapping, products),
    byId: ordersById(mapping, products),
    bulk: ordersBulkQuery(mapping, products),
    map(raw, page, stats) {
      const m = mapOrder(raw, mapping, collectionsOf);
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
  });
  const orders: StreamSpec = {
    name: 'purchases',
    ...orderQueries(true),
    schema: OrdersPageSchema,
    connection: (data) => (data as z.output<typeof OrdersPageSchema>).orders,
    async prepare(context) {
      const { data } = await client.execute(ACCESS_SCOPES, {}, AccessScopesSchema, { signal: context.signal });
      const granted = new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
      const warnings = granted.has('read_all_orders') ? [] : [READ_ALL_ORDERS_WARNING];
      // CHOSEN (unverified either way): Shopify may refuse LineItem.product without read_products,
      // which would refuse the whole orders read; so without it no product is asked for.
      if (!holdsScope(granted, 'read_products')) return { warnings: [...warnings, READ_PRODUCTS_WARNING], queries: orderQueries(false) };
      const collections = await readProductCollections(client, context.signal);
      if (!collections.ok) return { warnings: [...warnings, collectionsFailedWarning(collections.reason)], queries: orderQueries(true) };
      const { byProduct } = collections;
      return { warnings, queries: orderQueries(true, (id) => byProduct.get(id)) };
    },
  };
  return {
    streams: [...[customers, orders].map((spec) => createStream(client, spec, options)), createCheckoutStream(client, options)],
    // Offline, against the vendored Admin schema: no request.
    checkMapping: async () => checkShopifyMapping(mapping),
  };
}

function emptyPage(mode: 'full' | 'incremental'): SourcePage {
  return { contacts: [], purchases: [], quarantined: [], received: 0, cursor: null, mode };
}

function withWarnings(page: SourcePage, warnings: string[]): SourcePage {
  if (warnings.length > 0) page.warnings = warnings;
  return page;
}

function createStream(client: ShopifyClient, spec: StreamSpec, options: ShopifySourceOptions): SourceStream {
  const overlapMs = options.lookbackMinutes * 60_000;
  return {
    name: spec.name,
    // Shopify deletes customers and orders outright: one missing from a full read is gone.
    fullReadIsComplete: true,
    /** `nodes(ids:)`, up to 250 ids a query; an id Shopify no longer has answers null and is in no page. */
    async *refetch(ids: readonly string[], context: ReadContext) {
      // Shopify refuses the whole query for one id that is no global id: a garbled one cannot be asked for.
      const type = spec.name === 'contacts' ? 'Customer' : 'Order';
      const valid = ids.filter((id) => new RegExp(`^gid://shopify/${type}/\\d+$`).test(id));
      if (valid.length === 0) return;
      // The same queries as a read (orders: by the scopes granted, with the products' collections).
      const { spec: active } = await prepared(spec, context);
      for (let i = 0; i < valid.length; i += active.byId.pageSize) {
        const { data } = await client.execute(active.byId, { ids: valid.slice(i, i + active.byId.pageSize) }, NodesSchema, { signal: context.signal });
        const page = emptyPage('incremental');
        const stats = { tests: 0 };
        for (const raw of data.nodes) {
          if (raw === null) continue;
          page.received++;
          active.map(raw, page, stats);
        }
        yield page;
      }
    },
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const parsed = CursorSchema.safeParse(stored);
      const cursor: Cursor | undefined = context.full || !parsed.success ? undefined : parsed.data;
      const { spec: active, warnings } = await prepared(spec, context);
      const pages = cursor?.phase === 'incremental'
        ? readChanges(client, active, cursor.since, overlapMs, warnings, context)
        : readBulk(client, active, cursor?.phase === 'bulk' ? cursor : undefined, warnings, context);
      // Without read_all_orders, orders older than 60 days are hidden, not gone.
      const hidden = warnings.includes(READ_ALL_ORDERS_WARNING) ? 'Shopify shows only the last 60 days of orders' : undefined;
      for await (const page of pages) yield hidden ? { ...page, partialView: hidden } : page;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Incremental: pages of what changed since the cursor
// ---------------------------------------------------------------------------------------------

async function* readChanges(
  client: ShopifyClient,
  spec: StreamSpec,
  since: number,
  overlapMs: number,
  warnings: string[],
  context: ReadContext,
): AsyncGenerator<SourcePage> {
  const query = updatedSinceQuery(since - overlapMs);
  let after: string | null = null;
  // Newest updatedAt seen; an incremental pull never moves its cursor backwards.
  let maxSeen = since;
  /** id → updatedAt (ms) already yielded in this pull: the overlap and moving records repeat some. */
  const seen = new Map<string, number>();
  const stats = { tests: 0 };
  for (;;) {
    const variables = { first: spec.document.pageSize, after, query };
    const { data } = await client.execute(spec.document, variables, spec.schema, { signal: context.signal });
    const connection = spec.connection(data);
    const page = emptyPage('incremental');
    page.received = connection.nodes.length;
    for (const raw of connection.nodes) {
      const id = (raw as { id?: unknown } | null)?.id;
      const updated = parseStrictDate(String((raw as { updatedAt?: unknown } | null)?.updatedAt ?? ''));
      if (typeof id === 'string' && Number.isFinite(updated)) {
        const before = seen.get(id);
        if (before !== undefined && before >= updated) continue;
        seen.set(id, updated);
      }
      const mapped = spec.map(raw, page, stats);
      const ms = mapped.updatedAt ? Date.parse(mapped.updatedAt) : NaN;
      if (Number.isFinite(ms)) maxSeen = Math.max(maxSeen, ms);
    }
    const next = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor ?? null : null;
    if (connection.pageInfo.hasNextPage && !next) {
      throw new Error(`shopify: ${spec.document.name} says there is a next page but gave no endCursor; cannot page on`);
    }
    const done = next === null;
    page.cursor = { phase: 'incremental', since: maxSeen } satisfies Cursor as JsonValue;
    yield withWarnings(page, [...warnings, ...(done && stats.tests > 0 ? [testOrdersWarning(stats.tests)] : [])]);
    if (done) return;
    after = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Full: one bulk query operation
// ---------------------------------------------------------------------------------------------

async function* readBulk(
  client: ShopifyClient,
  spec: StreamSpec,
  resume: BulkCursor | undefined,
  warnings: string[],
  context: ReadContext,
): AsyncGenerator<SourcePage> {
  const pollMs = client.config.bulkPollMs ?? DEFAULT_BULK_POLL_MS;
  let operation: StartedOperation | undefined;
  let progress: BulkCursor | undefined;
  if (resume) {
    const found = await stillUsable(client, spec.bulk, resume.operation, context.signal);
    if (found) {
      operation = found;
      progress = resume;
    }
  }
  for (;;) {
    const resumed = operation !== undefined;
    if (!operation) {
      operation = await startBulkQuery(client, spec.bulk, pollMs, context.signal);
      progress = { phase: 'bulk', operation: operation.id, lines: 0, maxSeen: null, tests: 0 };
      // Checkpoint the operation at once: a crash while it runs resumes polling it.
      const checkpoint = emptyPage('full');
      checkpoint.cursor = progress satisfies Cursor as JsonValue;
      yield withWarnings(checkpoint, warnings);
    }
    operation = await awaitBulkOperation(client, operation, pollMs, context.signal);
    if (operation.status !== 'COMPLETED') {
      // A resumed operation that failed since is no reason to fail: start a new one.
      if (resumed) {
        operation = undefined;
        continue;
      }
      throw await explainedBulkFailure(client, spec.bulk, operation, context.signal);
    }
    try {
      yield* readResult(client, spec, operation, progress!, warnings, context);
      return;
    } catch (error) {
      // A resumed operation's file may be gone before its status says so: start a new one.
      if (resumed && error instanceof ApiError && error.kind === 'not_found' && !context.signal.aborted) {
        operation = undefined;
        continue;
      }
      throw error;
    }
  }
}

/** A stored operation worth resuming: still there, reading what the mapping asks for, not failed or expired. */
async function stillUsable(client: ShopifyClient, bulk: BulkQuery, id: string, signal: AbortSignal): Promise<StartedOperation | undefined> {
  let found;
  try {
    found = await fetchBulkOperation(client, id, signal);
  } catch (error) {
    // An id Shopify no longer accepts is an operation gone; anything else (auth, network) is a real failure.
    if (error instanceof ApiError && (error.kind === 'bad_request' || error.kind === 'not_found')) return undefined;
    throw error;
  }
  if (!found || !sameQuery(found.query, bulk.query)) return undefined;
  if (found.status === 'FAILED' || found.status === 'CANCELED' || found.status === 'EXPIRED') return undefined;
  return { ...found, id };
}

/**
 * Streams the result file into pages of BULK_PAGE_SIZE lines, skipping the lines a crashed pull
 * wrote already. A download that breaks off is opened again (up to DOWNLOAD_RESTARTS times) and
 * skips what this pull read; a line that is not JSON means the file is damaged (bad_response),
 * a line that is JSON but no valid record is quarantined, as in a page.
 */
async function* readResult(
  client: ShopifyClient,
  spec: StreamSpec,
  operation: StartedOperation,
  start: BulkCursor,
  warnings: string[],
  context: ReadContext,
): AsyncGenerator<SourcePage> {
  const url = operation.url ? operation.url : null; // null (or "", as recorded): the query found nothing
  const expectedTotal = operation.rootObjectCount ?? undefined;
  const createdAt = operation.createdAt ? parseStrictDate(operation.createdAt) : NaN;
  const committed = { lines: start.lines, maxSeen: start.maxSeen, tests: start.tests };
  let restarts = 0;
  for (;;) {
    let page = emptyPage('full');
    let pageLines = 0;
    let pageMax: number | null = null;
    let stats = { tests: 0 };
    let index = 0;
    // The record being read and its nested-connection nodes (an order's lines), which follow it
    // (groupObjects): mapped once the next record starts or the file ends.
    let pending: { id: unknown; value: unknown; children: unknown[]; lines: number } | null = null;
    let orphans = 0;
    const flush = () => {
      if (!pending) return;
      page.received++;
      const value = pending.children.length > 0 || spec.bulk.groupObjects
        ? { ...(pending.value as Record<string, unknown>), lineItems: { nodes: pending.children } }
        : pending.value;
      const mapped = spec.map(value, page, stats);
      const ms = mapped.updatedAt ? Date.parse(mapped.updatedAt) : NaN;
      if (Number.isFinite(ms)) pageMax = Math.max(pageMax ?? ms, ms);
      pageLines += pending.lines;
      pending = null;
    };
    const cursorAfterPage = (): BulkCursor => ({
      phase: 'bulk',
      operation: operation.id,
      lines: committed.lines + pageLines,
      maxSeen: pageMax === null ? committed.maxSeen : Math.max(committed.maxSeen ?? pageMax, pageMax),
      tests: committed.tests + stats.tests,
    });
    try {
      if (url) {
        const body = await client.openDownload(url, context.signal);
        for await (const text of jsonlLines(body, client.config.timeoutMs)) {
          context.signal.throwIfAborted();
          index++;
          if (index <= committed.lines) continue;
          const line = parseBulkLine(text);
          if (line.kind === 'malformed') {
            throw new ApiError({
              platform: 'shopify',
              call: `GET bulk result of ${operation.id}`,
              kind: 'bad_response',
              detail: `line ${index} of the result file is not JSON (${line.reason}): ${text.slice(0, 80)}`,
              hint: 'the file is damaged; run the pull again (it resumes after the last page written)',
            });
          }
          if (line.kind !== 'record') {
            // A nested node (an order's line) belongs to the record above it; one that does not is counted.
            if (line.kind === 'child' && pending && pending.id === line.parentId) pending.children.push(line.value);
            else if (line.kind === 'child') orphans++;
            if (pending) pending.lines++;
            else pageLines++;
            continue;
          }
          flush();
          // A page ends only between records, so a resumed read starts at a record with all its lines.
          if (pageLines >= BULK_PAGE_SIZE) {
            const next = cursorAfterPage();
            page.cursor = next satisfies Cursor as JsonValue;
            if (expectedTotal !== undefined) page.expectedTotal = expectedTotal;
            yield withWarnings(page, warnings);
            Object.assign(committed, { lines: next.lines, maxSeen: next.maxSeen, tests: next.tests });
            page = emptyPage('full');
            pageLines = 0;
            pageMax = null;
            stats = { tests: 0 };
          }
          pending = { id: (line.value as { id?: unknown } | null)?.id, value: line.value, children: [], lines: 1 };
        }
        flush();
      }
    } catch (raw) {
      if (context.signal.aborted) throw context.signal.reason;
      const error = raw instanceof ApiError ? raw : classifyShopifyError(raw, `GET bulk result of ${operation.id}`);
      if (error.retryable && restarts < DOWNLOAD_RESTARTS) {
        restarts++;
        continue;
      }
      throw error;
    }
    const last = cursorAfterPage();
    const newest = last.maxSeen;
    const since = Number.isFinite(createdAt) ? Math.min(newest ?? createdAt, createdAt) : newest ?? 0;
    page.cursor = { phase: 'incremental', since } satisfies Cursor as JsonValue;
    if (expectedTotal !== undefined) page.expectedTotal = expectedTotal;
    const reported = operation.objectCount;
    const finalWarnings = [
      ...warnings,
      ...(last.tests > 0 ? [testOrdersWarning(last.tests)] : []),
      ...(url && reported !== undefined && reported !== last.lines ? [objectCountWarning(last.lines, reported)] : []),
      ...(orphans > 0 ? [`${orphans} nested line(s) of the result file did not follow their record (ungrouped output) and were left out; run \`segsync pull --full\` again`] : []),
    ];
    // Fewer lines than Shopify counted: records may be missing from the file, not from the shop.
    if (url && reported !== undefined && reported !== last.lines) page.partialView = objectCountWarning(last.lines, reported);
    yield withWarnings(page, finalWarnings);
    return;
  }
}
