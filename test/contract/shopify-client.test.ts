import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShopifyClient } from '../../connectors/shopify/client.js';
import type { ShopifyConfig } from '../../connectors/shopify/config.js';
import { createShopifyDestination } from '../../connectors/shopify/destination.js';
import { ACCESS_SCOPES, customersBulkQuery, ordersBulkQuery, ordersPage, PRODUCT_COLLECTIONS_BULK, type GraphqlDocument } from '../../connectors/shopify/documents.js';
import { collectionsFailedWarning } from '../../connectors/shopify/collections.js';
import { shopify } from '../../connectors/shopify/index.js';
import { AccessScopesSchema, CustomersPageSchema } from '../../connectors/shopify/schemas.js';
import { BULK_PAGE_SIZE, createShopifySource, READ_ALL_ORDERS_WARNING, READ_PRODUCTS_WARNING } from '../../connectors/shopify/source.js';
import { loadMapping } from '../../src/config/mapping.js';
import type { BatchResult, PlanBatch, SourcePage } from '../../src/domain/connector.js';
import type { DestinationPlan } from '../../src/domain/plan.js';
import { ApiError } from '../../src/http/errors.js';
import graphqlError from '../fixtures/shopify/error_graphql_query_with_cost.json' with { type: 'json' };
import internalError from '../fixtures/shopify/error_internal_server_error.json' with { type: 'json' };
import throttledMinimal from '../fixtures/shopify/error_throttled_minimal.json' with { type: 'json' };
import metafieldsInvalid from '../fixtures/shopify/metafieldsSet_user_errors_INVALID_VALUE.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';
import stagedUploadRecorded from '../fixtures/shopify/staged_uploads_create_ALAppExt.json' with { type: 'json' };
import bulkMutationCreated from '../fixtures/shopify/bulk_operation_run_mutation_created_ALAppExt.json' with { type: 'json' };
import bulkNodeCompleted from '../fixtures/shopify/bulk_operation_node_completed_ALAppExt.json' with { type: 'json' };

const BASE = 'https://acme.myshopify.com';
const PATH = '/admin/api/2026-07/graphql.json';
const TOKEN = 'shpat_contract-secret-token';
const mapping = loadMapping(shopify.defaultMappingFile);

const cost = (requested: number, actual: number | null, available: number, max = 2000, restore = 100) => ({
  requestedQueryCost: requested,
  actualQueryCost: actual,
  throttleStatus: { maximumAvailable: max, currentlyAvailable: available, restoreRate: restore },
});
const scopesAnswer = (handles: string[]) => ({
  data: { currentAppInstallation: { accessScopes: handles.map((handle) => ({ handle })) } },
  extensions: { cost: cost(2, 2, 1998) },
});
const throttled = (requested: number, available: number, max = 1000, restore = 50) => ({
  errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
  extensions: { cost: { ...cost(requested, null, available, max, restore) } },
});
const probe = (cost: number): GraphqlDocument => ({ ...ACCESS_SCOPES, name: 'Probe', cost });

function client(overrides: Partial<ShopifyConfig> = {}) {
  const retries: Array<{ attempt: number; delayMs: number; kind: string }> = [];
  const c = new ShopifyClient(
    { shopUrl: BASE, accessToken: TOKEN, timeoutMs: 2_000, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 4, ...overrides },
    { onRetry: ({ attempt, delayMs, error }) => retries.push({ attempt, delayMs, kind: error.kind }) },
  );
  const scopes = (doc: GraphqlDocument = ACCESS_SCOPES) => c.execute(doc, {}, AccessScopesSchema);
  return { c, scopes, retries };
}


async function pages(iterable: AsyncIterable<SourcePage>): Promise<SourcePage[]> {
  const out: SourcePage[] = [];
  for await (const p of iterable) out.push(p);
  return out;
}

