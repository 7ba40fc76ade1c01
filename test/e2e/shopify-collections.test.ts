/**
 * Shopify order lines and read_products, end to end against the emulator: with the scope, every
 * line carries its product's collections (read by a products bulk query of their own), in bulk
 * and in pages alike; without it, the orders are read all the same, lines without their product,
 * and the pull and `doctor` say what to grant.
 */
import { describe, expect, it } from 'vitest';
import { ShopifyClient } from '../../connectors/shopify/client.js';
import { collectionsFailedWarning } from '../../connectors/shopify/collections.js';
import { diagnoseShopify } from '../../connectors/shopify/diagnose.js';
import { SHOPIFY_GRAPHQL_PATH } from '../../connectors/shopify/config.js';
import { shopify } from '../../connectors/shopify/index.js';
import { createShopifySource, READ_PRODUCTS_WARNING } from '../../connectors/shopify/source.js';
import { loadMapping } from '../../src/config/mapping.js';
import { pull } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { catalogueCollections, generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN, shopifyWorld, signal, type ShopifyWorld } from '../helpers/shopify-world.js';

const SIZE = 60;
const SEED = 23;
const WITHOUT_PRODUCTS = ['read_customers', 'write_customers', 'read_orders', 'read_all_orders'];

interface Line {
  id: string;
  type: string | null;
  vendor: string | null;
  collections: string[];
}

function lines(session: Session, orderId?: string): Line[] {
  const rows = session.db.prepare(`SELECT purchase_external_id AS id, product_type AS type, vendor, collections FROM purchase_items
      WHERE platform = 'shopify' AND (? IS NULL OR purchase_external_id = ?) ORDER BY purchase_external_id, line`).all(orderId ?? null, orderId ?? null) as Array<Omit<Line, 'collections'> & { collections: string }>;
  return rows.map((r) => ({ ...r, collections: JSON.parse(r.collections) as string[] }));
}

/** Lines the shop holds: every won or open purchase's items (lost ones become voided orders without lines). */
function linesInShop(): number {
  const people = [...populationOn(generatePopulation(parsePopulationOptions({ seed: SEED, size: SIZE, anchor: SHOPIFY_ANCHOR })), 'shopify')];
  return people.flatMap((p) => p.purchases).filter((p) => p.status !== 'lost').reduce((n, p) => n + (p.items?.length ?? 0), 0);
}

/** A paid order with lines: changed by cancelling it (its updatedAt moves, so an incremental pull reads it by pages). */
function changeAnOrderWithLines(w: ShopifyWorld, session: Session): string {
  const withLines = new Set(lines(session).map((l) => l.id));
  const order = w.emulator.listOrders().find((o) => !o.cancelled && !o.test && withLines.has(o.id))!;
  w.emulator.cancelOrder(order.id);
  // Stale values the page read must replace.
  session.db.prepare(`UPDATE purchase_items SET collections = '["Stale"]' WHERE purchase_external_id = ?`).run(order.id);
  return order.id;
}

