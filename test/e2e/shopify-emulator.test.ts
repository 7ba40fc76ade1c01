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
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN } from '../fixtures/shopify/world.js';

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
    const orders = await client.execute(ordersPage(mapping), { first: 30, after: null, query: null }, OrdersPageSchema);
    for (const n of orders.data.orders.nodes) expectShape(OrderNodeSchema, n);
    const scopes = await client.execute(ACCESS_SCOPES, {}, AccessScopesSchema);
    expect(scopes.data.currentAppInstallation.accessScopes.map((s) => s.handle)).toEqual(['read_all_orders', 'read_customers', 'read_orders', 'write_customers']);

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