const context = { signal: new AbortController().signal, full: false, now: Date.now };
const emptyPlan: DestinationPlan = {
  destination: 'shopify', mode: 'mirror', lists: [], tokens: [], forget: { listMembers: 0, tokenRows: 0 }, forgetIds: [], skippedRemovals: 0, unsubscribedExcluded: 0, guardViolations: [],
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Shopify client against Shopify answers', () => {
  it('POSTs the pinned version\'s endpoint with X-Shopify-Access-Token and the operation name', async () => {
    const scope = nock(BASE, { reqheaders: { 'x-shopify-access-token': TOKEN, 'content-type': /application\/json/ } })
      .post(PATH, (body: { operationName?: string; query?: string }) => body.operationName === 'AccessScopes' && body.query === ACCESS_SCOPES.query)
      .reply(200, scopesAnswer(['read_customers']));
    const { scopes } = client();
    const { data } = await scopes();
    expect(data.currentAppInstallation.accessScopes).toEqual([{ handle: 'read_customers' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries THROTTLED (HTTP 200) after (requested − available) / restoreRate seconds', async () => {
    const at: number[] = [];
    nock(BASE).post(PATH).reply(200, () => (at.push(Date.now()), throttled(252, 232)));
    nock(BASE).post(PATH).reply(200, () => (at.push(Date.now()), scopesAnswer([])));
    const { c, scopes, retries } = client();
    await scopes(probe(252));
    // (252 − 232) / 50 = 0.4 s
    expect(retries).toEqual([{ attempt: 1, delayMs: 400, kind: 'rate_limited' }]);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(390);
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1, throttled: 1 });
  });

  it('retries the recorded minimal THROTTLED body (no cost) after a fallback second', async () => {
    nock(BASE).post(PATH).reply(200, throttledMinimal);
    nock(BASE).post(PATH).reply(200, scopesAnswer([]));
    const { c, scopes, retries } = client();
    await scopes();
    expect(retries[0]).toMatchObject({ kind: 'rate_limited', delayMs: 1_000 });
    expect(c.transport.stats.throttled).toBe(1);
  });

  it('treats HTTP 429 as throttled: its cost body gives the wait, else Retry-After', async () => {
    nock(BASE).post(PATH).reply(429, throttled(300, 250, 1000, 100));
    nock(BASE).post(PATH).reply(429, 'Too Many Requests', { 'Retry-After': '0.2' });
    nock(BASE).post(PATH).reply(200, scopesAnswer([]));
    const { scopes, retries } = client();
    await scopes(probe(300));
    expect(retries.map((r) => r.kind)).toEqual(['rate_limited', 'rate_limited']);
    expect(retries[0]!.delayMs).toBe(500);
    expect(retries[1]!.delayMs).toBe(200);
  });

  it('paces itself: a request that does not fit waits for the bucket instead of being throttled', async () => {
    const at: number[] = [];
    nock(BASE).post(PATH).reply(200, () => (at.push(Date.now()), { ...scopesAnswer([]), extensions: { cost: cost(2, 2, 100, 1000, 1000) } }));
    nock(BASE).post(PATH).reply(200, () => (at.push(Date.now()), scopesAnswer([])));
    const { c, scopes, retries } = client();
    await scopes();
    await scopes(probe(600));
    // 600 needed, 100 there: (600 − 100) / 1000 = 0.5 s
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(480);
    expect(retries).toEqual([]);
    expect(c.transport.stats.throttled).toBe(0);
  });

  it('fails a 401 at once as auth, naming the variable and the call, never the token', async () => {
    nock(BASE).post(PATH).once().reply(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const { c, scopes } = client();
    const error = await failure(scopes());
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toContain('POST /admin/api/2026-07/graphql.json AccessScopes');
    expect(error.message).toContain('SHOPIFY_ACCESS_TOKEN');
    expect(error.message).not.toContain(TOKEN);
    expect(c.transport.stats).toMatchObject({ reads: 1, retries: 0 });
  });

  it('names the missing scope of a 403 and of an ACCESS_DENIED error', async () => {
    nock(BASE).post(PATH).reply(403, { errors: '[API] This action requires merchant approval for read_orders scope.' });
    const denied = await failure(client().scopes());
    expect(denied).toMatchObject({ kind: 'auth', status: 403 });
    expect(denied.message).toMatch(/the app lacks the read_orders scope/);
    expect(denied.hint).toMatch(/grant the read_orders access scope/);

    nock(BASE).post(PATH).reply(200, {
      errors: [{
        message: 'Access denied for customers field. Required access: `read_customers` access scope.',
        path: ['customers'],
        extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: '`read_customers` access scope.' },
      }],
      data: null,
      extensions: { cost: cost(2, 2, 1998) },
    });
    const graphqlDenied = await failure(client().c.execute(ACCESS_SCOPES, {}, CustomersPageSchema));
    expect(graphqlDenied.kind).toBe('auth');
    expect(graphqlDenied.message).toMatch(/lacks the read_customers scope/);
  });

  it('retries 5xx and the recorded INTERNAL_SERVER_ERROR answer, and gives up after the last attempt', async () => {
    nock(BASE).post(PATH).reply(502, 'Bad Gateway');
    nock(BASE).post(PATH).reply(200, internalError);
    nock(BASE).post(PATH).reply(200, scopesAnswer([]));
    const { c, scopes, retries } = client();
    await scopes();
    expect(retries.map((r) => r.kind)).toEqual(['retryable', 'retryable']);
    expect(c.transport.stats.retries).toBe(2);

    nock(BASE).post(PATH).times(4).reply(503, 'Service Unavailable');
    const error = await failure(client().scopes());
    expect(error).toMatchObject({ kind: 'retryable', attempts: 4 });
  });

  it('other GraphQL errors are bad requests carrying Shopify\'s message, not retried', async () => {
    nock(BASE).post(PATH).once().reply(200, graphqlError);
    const { c, scopes } = client();
    const error = await failure(scopes());
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('you must provide one of first or last (at products)');
    expect(c.transport.stats.retries).toBe(0);
  });

  it('a malformed answer is bad_response, naming where', async () => {
    nock(BASE).post(PATH).reply(200, '<html>maintenance</html>');
    expect(await failure(client().scopes())).toMatchObject({ kind: 'bad_response' });
    nock(BASE).post(PATH).reply(200, { data: { customers: { pageInfo: { hasNextPage: false }, nodes: 'none' } }, extensions: { cost: cost(12, 2, 1998) } });
    const error = await failure(client().c.execute(ACCESS_SCOPES, {}, CustomersPageSchema));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/data\.customers\.nodes/);
  });
});

