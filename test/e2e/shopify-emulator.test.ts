import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import type { z } from 'zod';
import { ShopifyClient } from '../../connectors/shopify/client.js';
import {
  ACCESS_SCOPES,
  customersPage,
  METAFIELD_DEFINITION_CREATE,
  METAFIELD_DEFINITIONS,
  ordersPage,
  tagsDocument,
  tokensDocument,
} from '../../connectors/shopify/documents.js';
import { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { adminSchema } from '../../connectors/shopify/emulator/schema.js';
import { shopify } from '../../connectors/shopify/index.js';
import {
  AccessScopesSchema,
  CustomerNodeSchema,
  CustomersPageSchema,
  EnvelopeSchema,
  MetafieldDefinitionCreateSchema,
  MetafieldDefinitionsSchema,
  MetafieldsDeletePayloadSchema,
  MetafieldsSetPayloadSchema,
  MutationDataSchema,
  OrderNodeSchema,
  OrdersPageSchema,
  TagsPayloadSchema,
} from '../../connectors/shopify/schemas.js';
import { loadMapping } from '../../src/config/mapping.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN } from '../helpers/shopify-world.js';

const PATH = '/admin/api/2026-07/graphql.json';
const mapping = loadMapping(shopify.defaultMappingFile);
const people = () => populationOn(generatePopulation(parsePopulationOptions({ seed: 5, size: 60, anchor: SHOPIFY_ANCHOR })), 'shopify');

function expectShape(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
}

async function start(options: ConstructorParameters<typeof ShopifyEmulator>[0] = {}) {
  const emulator = new ShopifyEmulator({ accessToken: SHOPIFY_TOKEN, ...options });
  emulator.load(people());
  const server = await emulator.listen();
  const post = async (query: string, variables: Record<string, unknown> = {}, token = SHOPIFY_TOKEN) => {
    const r = await fetch(`${server.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({ query, variables }),
    });
    return { status: r.status, json: (await r.json()) as { data?: Record<string, unknown> | null; errors?: unknown; extensions?: { cost?: Record<string, unknown>; search?: unknown } } };
  };
  const client = new ShopifyClient({ shopUrl: server.url, accessToken: SHOPIFY_TOKEN, timeoutMs: 5_000, maxAttempts: 1 });
  return { emulator, server, post, client };
}

describe('Shopify emulator', () => {
  let world: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    world = await start({ bucket: { maximumAvailable: 20_000, restoreRate: 10_000 } });
  });
  afterAll(() => world.server.close());

  it('answers the connector\'s own documents in shapes its schemas (checked against recorded answers) accept', async () => {
    const { client } = world;
    const customers = await client.execute(customersPage(mapping), { first: 20, after: null, query: null }, CustomersPageSchema);
    expect(customers.data.customers.nodes).toHaveLength(20);
    for (const n of customers.data.customers.nodes) expectShape(CustomerNodeSchema, n);
    expect(customers.cost).toMatchObject({ requestedQueryCost: 2 + 20 * 4, actualQueryCost: 2 + 20 * 4 });
    const orders = await client.execute(ordersPage(mapping), { first: ordersPage(mapping).pageSize, after: null, query: null }, OrdersPageSchema);
    for (const n of orders.data.orders.nodes) expectShape(OrderNodeSchema, n);
    const scopes = await client.execute(ACCESS_SCOPES, {}, AccessScopesSchema);
    expect(scopes.data.currentAppInstallation.accessScopes.map((s) => s.handle)).toEqual(['read_all_orders', 'read_customers', 'read_orders', 'read_products', 'write_customer_data_erasure', 'write_customers']);

    const ids = customers.data.customers.nodes.slice(0, 2).map((n) => (n as { id: string }).id);
    const tags = await client.execute(tagsDocument('tagsAdd', 2), { tags: ['segsync:champions'], id0: ids[0], id1: ids[1] }, MutationDataSchema, { partial: true });
    expectShape(TagsPayloadSchema, tags.data.t0);
    expect(tags.cost?.requestedQueryCost).toBe(20);
    const created = await client.execute(
      METAFIELD_DEFINITION_CREATE,
      { definition: { name: 'RFM recency', namespace: 'segsync', key: 'rfm_r', type: 'number_integer', ownerType: 'CUSTOMER', pin: true } },
      MetafieldDefinitionCreateSchema,
    );
    expect(created.data.metafieldDefinitionCreate.userErrors).toEqual([]);
    const again = await client.execute(
      METAFIELD_DEFINITION_CREATE,
      { definition: { name: 'RFM recency', namespace: 'segsync', key: 'rfm_r', type: 'number_integer', ownerType: 'CUSTOMER' } },
      MetafieldDefinitionCreateSchema,
    );
    // The recorded TAKEN answer's wording.
    expect(again.data.metafieldDefinitionCreate.userErrors).toEqual([
      { field: ['definition', 'key'], message: "Key is in use for Customer metafields on the 'segsync' namespace.", code: 'TAKEN' },
    ]);
    const defs = await client.execute(METAFIELD_DEFINITIONS, { namespace: 'segsync' }, MetafieldDefinitionsSchema);
    expect(defs.data.metafieldDefinitions.nodes.map((d) => [d.key, d.type.name])).toEqual([['rfm_r', 'number_integer']]);
    const tokens = await client.execute(
      tokensDocument(1, 1),
      {
        s0: [{ ownerId: ids[0], namespace: 'segsync', key: 'rfm_r', type: 'number_integer', value: '4' }],
        d0: [{ ownerId: ids[1], namespace: 'segsync', key: 'rfm_r' }],
      },
      MutationDataSchema,
      { partial: true },
    );
    expectShape(MetafieldsSetPayloadSchema, tokens.data.s0);
    expectShape(MetafieldsDeletePayloadSchema, tokens.data.d0);
    expect(world.emulator.getCustomer(ids[0]!)).toMatchObject({ tags: expect.arrayContaining(['segsync:champions']), metafields: { 'segsync.rfm_r': { type: 'number_integer', value: '4' } } });
  });

  it('puts extensions.cost on every GraphQL answer and logs cost and writes', async () => {
    world.emulator.resetRequestLog();
    const ok = await world.post('query Shop { shop { id name } }');
    expectShape(EnvelopeSchema, ok.json);
    expect(ok.json.extensions?.cost).toMatchObject({ requestedQueryCost: 1, actualQueryCost: 1, throttleStatus: { maximumAvailable: 20_000, restoreRate: 10_000 } });
    expect(world.emulator.requests).toEqual([expect.objectContaining({ operation: 'Shop', write: false, requestedCost: 1, actualCost: 1, throttled: false, status: 200 })]);
  });

  it('rejects an invalid query exactly as graphql validation does', async () => {
    const query = 'query { customers(first: 5) { nodes { id email2 } } }';
    const expected = validate(adminSchema(), parse(query)).map((e) => e.message);
    const { status, json } = await world.post(query);
    expect(status).toBe(200);
    expect((json.errors as Array<{ message: string }>).map((e) => e.message)).toEqual(expected);
    expect(expected[0]).toMatch(/Cannot query field "email2" on type "Customer"/);
    expect(json.data).toBeUndefined();
  });

  it('refuses a wrong token with 401 and Shopify\'s body', async () => {
    const { status, json } = await world.post('query { shop { id } }', {}, 'shpat_wrong');
    expect(status).toBe(401);
    expect(json).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });

  it('refuses a query above 1,000 requested points with MAX_COST_EXCEEDED, before running it', async () => {
    const { json } = await world.post('query { customers(first: 250) { nodes { id defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } defaultAddress { city } amountSpent { amount } } } }');
    const error = (json.errors as Array<{ message: string; extensions: Record<string, unknown> }>)[0]!;
    expect(error.extensions).toMatchObject({ code: 'MAX_COST_EXCEEDED', cost: 1252, maxCost: 1000 });
    expect(error.message).toMatch(/^Query cost is 1252, which exceeds the single query max cost limit \(1000\)/);
    expect(json.extensions?.cost).toMatchObject({ requestedQueryCost: 1252, actualQueryCost: null });
  });

  it('pages at most 250, and wants first or last', async () => {
    const over = await world.post('query { customers(first: 251) { nodes { id } } }');
    expect(JSON.stringify(over.json.errors)).toMatch(/first must be between 0 and 250/);
    const none = await world.post('query { customers { nodes { id } } }');
    expect((none.json.errors as Array<{ message: string }>)[0]!.message).toBe('you must provide one of first or last');
  });

  it('filters with the search syntax on updated_at, and reports unknown fields in extensions.search', async () => {
    const all = world.emulator.listCustomers();
    const cut = [...all].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))[Math.floor(all.length / 2)]!.updatedAt;
    const expected = all.filter((c) => c.updatedAt >= cut).length;
    const { json } = await world.post(
      'query($q: String) { customers(first: 250, query: $q, sortKey: UPDATED_AT) { nodes { id updatedAt } } }',
      { q: `updated_at:>='${cut}'` },
    );
    const nodes = (json.data!.customers as { nodes: Array<{ updatedAt: string }> }).nodes;
    expect(nodes).toHaveLength(expected);
    expect(nodes.every((n, i) => n.updatedAt >= cut && (i === 0 || nodes[i - 1]!.updatedAt <= n.updatedAt))).toBe(true);
    const day = cut.slice(0, 10);
    const byDay = await world.post('query($q: String) { customers(first: 250, query: $q) { nodes { updatedAt } } }', { q: `updated_at:${day}` });
    for (const n of (byDay.json.data!.customers as { nodes: Array<{ updatedAt: string }> }).nodes) expect(n.updatedAt.slice(0, 10)).toBe(day);
    const unknown = await world.post('query { customers(first: 1, query: "favourite_colour:blue") { nodes { id } } }');
    expect(JSON.stringify(unknown.json.extensions?.search)).toMatch(/favourite_colour.*Invalid search field/);
  });

  it('user actions change what Shopify shows and move updatedAt', async () => {
    const [first] = world.emulator.listCustomers();
    const before = first!.updatedAt;
    await new Promise((r) => setTimeout(r, 1_100));
    world.emulator.updateCustomer(first!.id, { city: 'Reykjavík' });
    const after = world.emulator.getCustomer(first!.id)!;
    expect(after.city).toBe('Reykjavík');
    expect(after.updatedAt > before).toBe(true);
    const order = world.emulator.listOrders().find((o) => !o.cancelled && !o.test && o.financialStatus === 'PAID')!;
    world.emulator.cancelOrder(order.id);
    expect(world.emulator.listOrders().find((o) => o.id === order.id)).toMatchObject({ cancelled: true, financialStatus: 'REFUNDED' });
    expect(world.emulator.customerIdForEmail(` ${first!.email!.toUpperCase()} `)).toBe(first!.id);
  });

  it('never serves the hidden customer type', async () => {
    const { json } = await world.post('query { customers(first: 50) { nodes { id note tags state } } }');
    expect(JSON.stringify(json)).not.toMatch(/frequent_small_buyer|rare_big_spender|lapsed_regular|recent_first_timer|one_off_bargain_buyer|trueType/);
  });
});

describe('Shopify emulator limits and scopes', () => {
  it('answers THROTTLED like the recorded body, with the cost, when the bucket is empty', async () => {
    const w = await start({ bucket: { maximumAvailable: 100, restoreRate: 1 } });
    try {
      const q = 'query { customers(first: 20) { nodes { id } } }'; // 22 points
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await w.post(q));
      const last = answers[4]!;
      expect(last.status).toBe(200);
      expect(last.json.errors).toEqual([{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }]);
      expect(last.json.extensions?.cost).toMatchObject({ requestedQueryCost: 22, actualQueryCost: null, throttleStatus: { maximumAvailable: 100, restoreRate: 1 } });
      expect(w.emulator.requests.filter((r) => r.throttled)).toHaveLength(1);
    } finally {
      await w.server.close();
    }
    const w429 = await start({ bucket: { maximumAvailable: 10, restoreRate: 1 }, throttledStatus: 429 });
    try {
      expect((await w429.post('query { customers(first: 20) { nodes { id } } }')).status).toBe(429);
    } finally {
      await w429.server.close();
    }
  });

  it('without read_customers answers ACCESS_DENIED; without read_all_orders hides orders older than 60 days', async () => {
    const w = await start({ scopes: ['read_orders'] });
    try {
      const denied = await w.post('query { customers(first: 1) { nodes { id } } }');
      expect((denied.json.errors as Array<{ extensions: { code: string } }>)[0]!.extensions.code).toBe('ACCESS_DENIED');
      expect(JSON.stringify(denied.json.errors)).toContain('Required access: `read_customers` access scope.');
      const cutoff = Date.now() - 60 * 86_400_000;
      const recent = w.emulator.listOrders().filter((o) => Date.parse(o.createdAt) >= cutoff);
      expect(recent.length).toBeLessThan(w.emulator.listOrders().length);
      const { json } = await w.post('query { orders(first: 250) { nodes { id createdAt } } }');
      const seen = (json.data!.orders as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id).sort();
      expect(seen).toEqual(recent.map((o) => o.id).sort());
    } finally {
      await w.server.close();
    }
  });

  it('mounts in the sandbox server under /shopify with the environment segsync needs', async () => {
    const sandbox = await startSandbox({ registry: [shopify as ConnectorDescriptor<never>], size: 20, seed: 3 });
    try {
      expect(sandbox.env).toEqual({ SHOPIFY_ACCESS_TOKEN: 'shpat_sandbox-shopify-token', SHOPIFY_SHOP_URL: `${sandbox.url}/shopify` });
      const client = new ShopifyClient({ shopUrl: sandbox.env.SHOPIFY_SHOP_URL!, accessToken: sandbox.env.SHOPIFY_ACCESS_TOKEN!, timeoutMs: 5_000 });
      const { data } = await client.execute(customersPage(mapping), { first: 50, after: null, query: null }, CustomersPageSchema);
      const onShopify = [...populationOn(generatePopulation(sandbox.population), 'shopify')].length;
      expect(data.customers.nodes).toHaveLength(onShopify);
    } finally {
      await sandbox.close();
    }
  });
});

describe('Shopify emulator bulk operations', () => {
  const RUN = 'mutation Run($q: String!, $g: Boolean) { bulkOperationRunQuery(query: $q, groupObjects: $g) { bulkOperation { id status url objectCount createdAt } userErrors { field message code } } }';
  const POLL = 'query Poll($id: ID!) { bulkOperation(id: $id) { id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query type } }';
  type Op = { id: string; status: string; errorCode: string | null; createdAt: string; completedAt: string | null; objectCount: string; rootObjectCount: string; fileSize: string | null; url: string | null; partialDataUrl: string | null; query: string };
  type World = Awaited<ReturnType<typeof start>>;

  async function run(w: World, q: string, groupObjects?: boolean) {
    const { json } = await w.post(RUN, { q, ...(groupObjects === undefined ? {} : { g: groupObjects }) });
    return { json, payload: json.data!.bulkOperationRunQuery as { bulkOperation: Op | null; userErrors: Array<{ field: string[] | null; message: string; code: string }> } };
  }
  const poll = async (w: World, id: string) => (await w.post(POLL, { id })).json.data!.bulkOperation as Op | null;
  async function completed(w: World, id: string): Promise<Op> {
    for (let i = 0; i < 100; i++) {
      const op = (await poll(w, id))!;
      if (op.status !== 'RUNNING' && op.status !== 'CREATED') return op;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('bulk operation did not end');
  }
  const errorsOf = async (w: World, q: string) => (await run(w, q)).payload.userErrors;

  let world: World;
  beforeAll(async () => {
    world = await start({ bulk: { delayMs: 60 } });
  });
  afterAll(() => world.server.close());

  it('runs CREATED → RUNNING → COMPLETED; the mutation costs 10, a poll 1; counts and sizes are strings', async () => {
    world.emulator.resetRequestLog();
    const q = '{ customers { edges { node { id updatedAt defaultEmailAddress { emailAddress } } } } }';
    const { json, payload } = await run(world, q);
    expect(payload.userErrors).toEqual([]);
    expect(payload.bulkOperation).toMatchObject({ status: 'CREATED', url: null, objectCount: '0' });
    expect(json.extensions?.cost).toMatchObject({ requestedQueryCost: 10, actualQueryCost: 10 });
    const id = payload.bulkOperation!.id;
    expect(id).toMatch(/^gid:\/\/shopify\/BulkOperation\/\d+$/);
    const running = (await poll(world, id))!;
    expect(running).toMatchObject({ status: 'RUNNING', url: null, fileSize: null, completedAt: null, errorCode: null, query: q, type: 'QUERY' });
    expect(running.objectCount).toMatch(/^\d+$/);
    const done = await completed(world, id);
    const customers = world.emulator.listCustomers().length;
    expect(done).toMatchObject({ status: 'COMPLETED', errorCode: null, objectCount: String(customers), rootObjectCount: String(customers), partialDataUrl: null });
    expect(done.fileSize).toMatch(/^\d+$/);
    expect(Date.parse(done.completedAt!)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));
    const polls = world.emulator.requests.filter((r) => r.operation === 'Poll');
    expect(polls.every((r) => r.requestedCost === 1 && r.actualCost === 1 && !r.write)).toBe(true);
    expect(world.emulator.requests.find((r) => r.operation === 'Run')).toMatchObject({ write: true, requestedCost: 10 });
    // The deprecated currentBulkOperation and node(id:) show the same operation.
    const current = await world.post('query { currentBulkOperation { id status objectCount } }');
    expect(current.json.data!.currentBulkOperation).toEqual({ id, status: 'COMPLETED', objectCount: String(customers) });
    const node = await world.post('query($id: ID!) { node(id: $id) { ... on BulkOperation { id status url } } }', { id });
    expect(node.json.data!.node).toEqual({ id, status: 'COMPLETED', url: done.url });

    // The file: a plain GET without the token, one line per customer, "/" escaped as Shopify does.
    const response = await fetch(done.url!);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Buffer.byteLength(text)).toBe(Number(done.fileSize));
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(customers);
    expect(lines[0]).toMatch(/^\{"id":"gid:\\\/\\\/shopify\\\/Customer\\\/\d+","updatedAt":"[^"]+","defaultEmailAddress":\{"emailAddress":/);
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(world.emulator.listCustomers().map((c) => c.id).sort());
  });

  it('ungrouped (the 2026-01+ default), nested nodes need not follow their parent: here they come after every root', async () => {
    const { payload } = await run(world, '{ customers(query: "id:>=1001") { edges { node { id orders(sortKey: ID) { edges { node { id name } } } } } } }');
    const done = await completed(world, payload.bulkOperation!.id);
    const objects = (await (await fetch(done.url!)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const firstChild = objects.findIndex((o) => o.__parentId !== undefined);
    expect(firstChild).toBe(world.emulator.listCustomers().length);
    expect(objects.slice(firstChild).every((o) => o.__parentId !== undefined)).toBe(true);
  });

  it('writes nested connection nodes as lines of their own, with __parentId last, after their parent (groupObjects: true)', async () => {
    const { payload } = await run(world, '{ customers(query: "id:>=1001") { edges { node { id orders(sortKey: ID) { edges { node { id name } } } } } } }', true);
    const done = await completed(world, payload.bulkOperation!.id);
    const objects = (await (await fetch(done.url!)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const orders = world.emulator.listOrders();
    expect(done.objectCount).toBe(String(world.emulator.listCustomers().length + orders.length));
    expect(done.rootObjectCount).toBe(String(world.emulator.listCustomers().length));
    let parent: string | undefined;
    for (const o of objects) {
      if (o.__parentId === undefined) {
        expect(Object.keys(o)).toEqual(['id']);
        parent = o.id as string;
      } else {
        expect(Object.keys(o)).toEqual(['id', 'name', '__parentId']);
        expect(o.__parentId).toBe(parent);
        expect(orders.find((x) => x.id === o.id)?.customerId).toBe(parent);
      }
    }
    expect(objects.filter((o) => o.__parentId !== undefined)).toHaveLength(orders.length);
  });

  it('refuses with userErrors what Shopify refuses in a bulk query', async () => {
    const six = '{ products { edges { node { id variants { edges { node { id } } } media { edges { node { id } } } collections { edges { node { id } } } metafields { edges { node { id } } } sellingPlanGroups { edges { node { id } } } } } } }';
    expect(await errorsOf(world, six)).toEqual([{ field: ['query'], message: 'Bulk queries cannot contain more than 5 connections.', code: 'INVALID' }]);
    const deep = '{ customers { edges { node { id orders { edges { node { id lineItems { edges { node { id } } } } } } } } } }';
    expect(await errorsOf(world, deep)).toEqual([{ field: ['query'], message: 'Bulk queries cannot contain connections with a nesting depth greater than 2.', code: 'INVALID' }]);
    expect((await errorsOf(world, '{ node(id: "gid://shopify/Customer/1001") { id } }'))[0]!.message).toBe('Bulk queries cannot contain a top level `node` field.');
    expect((await errorsOf(world, '{ shop { id name } }'))[0]!.message).toBe('Bulk queries must contain at least one connection.');
    expect((await errorsOf(world, '{ customers { edges { node { email orders { edges { node { id } } } } } } }'))[0]!.message).toMatch(/must select the 'id' field/);
    expect((await errorsOf(world, '{ customers { edges { node { id emial } } } }'))[0]).toEqual({ field: ['query'], message: 'Cannot query field "emial" on type "Customer". Did you mean "email"?', code: 'INVALID' });
    expect((await errorsOf(world, '{ customers { edges { node { id } } '))[0]!.message).toMatch(/^Invalid bulk query: Syntax Error/);
    expect((await errorsOf(world, 'mutation { tagsAdd(id: "gid://shopify/Customer/1001", tags: ["x"]) { userErrors { message } } }'))[0]!.message).toMatch(/Only `query` operations/);
    expect(world.emulator.bulkOperations().every((o) => !/emial|lineItems|products/.test(o.query))).toBe(true);
  });

  it('runs at most five bulk queries at a time (2026-01 and later): the sixth gets LIMIT_REACHED', async () => {
    const w = await start({ bulk: { delayMs: 300 } });
    try {
      const q = '{ customers { edges { node { id } } } }';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await run(w, q)).payload.bulkOperation!.id);
      expect((await run(w, q)).payload).toEqual({
        bulkOperation: null,
        userErrors: [{ field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }],
      });
      for (const id of ids) await completed(w, id);
      expect((await run(w, q)).payload.userErrors).toEqual([]);
    } finally {
      await w.server.close();
    }
  });

  it('serves the file only at its signed URL, until it expires; a query finding nothing has url null', async () => {
    const { payload } = await run(world, '{ customers { edges { node { id } } } }');
    const done = await completed(world, payload.bulkOperation!.id);
    const url = new URL(done.url!);
    expect(url.searchParams.get('Signature')).toBeTruthy();
    expect(Number(url.searchParams.get('Expires')) * 1000 - Date.parse(done.completedAt!)).toBe(7 * 86_400_000);
    const tampered = new URL(url);
    tampered.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 86_400));
    const refused = await fetch(tampered);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    world.emulator.expireBulkOperations();
    expect(await poll(world, done.id)).toMatchObject({ status: 'EXPIRED', url: null });
    const expired = await fetch(done.url!);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('<Code>ExpiredToken</Code>');

    const none = await run(world, '{ customers(query: "email:nobody@nowhere.example") { edges { node { id } } } }');
    expect(await completed(world, none.payload.bulkOperation!.id)).toMatchObject({ status: 'COMPLETED', objectCount: '0', url: null, fileSize: null });
    expect(await poll(world, 'gid://shopify/BulkOperation/999999')).toBeNull();
  });

  it('fails: ACCESS_DENIED without the scope; INTERNAL_SERVER_ERROR with partial data; cancel', async () => {
    const w = await start({ scopes: ['read_customers'], bulk: { delayMs: 40 } });
    try {
      const denied = await run(w, '{ orders { edges { node { id } } } }');
      expect(await completed(w, denied.payload.bulkOperation!.id)).toMatchObject({ status: 'FAILED', errorCode: 'ACCESS_DENIED', url: null, partialDataUrl: null });
      w.emulator.failNextBulkOperation('INTERNAL_SERVER_ERROR');
      const failed = await completed(w, (await run(w, '{ customers { edges { node { id } } } }')).payload.bulkOperation!.id);
      expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', url: null });
      const partial = (await (await fetch(failed.partialDataUrl!)).text()).trim().split('\n');
      expect(partial.length).toBe(Number(failed.objectCount));
      expect(partial.length).toBeLessThan(w.emulator.listCustomers().length);
      const slow = await start({ bulk: { delayMs: 5_000 } });
      try {
        const id = (await run(slow, '{ customers { edges { node { id } } } }')).payload.bulkOperation!.id;
        const cancel = await slow.post('mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } } }', { id });
        expect(cancel.json.data!.bulkOperationCancel).toEqual({ bulkOperation: { status: 'CANCELING' }, userErrors: [] });
        await new Promise((r) => setTimeout(r, 5));
        expect(await poll(slow, id)).toMatchObject({ status: 'CANCELED', url: null });
      } finally {
        await slow.server.close();
      }
    } finally {
      await w.server.close();
    }
  });

  it('behind the sandbox\'s /shopify mount, result URLs point through the mount', async () => {
    const sandbox = await startSandbox({ registry: [shopify as ConnectorDescriptor<never>], size: 20, seed: 3 });
    try {
      const url = `${sandbox.env.SHOPIFY_SHOP_URL}${PATH}`;
      const post = async (query: string, variables: Record<string, unknown>) =>
        (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': sandbox.env.SHOPIFY_ACCESS_TOKEN! }, body: JSON.stringify({ query, variables }) })).json()) as { data: Record<string, { bulkOperation?: Op } & Op> };
      const id = (await post(RUN, { q: '{ customers { edges { node { id } } } }' })).data.bulkOperationRunQuery!.bulkOperation!.id;
      await new Promise((r) => setTimeout(r, 300));
      const done = (await post(POLL, { id })).data.bulkOperation!;
      expect(done.url!.startsWith(`${sandbox.url}/shopify/bulk-operation-outputs/`)).toBe(true);
      const lines = (await (await fetch(done.url!)).text()).trim().split('\n');
      expect(lines).toHaveLength([...populationOn(generatePopulation(sandbox.population), 'shopify')].length);
    } finally {
      await sandbox.close();
    }
  });
});