describe('Shopify with read_products: each order line carries its product\'s collections', () => {
  it('a full pull, then an incremental pull after an order changes: every line\'s collections are the catalogue\'s for its product type', async () => {
    const w = await shopifyWorld({ size: SIZE, seed: SEED });
    try {
      const session = w.open();
      const full = await pull(session, { full: true, signal });
      const stored = lines(session);
      expect(stored.length).toBe(linesInShop());
      expect(stored.length).toBeGreaterThan(20);
      for (const line of stored) {
        expect(line.type, line.id).not.toBeNull();
        expect(line.collections, `${line.id} ${line.type}`).toEqual(catalogueCollections(line.type!));
      }
      expect(stored.some((l) => l.collections.length > 1)).toBe(true);
      // One bulk operation on the products root, before the orders'.
      const queries = w.emulator.bulkOperations().map((o) => o.query);
      const products = queries.findIndex((q) => /^\{\s*products \{/.test(q));
      expect(products).toBeGreaterThanOrEqual(0);
      expect(queries.findIndex((q) => /^\{\s*orders \{/.test(q))).toBeGreaterThan(products);
      const orderWarnings = full.streams.find((s) => s.stream === 'purchases')!.warnings;
      expect(orderWarnings.filter((m) => /read_products|collections/.test(m))).toEqual([]);

      const changed = changeAnOrderWithLines(w, session);
      w.emulator.resetRequestLog();
      // The products file (this pull's one download) breaks off after 3 lines: read again from the start.
      w.emulator.cutBulkDownloads(3);
      const incremental = await pull(session, { full: false, signal });
      expect(incremental.streams.find((s) => s.stream === 'purchases')!.mode).toBe('incremental');
      expect(w.emulator.requests.some((r) => r.operation === 'OrdersPage')).toBe(true);
      expect(w.emulator.requests.filter((r) => r.method === 'GET').length).toBe(2);
      expect(incremental.streams.find((s) => s.stream === 'purchases')!.warnings.filter((m) => /collections/.test(m))).toEqual([]);
      const again = lines(session, changed);
      expect(again.length).toBeGreaterThan(0);
      for (const line of again) expect(line.collections, line.type ?? '').toEqual(catalogueCollections(line.type!));
      // Nothing else changed.
      expect(lines(session)).toEqual(stored);
    } finally {
      await w.close();
    }
  });

  it('a products read that fails does not fail the orders pull: it says so, and the collections stored earlier are kept', async () => {
    const w = await shopifyWorld({ size: SIZE, seed: SEED });
    try {
      const session = w.open();
      await pull(session, { full: true, signal });
      const changed = changeAnOrderWithLines(w, session);
      const before = lines(session, changed);
      // The incremental pull's first bulk operation is the products one (customers and orders are paged).
      w.emulator.failNextBulkOperation('INTERNAL_SERVER_ERROR');
      const result = await pull(session, { full: false, signal });
      const orders = result.streams.find((s) => s.stream === 'purchases')!;
      expect(orders.stored).toBeGreaterThan(0);
      const warning = orders.warnings.find((m) => m.startsWith('Shopify: product collections were not read'));
      expect(warning).toBeDefined();
      expect(warning).toContain('INTERNAL_SERVER_ERROR');
      expect(collectionsFailedWarning('x')).toContain('the collections stored earlier are kept');
      // The order was read again (it changed), its lines too: the collections this read could not
      // learn are not blanked.
      const again = lines(session, changed);
      expect(again.length).toBeGreaterThan(0);
      expect(again).toEqual(before);
      for (const line of again) expect(line.type).not.toBeNull();
    } finally {
      await w.close();
    }
  });

  it('a scope taken away later blanks nothing: product types and collections read before are kept, and the pull says what to grant', async () => {
    const w = await shopifyWorld({ size: SIZE, seed: SEED });
    try {
      const session = w.open();
      await pull(session, { full: true, signal });
      const stored = lines(session);
      expect(stored.every((l) => l.type !== null)).toBe(true);
      w.emulator.setScopes(WITHOUT_PRODUCTS);
      const result = await pull(session, { full: true, signal });
      expect(result.streams.find((s) => s.stream === 'purchases')!.warnings).toContain(READ_PRODUCTS_WARNING);
      expect(lines(session)).toEqual(stored);
    } finally {
      await w.close();
    }
  });
});

describe('Shopify orders read again by id (quarantined ones)', () => {
  it('take their lines\' collections from the products read too; without read_products, lines without their product', async () => {
    const w = await shopifyWorld({ size: 20, seed: SEED });
    try {
      const client = new ShopifyClient({ shopUrl: w.url, accessToken: SHOPIFY_TOKEN, timeoutMs: 5_000, maxAttempts: 1, bulkPollMs: 50 });
      const orders = createShopifySource(client, loadMapping(shopify.defaultMappingFile), { lookbackMinutes: 10 }).streams.find((s) => s.name === 'purchases')!;
      const ids = w.emulator.listOrders().filter((o) => !o.test).map((o) => o.id);
      const read = async () => {
        const items = [];
        for await (const page of orders.refetch!(ids, { signal, full: false, now: Date.now })) for (const p of page.purchases) items.push(...(p.items ?? []));
        return items;
      };
      const granted = await read();
      expect(granted.length).toBeGreaterThan(0);
      for (const item of granted) expect(item.collections, item.productType ?? '').toEqual(catalogueCollections(item.productType!));
      w.emulator.setScopes(WITHOUT_PRODUCTS);
      const without = await read();
      expect(without.length).toBe(granted.length);
      for (const item of without) expect([item.productType, item.vendor !== null, item.collections]).toEqual([null, true, []]);
    } finally {
      await w.close();
    }
  });
});

describe('Shopify without read_products', () => {
  it('pulls every order, lines with their vendor but no product type or collections, and the warning says what to grant', async () => {
    const w = await shopifyWorld({ size: SIZE, seed: SEED, emulator: { scopes: WITHOUT_PRODUCTS } });
    try {
      const session = w.open();
      const result = await pull(session, { full: true, signal });
      const orders = result.streams.find((s) => s.stream === 'purchases')!;
      expect(orders.warnings).toContain(READ_PRODUCTS_WARNING);
      expect(READ_PRODUCTS_WARNING).toMatch(/lacks the read_products scope/);
      expect(READ_PRODUCTS_WARNING).toMatch(/product types and collections are missing/);
      expect(READ_PRODUCTS_WARNING).toMatch(/Grant read_products to the app, then reinstall it/);
      const stored = (session.db.prepare(`SELECT COUNT(*) AS n FROM purchases WHERE platform = 'shopify'`).get() as { n: number }).n;
      expect(stored).toBe(w.emulator.listOrders().filter((o) => !o.test).length);
      const all = lines(session);
      expect(all.length).toBe(linesInShop());
      for (const line of all) expect({ type: line.type, vendorSet: line.vendor !== null, collections: line.collections }, line.id).toEqual({ type: null, vendorSet: true, collections: [] });
      // The products root is never asked for.
      expect(w.emulator.bulkOperations().some((o) => /products/.test(o.query))).toBe(false);

      // Pages too (an incremental pull after an order changed): nothing was ever known of the
      // product, and what is stored of the collections stays.
      const changed = changeAnOrderWithLines(w, session);
      const before = lines(session, changed);
      const incremental = await pull(session, { full: false, signal });
      expect(incremental.streams.find((s) => s.stream === 'purchases')!.warnings).toContain(READ_PRODUCTS_WARNING);
      expect(lines(session, changed)).toEqual(before);
      for (const line of lines(session, changed)) expect([line.type, line.vendor !== null]).toEqual([null, true]);
    } finally {
      await w.close();
    }
  });

  it('doctor warns (not fails) that read_products is missing, with what it costs and how to grant it', async () => {
    const w = await shopifyWorld({ size: 10, seed: SEED, emulator: { scopes: WITHOUT_PRODUCTS } });
    try {
      const client = new ShopifyClient({ shopUrl: w.url, accessToken: SHOPIFY_TOKEN, timeoutMs: 5_000, maxAttempts: 1 });
      const checks = await diagnoseShopify(client, loadMapping(shopify.defaultMappingFile), { tokens: [], lists: [], destination: true, signal });
      expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
      const products = checks.find((c) => c.name === 'shopify products');
      expect(products?.status).toBe('warn');
      expect(products?.detail).toContain('product types and collections are missing');
      expect(products?.fix).toContain('grant read_products to the app');
      expect(products?.fix).toContain('reinstall');
      // With the scope (the emulator's default), no such line.
      w.emulator.setScopes([...WITHOUT_PRODUCTS, 'read_products']);
      const granted = await diagnoseShopify(client, loadMapping(shopify.defaultMappingFile), { tokens: [], lists: [], destination: true, signal });
      expect(granted.find((c) => c.name === 'shopify products')).toBeUndefined();
      expect(granted.filter((c) => c.status !== 'ok')).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe('Shopify emulator: products need read_products', () => {
  async function post(w: ShopifyWorld, query: string): Promise<{ data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
    const r = await fetch(`${w.url}${SHOPIFY_GRAPHQL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': SHOPIFY_TOKEN },
      body: JSON.stringify({ query }),
    });
    return (await r.json()) as Awaited<ReturnType<typeof post>>;
  }

  it('LineItem.product and products answer ACCESS_DENIED without the scope; with it, products lists what the lines name, with the catalogue\'s collections', async () => {
    const w = await shopifyWorld({ size: 20, seed: SEED, emulator: { scopes: WITHOUT_PRODUCTS } });
    try {
      const lineProducts = await post(w, '{ orders(first: 5) { nodes { id lineItems(first: 5) { nodes { vendor product { id } } } } } }');
      expect(lineProducts.errors?.[0]?.extensions?.code).toBe('ACCESS_DENIED');
      expect(lineProducts.errors?.[0]?.message).toContain('Required access: `read_products` access scope.');
      const vendors = await post(w, '{ orders(first: 5) { nodes { id lineItems(first: 5) { nodes { vendor } } } } }');
      expect(vendors.errors, JSON.stringify(vendors.errors)).toBeUndefined();
      const products = await post(w, '{ products(first: 5) { nodes { id } } }');
      expect(products.errors?.[0]?.message).toContain('Required access: `read_products` access scope.');

      w.emulator.setScopes([...WITHOUT_PRODUCTS, 'read_products']);
      const listed = await post(w, '{ products(first: 50) { nodes { id productType vendor collections(first: 5) { nodes { title } } } } }');
      expect(listed.errors, JSON.stringify(listed.errors)).toBeUndefined();
      const nodes = (listed.data!.products as { nodes: Array<{ id: string; productType: string; vendor: string; collections: { nodes: Array<{ title: string }> } }> }).nodes;
      expect(nodes.length).toBeGreaterThan(3);
      for (const p of nodes) expect(p.collections.nodes.map((c) => c.title), p.productType).toEqual(catalogueCollections(p.productType));
      // One product per product type and vendor.
      expect(new Set(nodes.map((p) => `${p.productType}|${p.vendor}`)).size).toBe(nodes.length);
    } finally {
      await w.close();
    }
  });
});