describe('Shopify source pages', () => {
  const node = (n: number, updatedAt: string, extra: Record<string, unknown> = {}) => ({
    id: `gid://shopify/Customer/${n}`,
    updatedAt,
    defaultEmailAddress: { emailAddress: `c${n}@example.com`, marketingState: 'SUBSCRIBED' },
    ...extra,
  });
  const page = (nodes: unknown[], next: string | null) => ({
    data: { customers: { pageInfo: { hasNextPage: next !== null, endCursor: next }, nodes } },
    extensions: { cost: cost(998, 2 + nodes.length * 4, 1500) },
  });

  // Full pulls are bulk operations (below); incremental pulls page.
  const since = Date.parse('2025-12-01T00:00:00Z');
  const changes = { phase: 'incremental', since };

  it('quarantines a malformed record and goes on; drops a record repeated within the pull; checkpoints each page', async () => {
    const bodies: Array<{ variables: Record<string, unknown> }> = [];
    nock(BASE).post(PATH).reply(200, (_uri, body) => {
      bodies.push(body as { variables: Record<string, unknown> });
      return page([node(1, '2026-01-01T00:00:00Z'), node(2, 'not a date')], 'c1');
    });
    nock(BASE).post(PATH).reply(200, (_uri, body) => {
      bodies.push(body as { variables: Record<string, unknown> });
      return page([node(1, '2026-01-01T00:00:00Z'), node(3, '2026-01-02T00:00:00Z')], null);
    });
    const source = createShopifySource(client().c, mapping, { lookbackMinutes: 10 });
    const got = await pages(source.streams[0]!.read(changes, context));
    expect(got.map((p) => p.contacts.map((c) => c.externalId))).toEqual([['gid://shopify/Customer/1'], ['gid://shopify/Customer/3']]);
    expect(got[0]!.quarantined[0]!.reason).toBe('updatedAt: must be an ISO 8601 date-time');
    expect(got.map((p) => p.received)).toEqual([2, 2]);
    expect(got.map((p) => p.mode)).toEqual(['incremental', 'incremental']);
    expect(got[0]!.cursor).toEqual({ phase: 'incremental', since: Date.parse('2026-01-01T00:00:00Z') });
    expect(got[1]!.cursor).toEqual({ phase: 'incremental', since: Date.parse('2026-01-02T00:00:00Z') });
    expect(bodies.map((b) => b.variables)).toEqual([
      { first: 249, after: null, query: "updated_at:>='2025-11-30T23:50:00Z'" },
      { first: 249, after: 'c1', query: "updated_at:>='2025-11-30T23:50:00Z'" },
    ]);
  });

  it('an incremental pull asks for updated_at ≥ cursor − overlap, sorted by UPDATED_AT', async () => {
    let sent: { query: string; variables: Record<string, unknown> } | undefined;
    nock(BASE).post(PATH).reply(200, (_uri, body) => ((sent = body as typeof sent), page([], null)));
    const source = createShopifySource(client().c, mapping, { lookbackMinutes: 10 });
    const since = Date.parse('2026-03-01T12:00:00Z');
    const got = await pages(source.streams[0]!.read({ phase: 'incremental', since }, context));
    expect(sent!.variables.query).toBe("updated_at:>='2026-03-01T11:50:00Z'");
    expect(sent!.query).toContain('sortKey: UPDATED_AT');
    expect(got[0]!.cursor).toEqual({ phase: 'incremental', since });
  });

  it('orders: skips test orders and says how many; warns on every page without read_all_orders (and without read_products, lines without their product)', async () => {
    const order = (n: number, test: boolean) => ({
      id: `gid://shopify/Order/${n}`, updatedAt: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z', processedAt: '2026-01-01T00:00:00Z',
      cancelledAt: null, test, customer: { id: 'gid://shopify/Customer/1' }, name: `#${n}`, displayFinancialStatus: 'PAID',
      currentTotalPriceSet: { shopMoney: { amount: '10.00', currencyCode: 'EUR' } },
    });
    nock(BASE).post(PATH, (b: { operationName: string }) => b.operationName === 'AccessScopes').reply(200, scopesAnswer(['read_orders', 'read_customers']));
    const queries: string[] = [];
    nock(BASE).post(PATH).reply(200, (_u, b) => (queries.push((b as { query: string }).query), { data: { orders: { pageInfo: { hasNextPage: true, endCursor: 'o1' }, nodes: [order(1, false), order(2, true)] } }, extensions: { cost: cost(998, 10, 1500) } }));
    nock(BASE).post(PATH).reply(200, { data: { orders: { pageInfo: { hasNextPage: false, endCursor: 'o2' }, nodes: [order(3, true)] } }, extensions: { cost: cost(998, 6, 1500) } });
    const source = createShopifySource(client().c, mapping, { lookbackMinutes: 10 });
    const got = await pages(source.streams[1]!.read(changes, context));
    expect(got.map((p) => p.purchases.length)).toEqual([1, 0]);
    expect(got[0]!.warnings).toEqual([READ_ALL_ORDERS_WARNING, READ_PRODUCTS_WARNING]);
    expect(got[1]!.warnings).toEqual([READ_ALL_ORDERS_WARNING, READ_PRODUCTS_WARNING, 'Shopify: skipped 2 test orders (test: true); they are not purchases.']);
    expect(got[0]!.purchases[0]).toMatchObject({ amount: 10, currency: 'EUR', status: 'won' });
    expect(queries[0]).toBe(ordersPage(mapping, false).query);
    expect(queries[0]).not.toContain('product');
  });
});

describe('Shopify source: a full pull is one bulk operation', () => {
  const STORAGE = 'https://storage.googleapis.com';
  const FILE = '/shopify-tiers-assets-prod-us-east1/bulk-operation-outputs/abc-final';
  const fileUrl = (file = FILE) => `${STORAGE}${file}?GoogleAccessId=shopify%40x.iam.gserviceaccount.com&Expires=1790000000&Signature=c2lnbmF0dXJl%2Fx`;
  const OP = 'gid://shopify/BulkOperation/7';
  const CREATED_AT = '2026-03-01T12:00:00Z';
  const customersQuery = customersBulkQuery(mapping).query;
  const customer = (n: number, updatedAt: string) => ({
    id: `gid://shopify/Customer/${n}`,
    updatedAt,
    defaultEmailAddress: { emailAddress: `c${n}@example.com`, marketingState: 'SUBSCRIBED' },
  });
  /** As Shopify writes its files: one object a line, every "/" escaped. */
  const jsonl = (objects: unknown[]) => objects.map((o) => `${JSON.stringify(o).replace(/\//g, '\\/')}\n`).join('');
  const operation = (status: string, extra: Record<string, unknown> = {}) => ({
    id: OP, status, errorCode: null, createdAt: CREATED_AT, completedAt: status === 'RUNNING' || status === 'CREATED' ? null : '2026-03-01T12:00:05Z',
    objectCount: '3', rootObjectCount: '3', fileSize: '312', url: status === 'COMPLETED' ? fileUrl() : null, partialDataUrl: null, query: customersQuery, ...extra,
  });
  const started = (bulkOperation: unknown, userErrors: unknown[] = []) => ({ data: { bulkOperationRunQuery: { bulkOperation, userErrors } }, extensions: { cost: cost(10, 10, 1990) } });
  const polled = (bulkOperation: unknown) => ({ data: { bulkOperation }, extensions: { cost: cost(1, 1, 1989) } });
  const op = (name: string) => (b: { operationName?: string }) => b.operationName === name;
  const fullContext = { ...context, full: true };

  async function readAll(iterable: AsyncIterable<SourcePage>): Promise<{ pages: SourcePage[]; error?: ApiError }> {
    const out: SourcePage[] = [];
    try {
      for await (const p of iterable) out.push(p);
    } catch (error) {
      if (error instanceof ApiError) return { pages: out, error };
      throw error;
    }
    return { pages: out };
  }
  const customersSource = () => createShopifySource(client({ bulkPollMs: 5 }).c, mapping, { lookbackMinutes: 10 }).streams[0]!;

  it('starts the operation, polls it until COMPLETED, downloads its file without the token, maps each line', async () => {
    const sent: Array<{ query: string; variables: Record<string, unknown> }> = [];
    const api = nock(BASE, { reqheaders: { 'x-shopify-access-token': TOKEN } })
      .post(PATH, op('BulkQueryRun')).reply(200, (_u, b) => (sent.push(b as (typeof sent)[number]), started(operation('CREATED', { objectCount: '0' }))))
      .post(PATH, op('BulkOperation')).reply(200, (_u, b) => (sent.push(b as (typeof sent)[number]), polled(operation('RUNNING', { objectCount: '1' }))))
      .post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED')));
    const file = nock(STORAGE, { badheaders: ['x-shopify-access-token'] })
      .get(FILE).query({ GoogleAccessId: 'shopify@x.iam.gserviceaccount.com', Expires: '1790000000', Signature: 'c2lnbmF0dXJl/x' })
      .reply(200, jsonl([customer(1, '2026-01-01T00:00:00Z'), customer(2, 'not a date'), customer(3, '2026-02-01T00:00:00Z')]), { 'Content-Type': 'application/jsonl' });
    const { pages: got, error } = await readAll(customersSource().read(undefined, fullContext));
    expect(error).toBeUndefined();
    expect(api.isDone() && file.isDone()).toBe(true);
    expect(sent[0]!.variables).toEqual({ query: customersQuery, groupObjects: false });
    expect(sent[1]!.variables).toEqual({ id: OP });
    // A checkpoint naming the operation, written before the wait; then the file's records.
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ received: 0, contacts: [], mode: 'full', cursor: { phase: 'bulk', operation: OP, lines: 0, maxSeen: null, tests: 0 } });
    expect(got[1]!.contacts.map((c) => c.externalId)).toEqual(['gid://shopify/Customer/1', 'gid://shopify/Customer/3']);
    expect(got[1]!.contacts[0]).toMatchObject({ email: 'c1@example.com', emailConsent: 'subscribed' });
    expect(got[1]!.quarantined).toEqual([expect.objectContaining({ externalId: 'gid://shopify/Customer/2', reason: 'updatedAt: must be an ISO 8601 date-time' })]);
    expect(got[1]).toMatchObject({ received: 3, mode: 'full', expectedTotal: 3 });
    // Nothing after the operation started can be missing from later incremental pulls.
    expect(got[1]!.cursor).toEqual({ phase: 'incremental', since: Date.parse('2026-02-01T00:00:00Z') });
  });

  it('a FAILED operation is an ApiError naming the operation and its errorCode; nothing is downloaded', async () => {
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('FAILED', { errorCode: 'INTERNAL_SERVER_ERROR', objectCount: '120', partialDataUrl: fileUrl('/x-partial') })));
    const { pages: got, error } = await readAll(customersSource().read(undefined, fullContext));
    expect(got.map((p) => p.received)).toEqual([0]);
    expect(error).toMatchObject({ kind: 'retryable' });
    expect(error!.message).toContain(`bulk operation ${OP} ended FAILED with errorCode INTERNAL_SERVER_ERROR after 120 objects`);
    expect(error!.message).toMatch(/partial results, which segsync does not use/);
    expect(error!.message).not.toContain('Signature');

    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('FAILED', { errorCode: 'ACCESS_DENIED', objectCount: '0' })));
    const denied = await readAll(customersSource().read(undefined, fullContext));
    expect(denied.error).toMatchObject({ kind: 'auth' });
    expect(denied.error!.hint).toMatch(/scope/);
  });

  it('COMPLETED with url null means the query found nothing: one empty final page, no download', async () => {
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { url: null, objectCount: '0', rootObjectCount: '0', fileSize: null })));
    const { pages: got, error } = await readAll(customersSource().read(undefined, fullContext));
    expect(error).toBeUndefined();
    expect(got.map((p) => [p.received, p.contacts.length])).toEqual([[0, 0], [0, 0]]);
    expect(got[1]!.cursor).toEqual({ phase: 'incremental', since: Date.parse(CREATED_AT) });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a JSON line that is no record is quarantined; a line that is not JSON fails as bad_response after the pages before it', async () => {
    const lines = ['42\n', jsonl(Array.from({ length: BULK_PAGE_SIZE }, (_, i) => customer(i + 1, '2026-01-01T00:00:00Z'))), '{"id":"gid:\\/\\/shopify\\/Customer\\/9","updatedAt":\n'];
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { objectCount: String(BULK_PAGE_SIZE + 2) })));
    nock(STORAGE).get(FILE).query(true).reply(200, lines.join(''));
    const { pages: got, error } = await readAll(customersSource().read(undefined, fullContext));
    expect(got).toHaveLength(2);
    expect(got[1]!.quarantined).toEqual([expect.objectContaining({ externalId: null, raw: 42, reason: 'record: Invalid input: expected object, received number' })]);
    expect(got[1]!.contacts).toHaveLength(BULK_PAGE_SIZE - 1);
    expect(got[1]!.cursor).toEqual({ phase: 'bulk', operation: OP, lines: BULK_PAGE_SIZE, maxSeen: Date.parse('2026-01-01T00:00:00Z'), tests: 0 });
    expect(error).toMatchObject({ kind: 'bad_response' });
    expect(error!.message).toMatch(new RegExp(`line ${BULK_PAGE_SIZE + 2} of the result file is not JSON`));
  });

  it('resumes a stored operation: polls it, downloads its file again and skips the lines written; starts none', async () => {
    const poll = nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED')));
    nock(STORAGE).get(FILE).query(true).reply(200, jsonl([customer(1, '2026-01-01T00:00:00Z'), customer(2, '2026-01-05T00:00:00Z'), customer(3, '2026-01-03T00:00:00Z')]));
    const stored = { phase: 'bulk', operation: OP, lines: 2, maxSeen: Date.parse('2026-01-05T00:00:00Z'), tests: 0 };
    const { pages: got, error } = await readAll(customersSource().read(stored, context));
    expect(error).toBeUndefined();
    expect(poll.isDone()).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]!.contacts.map((c) => c.externalId)).toEqual(['gid://shopify/Customer/3']);
    expect(got[0]).toMatchObject({ received: 1, mode: 'full', cursor: { phase: 'incremental', since: Date.parse('2026-01-05T00:00:00Z') } });
  });

  it('a stored operation that is gone, failed, or reads another query is replaced by a new one', async () => {
    for (const stale of [null, operation('FAILED', { errorCode: 'TIMEOUT' }), operation('COMPLETED', { query: '{ customers { edges { node { id } } } }' }), operation('EXPIRED')]) {
      nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(stale));
      nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED', { id: 'gid://shopify/BulkOperation/8' })));
      nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { id: 'gid://shopify/BulkOperation/8' })));
      nock(STORAGE).get(FILE).query(true).reply(200, jsonl([customer(1, '2026-01-01T00:00:00Z'), customer(2, '2026-01-02T00:00:00Z')]));
      const { pages: got, error } = await readAll(customersSource().read({ phase: 'bulk', operation: OP, lines: 1, maxSeen: null, tests: 0 }, context));
      expect(error, JSON.stringify(stale)).toBeUndefined();
      expect(got[0]!.cursor).toEqual({ phase: 'bulk', operation: 'gid://shopify/BulkOperation/8', lines: 0, maxSeen: null, tests: 0 });
      expect(got[1]!.contacts).toHaveLength(2);
      expect(nock.pendingMocks()).toEqual([]);
    }
  });

  it('a stored operation whose file is refused (expired signed URL) is replaced by a new one', async () => {
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED')));
    nock(STORAGE).get(FILE).query(true).reply(400, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>");
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED', { id: 'gid://shopify/BulkOperation/9' })));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { id: 'gid://shopify/BulkOperation/9', url: fileUrl('/new-final') })));
    nock(STORAGE).get('/new-final').query(true).reply(200, jsonl([customer(1, '2026-01-01T00:00:00Z')]));
    const { pages: got, error } = await readAll(customersSource().read({ phase: 'bulk', operation: OP, lines: 1, maxSeen: null, tests: 0 }, context));
    expect(error).toBeUndefined();
    expect(got.map((p) => p.contacts.length)).toEqual([0, 1]);

    // A fresh operation's file refused is an error that says what happened, never the signature.
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED')));
    nock(STORAGE).get(FILE).query(true).reply(403, '<Error><Code>SignatureDoesNotMatch</Code></Error>');
    const refused = await readAll(customersSource().read(undefined, fullContext));
    expect(refused.error).toMatchObject({ kind: 'not_found', status: 403 });
    expect(refused.error!.message).toContain(`GET ${STORAGE}${FILE} failed`);
    expect(refused.error!.message).toContain('SignatureDoesNotMatch');
    expect(refused.error!.message).not.toContain('c2lnbmF0dXJl');
  });

  it('a download answered 5xx is retried like any call (a body that breaks off: see the e2e tests)', async () => {
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED')));
    nock(STORAGE).get(FILE).query(true).reply(503, 'Service Unavailable');
    nock(STORAGE).get(FILE).query(true).reply(200, jsonl([customer(1, '2026-01-01T00:00:00Z'), customer(2, '2026-01-02T00:00:00Z'), customer(3, '2026-01-03T00:00:00Z')]));
    const { pages: got, error } = await readAll(customersSource().read(undefined, fullContext));
    expect(error).toBeUndefined();
    expect(got[1]!.contacts.map((c) => c.externalId)).toEqual(['gid://shopify/Customer/1', 'gid://shopify/Customer/2', 'gid://shopify/Customer/3']);
  });

  it('while Shopify runs as many operations as it allows (LIMIT_REACHED), waits and asks again; an INVALID query is a bad request', async () => {
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(null, [{ field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }]));
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(operation('CREATED')));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { url: null, objectCount: '0' })));
    const ok = await readAll(customersSource().read(undefined, fullContext));
    expect(ok.error).toBeUndefined();
    expect(nock.pendingMocks()).toEqual([]);

    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(null, [{ field: ['query'], message: 'Bulk queries cannot contain more than 5 connections.', code: 'INVALID' }]));
    const invalid = await readAll(customersSource().read(undefined, fullContext));
    expect(invalid.pages).toEqual([]);
    expect(invalid.error).toMatchObject({ kind: 'bad_request' });
    expect(invalid.error!.message).toContain('Shopify refused the bulk query: Bulk queries cannot contain more than 5 connections. (INVALID)');
    expect(invalid.error!.hint).toMatch(/mappings\/shopify\.yaml/);
  });

  it('orders: test orders skipped and counted, cancelled orders cancelled, the read_all_orders warning, as in pages', async () => {
    const order = (n: number, extra: Record<string, unknown> = {}) => ({
      id: `gid://shopify/Order/${n}`, updatedAt: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z', processedAt: '2026-01-01T00:00:00Z',
      cancelledAt: null, test: false, customer: { id: 'gid://shopify/Customer/1' }, name: `#${n}`, displayFinancialStatus: 'PAID',
      currentTotalPriceSet: { shopMoney: { amount: '10.00', currencyCode: 'EUR' } }, ...extra,
    });
    // Without read_products: no products read, lines without their product.
    const ordersQuery = ordersBulkQuery(mapping, false).query;
    nock(BASE).post(PATH, op('AccessScopes')).reply(200, scopesAnswer(['read_orders', 'read_customers']));
    nock(BASE).post(PATH, (b: { operationName: string; variables: { query?: string } }) => b.operationName === 'BulkQueryRun' && b.variables.query === ordersQuery)
      .reply(200, started(operation('CREATED', { query: ordersQuery })));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { query: ordersQuery, objectCount: '4' })));
    nock(STORAGE).get(FILE).query(true).reply(200, jsonl([
      order(1), order(2, { test: true }), order(3, { cancelledAt: '2026-01-02T00:00:00Z', displayFinancialStatus: 'VOIDED' }), order(4, { customer: null, displayFinancialStatus: 'REFUNDED' }),
    ]));
    const source = createShopifySource(client({ bulkPollMs: 5 }).c, mapping, { lookbackMinutes: 10 });
    const { pages: got, error } = await readAll(source.streams[1]!.read(undefined, fullContext));
    expect(error).toBeUndefined();
    expect(got[0]!.warnings).toEqual([READ_ALL_ORDERS_WARNING, READ_PRODUCTS_WARNING]);
    expect(got[1]!.warnings).toEqual([READ_ALL_ORDERS_WARNING, READ_PRODUCTS_WARNING, 'Shopify: skipped 1 test order (test: true); they are not purchases.']);
    expect(got[1]!.purchases.map((p) => [p.externalId, p.status, p.contactExternalIds])).toEqual([
      ['gid://shopify/Order/1', 'won', ['gid://shopify/Customer/1']],
      ['gid://shopify/Order/3', 'cancelled', ['gid://shopify/Customer/1']],
      ['gid://shopify/Order/4', 'refunded', []],
    ]);
    expect(got[1]!.received).toBe(4);
  });
  it('orders with read_products: every product\'s collections come from a products bulk operation first, and each line takes its product\'s', async () => {
    const productsQuery = PRODUCT_COLLECTIONS_BULK.query;
    nock(BASE).post(PATH, op('AccessScopes')).reply(200, scopesAnswer(['read_orders', 'read_all_orders', 'read_customers', 'read_products']));
    nock(BASE).post(PATH, (b: { operationName: string; variables: { query?: string; groupObjects?: boolean } }) => b.operationName === 'BulkQueryRun' && b.variables.query === productsQuery && b.variables.groupObjects === true)
      .reply(200, started(operation('CREATED', { query: productsQuery })));
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(operation('COMPLETED', { query: productsQuery, objectCount: '4', url: fileUrl('/products-final') })));
    // As Shopify writes it: each collection a line of its own naming its product; a product in no collection.
    nock(STORAGE).get('/products-final').query(true).reply(200, jsonl([
      { id: 'gid://shopify/Product/11' },
      { title: 'Coffee', __parentId: 'gid://shopify/Product/11' },
      { title: 'Bestsellers', __parentId: 'gid://shopify/Product/11' },
      { id: 'gid://shopify/Product/12' },
    ]));
    const line = (product: string | null, vendor = 'Acme') => ({
      quantity: 1, discountedTotalSet: { shopMoney: { amount: '5.00', currencyCode: 'EUR' } },
      product: product === null ? null : { id: product, productType: 'Coffee', vendor },
    });
    const order = {
      id: 'gid://shopify/Order/1', updatedAt: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z', processedAt: '2026-01-01T00:00:00Z',
      cancelledAt: null, test: false, customer: { id: 'gid://shopify/Customer/1' }, name: '#1', displayFinancialStatus: 'PAID',
      currentTotalPriceSet: { shopMoney: { amount: '15.00', currencyCode: 'EUR' } },
      lineItems: { pageInfo: { hasNextPage: false }, nodes: [line('gid://shopify/Product/11'), line('gid://shopify/Product/12'), line(null)] },
    };
    let sent = '';
    nock(BASE).post(PATH, op('OrdersPage')).reply(200, (_u, b) => ((sent = (b as { query: string }).query), { data: { orders: { pageInfo: { hasNextPage: false, endCursor: 'o1' }, nodes: [order] } }, extensions: { cost: cost(998, 10, 1500) } }));
    const source = createShopifySource(client({ bulkPollMs: 5 }).c, mapping, { lookbackMinutes: 10 });
    const { pages: got, error } = await readAll(source.streams[1]!.read({ phase: 'incremental', since: 0 }, context));
    expect(error).toBeUndefined();
    expect(nock.pendingMocks()).toEqual([]);
    expect(sent).toContain('product { id productType vendor }');
    expect(got[0]!.warnings ?? []).toEqual([]);
    expect(got[0]!.purchases[0]!.items!.map((i) => i.collections)).toEqual([['Coffee', 'Bestsellers'], [], []]);
  });

  it('orders with read_products whose products read is refused: the orders are read all the same, collections marked unread (the store keeps its own), and the pull says so', async () => {
    nock(BASE).post(PATH, op('AccessScopes')).reply(200, scopesAnswer(['read_orders', 'read_all_orders', 'read_customers', 'read_products']));
    nock(BASE).post(PATH, op('BulkQueryRun')).reply(200, started(null, [{ field: ['query'], message: 'Access denied for products field.', code: 'INVALID' }]));
    const order = {
      id: 'gid://shopify/Order/1', updatedAt: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z', processedAt: '2026-01-01T00:00:00Z',
      cancelledAt: null, test: false, customer: { id: 'gid://shopify/Customer/1' }, name: '#1', displayFinancialStatus: 'PAID',
      currentTotalPriceSet: { shopMoney: { amount: '5.00', currencyCode: 'EUR' } },
      lineItems: { pageInfo: { hasNextPage: false }, nodes: [{ quantity: 1, discountedTotalSet: { shopMoney: { amount: '5.00' } }, product: { id: 'gid://shopify/Product/11', productType: 'Tea', vendor: 'Leaf' } }] },
    };
    nock(BASE).post(PATH, op('OrdersPage')).reply(200, { data: { orders: { pageInfo: { hasNextPage: false, endCursor: 'o1' }, nodes: [order] } }, extensions: { cost: cost(998, 10, 1500) } });
    const source = createShopifySource(client({ bulkPollMs: 5 }).c, mapping, { lookbackMinutes: 10 });
    const { pages: got, error } = await readAll(source.streams[1]!.read({ phase: 'incremental', since: 0 }, context));
    expect(error).toBeUndefined();
    expect(got[0]!.warnings).toEqual([collectionsFailedWarning('Shopify refused the bulk query: Access denied for products field. (INVALID)')]);
    expect(got[0]!.purchases[0]!.items).toEqual([{ productType: 'Tea', vendor: 'Leaf', collections: [], quantity: 1, amount: 5, unread: ['collections'] }]);
  });
});

describe('Shopify destination batches', () => {
  const mutationAnswer = (data: Record<string, unknown>, errors?: unknown[]) => ({
    data,
    ...(errors ? { errors } : {}),
    extensions: { cost: cost(30, 30, 1900) },
  });

  it('tags several customers in one aliased request; userErrors and per-alias errors fail only that customer; one that does not exist is gone', async () => {
    let sent: { query: string; variables: Record<string, unknown> } | undefined;
    nock(BASE).post(PATH).reply(200, (_uri, body) => {
      sent = body as typeof sent;
      return mutationAnswer(
        {
          t0: { node: { id: 'gid://shopify/Customer/1' }, userErrors: [] },
          t1: null,
          t2: { node: null, userErrors: [{ field: ['id'], message: 'Customer does not exist' }] },
        },
        [{ message: "Invalid global id 'gid://shopify/Customer/x'", path: ['t1'], extensions: { code: 'argumentLiteralsIncompatible' } }],
      );
    });
    const destination = createShopifyDestination(client().c, mapping);
    const ids = ['gid://shopify/Customer/1', 'gid://shopify/Customer/x', 'gid://shopify/Customer/3'];
    const result = await destination.apply({ kind: 'list_add', listId: 'segsync:champions', externalIds: ids });
    expect(sent!.query).toMatch(/t2: tagsAdd\(id: \$id2, tags: \$tags\)/);
    expect(sent!.variables).toEqual({ tags: ['segsync:champions'], id0: ids[0], id1: ids[1], id2: ids[2] });
    expect(result.applied).toEqual([ids[0]]);
    expect(result.failed).toEqual([
      { externalId: ids[1], reason: "gid://shopify/Customer/x, tags: Invalid global id 'gid://shopify/Customer/x'" },
    ]);
    // Deleted or erased on Shopify: the pipeline marks it gone instead of failing it at every push.
    expect(result.gone).toEqual([ids[2]]);
  });

  it('metafieldsSet userErrors (recorded INVALID_VALUE) fail those customers; the rest of the atomic call is sent again', async () => {
    const sent: Array<{ query: string; variables: Record<string, Array<Record<string, unknown>>> }> = [];
    nock(BASE).post(PATH, (b: { operationName: string }) => b.operationName === 'MetafieldDefinitions').reply(200, {
      data: { metafieldDefinitions: { nodes: [{ id: 'gid://shopify/MetafieldDefinition/1', key: 'rfm_r', name: 'R', type: { name: 'number_integer' } }] } },
      extensions: { cost: cost(202, 3, 1990) },
    });
    nock(BASE).post(PATH).reply(200, (_uri, body) => (sent.push(body as (typeof sent)[number]), { ...metafieldsInvalid, data: { s0: metafieldsInvalid.data.metafieldsSet, d0: { deletedMetafields: [null], userErrors: [] } } }));
    nock(BASE).post(PATH).reply(200, (_uri, body) => (sent.push(body as (typeof sent)[number]), mutationAnswer({ s0: { metafields: [{ key: 'rfm_segment', namespace: 'segsync' }], userErrors: [] } })));
    const destination = createShopifyDestination(client().c, mapping);
    const result = await destination.apply({
      kind: 'tokens',
      updates: [
        { externalId: 'gid://shopify/Customer/1', values: { rfm_segment: 'x'.repeat(20) } },
        { externalId: 'gid://shopify/Customer/2', values: { rfm_r: 'five', rfm_score: '' } },
        { externalId: 'gid://shopify/Customer/3', values: { rfm_segment: 'champions' } },
      ],
    });
    expect(sent[0]!.variables.s0).toEqual([
      { ownerId: 'gid://shopify/Customer/1', namespace: 'segsync', key: 'rfm_segment', type: 'single_line_text_field', value: 'x'.repeat(20) },
      { ownerId: 'gid://shopify/Customer/2', namespace: 'segsync', key: 'rfm_r', type: 'number_integer', value: 'five' },
      { ownerId: 'gid://shopify/Customer/3', namespace: 'segsync', key: 'rfm_segment', type: 'single_line_text_field', value: 'champions' },
    ]);
    // An empty value clears the metafield: metafieldsSet refuses blanks.
    expect(sent[0]!.variables.d0).toEqual([{ ownerId: 'gid://shopify/Customer/2', namespace: 'segsync', key: 'rfm_score' }]);
    expect(sent[1]!.variables.s0!.map((m) => m.ownerId)).toEqual(['gid://shopify/Customer/3']);
    expect(result.applied).toEqual(['gid://shopify/Customer/3']);
    expect(result.failed).toEqual([
      { externalId: 'gid://shopify/Customer/1', reason: 'gid://shopify/Customer/1, segsync.rfm_segment: Value does not exist in provided choices: ["Male", "Female", "Other"]. (INVALID_VALUE)' },
      { externalId: 'gid://shopify/Customer/2', reason: 'gid://shopify/Customer/2, segsync.rfm_r: Value has a maximum length of 10. (INVALID_VALUE)' },
    ]);
  });

  it('ensureList is the tag, with no request', async () => {
    const destination = createShopifyDestination(client().c, mapping);
    expect(await destination.ensureList({ key: 'at_risk', name: 'At Risk', kind: 'rfm', description: '' }, 'segsync · At Risk')).toBe('segsync:at_risk');
  });
});

describe('Shopify destination: a large push as bulk mutation operations, against the recorded answers', () => {
  const STORAGE = 'https://shopify-staged-uploads.storage.googleapis.com';
  const RESULT = 'https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/bulk-operation-outputs/op-final?GoogleAccessId=x&Expires=1&Signature=s';
  const OP = 'gid://shopify/BulkOperation/4242';
  const ids = ['gid://shopify/Customer/1', 'gid://shopify/Customer/2', 'gid://shopify/Customer/3', 'gid://shopify/Customer/4'];
  const op = (name: string) => (b: { operationName?: string }) => b.operationName === name;
  const staged = JSON.parse(JSON.stringify(stagedUploadRecorded).replace('"%1"', JSON.stringify(`${STORAGE}/`))) as typeof stagedUploadRecorded;
  const key = stagedUploadRecorded.data.stagedUploadsCreate.stagedTargets[0]!.parameters.find((p) => p.name === 'key')!.value;
  const created = JSON.parse(JSON.stringify(bulkMutationCreated).replace('%1', '4242')) as typeof bulkMutationCreated;
  /** The recorded poll (node-completed), as bulkOperation(id:) answers it, ended as given. */
  const polled = (fields: Record<string, unknown>) => ({ data: { bulkOperation: { ...bulkNodeCompleted.data.node, id: OP, ...fields } }, extensions: { cost: cost(1, 1, 1980) } });

  function bulkScopes(resultLines: string, ended: Record<string, unknown> = { url: RESULT }) {
    let uploaded = '';
    nock(BASE).post(PATH, op('BulkMutations')).reply(200, { data: { bulkOperations: { nodes: [] } }, extensions: { cost: cost(27, 2, 1998) } });
    nock(BASE).post(PATH, op('StagedUploadsCreate')).reply(200, { ...staged, extensions: { cost: cost(11, 11, 1987) } });
    // The storage gets the form without the shop's access token: the signed policy is the credential.
    nock(STORAGE, { badheaders: ['x-shopify-access-token'] })
      .post('/')
      .reply(201, (_uri, body) => {
        uploaded = String(body);
        return `<?xml version='1.0' encoding='UTF-8'?><PostResponse><Key>${key}</Key></PostResponse>`;
      });
    nock(BASE)
      .post(PATH, (b: { operationName?: string; variables?: { stagedUploadPath?: string; mutation?: string } }) => b.operationName === 'BulkMutationRun' && b.variables?.stagedUploadPath === key && /^mutation TagsAddBulk/.test(b.variables.mutation ?? ''))
      .reply(200, created);
    nock(BASE).post(PATH, op('BulkOperation')).reply(200, polled(ended));
    nock('https://storage.googleapis.com', { badheaders: ['x-shopify-access-token'] }).get(/bulk-operation-outputs/).reply(200, resultLines);
    return { uploaded: () => uploaded };
  }

  async function applyAll(batches: PlanBatch[], overrides: Partial<ShopifyConfig> = {}) {
    const destination = createShopifyDestination(client({ bulkPollMs: 5, bulkPush: 'always', ...overrides }).c, mapping);
    const results: Array<{ index: number; result: BatchResult }> = [];
    let error: unknown;
    try {
      for await (const r of destination.bulk!.apply(batches)) results.push(r);
    } catch (e) {
      error = e;
    }
    return { results, error };
  }

  it('stages the variables, uploads them, starts the operation with the staged key, and reads each line as that customer\'s outcome', async () => {
    // The recorded result lines' forms: a line with no userErrors, one with userErrors, one failed as a request.
    const lines = [
      { data: { tagsAdd: { userErrors: [] } }, __lineNumber: 0 },
      { data: { tagsAdd: { userErrors: [{ field: ['id'], message: 'Customer does not exist' }] } }, __lineNumber: 1 },
      {
        errors: [{ message: 'This customer is currently being modified. Please try again later.', locations: [{ line: 1, column: 47 }], path: ['tagsAdd'], extensions: { code: 'TOO_MANY_PARALLEL_REQUESTS' } }],
        data: { tagsAdd: null },
        __lineNumber: 2,
      },
    ];
    const shop = bulkScopes(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const { results, error } = await applyAll([{ kind: 'list_add', listId: 'segsync:champions', externalIds: ids.slice(0, 3) }]);
    expect(error).toBeUndefined();
    expect(nock.isDone()).toBe(true);
    // multipart/form-data: the recorded parameters in order, then the file, one line of variables per customer.
    const form = shop.uploaded();
    const names = [...form.matchAll(/; name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([...stagedUploadRecorded.data.stagedUploadsCreate.stagedTargets[0]!.parameters.map((p) => p.name), 'file']);
    for (const id of ids.slice(0, 3)) expect(form).toContain(JSON.stringify({ id, tags: ['segsync:champions'] }));
    expect(results).toEqual([
      {
        index: 0,
        result: {
          applied: [ids[0]],
          failed: [
            { externalId: ids[2], reason: `${ids[2]}, tags: This customer is currently being modified. Please try again later.` },
          ],
          gone: [ids[1]],
        },
      },
    ]);
  });

  it('an operation that FAILED: the lines its partial file answers are recorded, the others are neither applied nor failed, and the push fails to be run again', async () => {
    const lines = [{ data: { tagsAdd: { userErrors: [] } }, __lineNumber: 0 }, { data: { tagsAdd: { userErrors: [] } }, __lineNumber: 1 }];
    bulkScopes(lines.map((l) => JSON.stringify(l)).join('\n'), { status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', url: null, partialDataUrl: RESULT });
    const { results, error } = await applyAll([{ kind: 'list_add', listId: 'segsync:champions', externalIds: ids }]);
    expect(results).toEqual([{ index: 0, result: { applied: [ids[0], ids[1]], failed: [] } }]);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('retryable');
    expect((error as ApiError).message).toContain(`bulk operation ${OP} ended FAILED with errorCode INTERNAL_SERVER_ERROR; 2 of its lines have no answer`);
  });

  it('a COMPLETED operation without a result file (url "", as the recorded polls show): nothing is recorded, and the push says the next one sends it again', async () => {
    bulkScopes('', { url: '' });
    const { results, error } = await applyAll([{ kind: 'list_add', listId: 'segsync:champions', externalIds: ids.slice(0, 2) }]);
    expect(error).toBeUndefined();
    expect(results).toEqual([
      {
        index: 0,
        result: {
          applied: [],
          failed: [],
          warnings: [`Shopify: 2 lines of bulk operation ${OP} have no readable answer in its result file; their changes are not recorded and the next push sends them again.`],
        },
      },
    ]);
  });

  it('a line refused for a missing scope fails the push as the regular request would, naming the scope', async () => {
    const denied = { errors: [{ message: 'Access denied for tagsAdd field. Required access: `write_customers` access scope.', path: ['tagsAdd'], extensions: { code: 'ACCESS_DENIED' } }], data: { tagsAdd: null }, __lineNumber: 0 };
    bulkScopes(`${JSON.stringify(denied)}\n`);
    const { results, error } = await applyAll([{ kind: 'list_add', listId: 'segsync:champions', externalIds: ids.slice(0, 1) }]);
    expect((error as ApiError).kind).toBe('auth');
    expect((error as ApiError).message).toContain('the app lacks the write_customers scope');
    // Nothing recorded as applied (the operation's results were not taken in).
    expect(results.flatMap((r) => r.result.applied)).toEqual([]);
  });

  it('a small plan is no bulk plan: suits() weighs the regular mutations against the bucket', () => {
    const destination = createShopifyDestination(client().c, mapping);
    const plan = (customers: number) => ({ lists: [{ segmentKey: 's', listName: 'segsync:s', appliedSize: 0, add: Array.from({ length: customers }, (_, i) => `gid://shopify/Customer/${i + 1}`), remove: [], heldOut: 0 }], tokens: [] });
    // Standard plan assumed before Shopify reported a bucket: 2,000 + 30 s × 100 = 5,000 points, 500 tag changes.
    expect(destination.bulk!.suits({ ...emptyPlan, ...plan(500) })).toBe(false);
    expect(destination.bulk!.suits({ ...emptyPlan, ...plan(501) })).toBe(true);
    const never = createShopifyDestination(client({ bulkPush: 'never' }).c, mapping);
    expect(never.bulk!.suits({ ...emptyPlan, ...plan(100_000) })).toBe(false);
  });
});
