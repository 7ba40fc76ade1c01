import { describe, expect, it } from 'vitest';
import { customersPage, ordersPage, PRODUCT_COLLECTIONS_BULK } from '../../connectors/shopify/documents.js';
import { shopify } from '../../connectors/shopify/index.js';
import { BULK_PAGE_SIZE } from '../../connectors/shopify/source.js';
import { loadMapping } from '../../src/config/mapping.js';
import { pull } from '../../src/pipeline/run.js';
import { requestCounts, type Session } from '../../src/pipeline/session.js';
import type { ProgressFactory } from '../../src/pipeline/progress.js';
import { StreamCursors } from '../../src/store/cursors.js';
import { shopifyWorld, signal, type ShopifyWorld } from '../helpers/shopify-world.js';

/**
 * Full pulls as bulk operations, against the emulator with Shopify's real Standard bucket
 * (2,000 points, 100 restored per second: the emulator's default).
 */
const mapping = loadMapping(shopify.defaultMappingFile);
const count = (session: Session, table: 'contacts' | 'purchases') =>
  (session.db.prepare(`SELECT COUNT(*) AS n, COUNT(DISTINCT external_id) AS d FROM ${table} WHERE platform = 'shopify'`).get() as { n: number; d: number });
const operations = (world: ShopifyWorld, name: string) => world.emulator.requests.filter((r) => r.operation === name).length;
const downloads = (world: ShopifyWorld) => world.emulator.requests.filter((r) => r.method === 'GET').length;

/** A progress display that pulls the plug once `pages` pages of `stream` are written. */
function crashAfter(stream: string, pages: number, controller: AbortController): ProgressFactory {
  return () => {
    let label = '';
    let written = 0;
    return {
      start(l: string) {
        label = l;
      },
      advance() {
        if (label.endsWith(stream) && ++written === pages) controller.abort(new Error('simulated crash'));
      },
      stop() {},
    };
  };
}

function expectComplete(world: ShopifyWorld, session: Session) {
  const contacts = count(session, 'contacts');
  const purchases = count(session, 'purchases');
  expect(contacts).toEqual({ n: world.emulator.listCustomers().length, d: world.emulator.listCustomers().length });
  const paid = world.emulator.listOrders().filter((o) => !o.test).length;
  expect(purchases).toEqual({ n: paid, d: paid });
}

describe('Shopify full pull as bulk operations, on the Standard bucket', () => {
  it('2,000+ customers and their orders: never throttled, for a tiny fraction of the cost paging would ask', async () => {
    const world = await shopifyWorld({ size: 2_900, seed: 7 });
    try {
      expect(world.emulator.throttleStatus()).toMatchObject({ maximumAvailable: 2000, restoreRate: 100 });
      const customers = world.emulator.listCustomers().length;
      const orders = world.emulator.listOrders().length;
      expect(customers).toBeGreaterThanOrEqual(2_000);
      const session = world.open();
      const result = await pull(session, { full: true, signal });
      expectComplete(world, session);
      // Abandoned checkouts are paged (250 a page): the emulator derives some for about one person in five.
      const checkouts = world.emulator.listAbandonedCheckouts().length;
      expect(result.streams.map((s) => [s.stream, s.mode, s.received])).toEqual([['contacts', 'full', customers], ['purchases', 'full', orders], ['engagement', 'full', checkouts]]);

      const log = world.emulator.requests;
      expect(log.filter((r) => r.throttled)).toEqual([]);
      expect(requestCounts(session).shopify).toMatchObject({ throttled: 0, retries: 0 });
      // Customers, products (their collections), orders.
      expect(operations(world, 'BulkQueryRun')).toBe(3);
      expect(operations(world, 'CustomersPage') + operations(world, 'OrdersPage')).toBe(0);
      expect(downloads(world)).toBe(3);
      // What was asked of the bucket, against what paging through the same records would ask.
      expect(operations(world, 'AbandonedCheckoutsPage')).toBe(Math.ceil(checkouts / 250));
      const requested = log.filter((r) => r.operation !== 'AbandonedCheckoutsPage').reduce((n, r) => n + (r.requestedCost ?? 0), 0);
      const c = customersPage(mapping);
      const o = ordersPage(mapping);
      const paging = Math.ceil(customers / c.pageSize) * c.cost + Math.ceil(orders / o.pageSize) * o.cost;
      expect(paging).toBeGreaterThan(80_000);
      expect(requested).toBeLessThan(100);
      expect(requested / paging).toBeLessThan(0.001);
    } finally {
      await world.close();
    }
  }, 240_000);
});

describe('Shopify bulk pull interrupted', () => {
  it('a crash mid-file resumes the same operation: no new one, the written lines skipped, no duplicate, a complete store', async () => {
    const world = await shopifyWorld({ size: 400, seed: 5 });
    try {
      const orders = world.emulator.listOrders().length;
      expect(orders).toBeGreaterThan(2 * BULK_PAGE_SIZE);
      const session = world.open();
      const controller = new AbortController();
      // The checkpoint naming the operation, then one page of the file.
      await expect(pull(session, { full: true, signal: controller.signal, progress: crashAfter('purchases', 2, controller) })).rejects.toThrow(/simulated crash/);
      const stored = new StreamCursors(session.db).get('shopify', 'purchases') as { phase: string; operation: string; lines: number };
      // A page ends between orders: the last order's lines (an order has 1 to 3) come with it.
      expect(stored).toMatchObject({ phase: 'bulk' });
      expect(stored.lines).toBeGreaterThanOrEqual(BULK_PAGE_SIZE);
      expect(stored.lines).toBeLessThanOrEqual(BULK_PAGE_SIZE + 3);
      // Customers, products, then orders.
      expect(stored.operation).toBe(world.emulator.bulkOperations()[2]!.id);
      const before = count(session, 'purchases').n;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThanOrEqual(BULK_PAGE_SIZE);

      world.emulator.resetRequestLog();
      const result = await pull(session, { full: false, signal });
      // No new orders operation: only the products' collections are read again (every pull does).
      expect(operations(world, 'BulkQueryRun')).toBe(1);
      expect(world.emulator.bulkOperations().slice(3).map((o) => o.query)).toEqual([PRODUCT_COLLECTIONS_BULK.query]);
      expect(downloads(world)).toBe(2);
      const pulled = result.streams.find((s) => s.stream === 'purchases')!;
      expect(pulled.mode).toBe('full');
      // The resumed read sends the orders after the first page: those the first page held were
      // the ones stored before the crash, plus the test orders it skipped.
      const tests = world.emulator.listOrders().filter((o) => o.test).length;
      const firstPage = orders - pulled.received;
      expect(firstPage).toBeGreaterThanOrEqual(before);
      expect(firstPage - before).toBeLessThanOrEqual(tests);
      expect(result.streams.find((s) => s.stream === 'contacts')!.mode).toBe('incremental');
      expectComplete(world, session);
      expect(new StreamCursors(session.db).get('shopify', 'purchases')).toMatchObject({ phase: 'incremental' });
      // The test-order count spans both runs.
      expect(pulled.warnings).toContain(`Shopify: skipped ${tests} test orders (test: true); they are not purchases.`);
    } finally {
      await world.close();
    }
  }, 240_000);

  it('a crash while the operation runs resumes polling it', async () => {
    const world = await shopifyWorld({ size: 60, seed: 9, emulator: { bulk: { delayMs: 1_500 } } });
    try {
      const session = world.open();
      const controller = new AbortController();
      await expect(pull(session, { full: true, signal: controller.signal, progress: crashAfter('contacts', 1, controller) })).rejects.toThrow(/simulated crash/);
      expect(world.emulator.bulkOperations().map((o) => o.status)).toEqual(['RUNNING']);
      world.emulator.resetRequestLog();
      await pull(session, { full: false, signal });
      expect(operations(world, 'BulkQueryRun')).toBe(2); // products and orders only
      expect(world.emulator.bulkOperations()).toHaveLength(3);
      expectComplete(world, session);
    } finally {
      await world.close();
    }
  });

  it('a stored operation whose results expired is replaced by a new one', async () => {
    const world = await shopifyWorld({ size: 400, seed: 5 });
    try {
      const session = world.open();
      const controller = new AbortController();
      await expect(pull(session, { full: true, signal: controller.signal, progress: crashAfter('purchases', 2, controller) })).rejects.toThrow(/simulated crash/);
      world.emulator.expireBulkOperations();
      world.emulator.resetRequestLog();
      const result = await pull(session, { full: false, signal });
      // Products and orders again; customers are incremental.
      expect(operations(world, 'BulkQueryRun')).toBe(2);
      expect(world.emulator.bulkOperations().map((o) => o.status)).toEqual(['EXPIRED', 'EXPIRED', 'EXPIRED', 'COMPLETED', 'COMPLETED']);
      expect(result.streams.find((s) => s.stream === 'purchases')!.received).toBe(world.emulator.listOrders().length);
      expectComplete(world, session);
    } finally {
      await world.close();
    }
  });

  it('a download that breaks off is opened again and goes on after the lines already read', async () => {
    const world = await shopifyWorld({ size: 400, seed: 5 });
    try {
      const session = world.open();
      let started = 0;
      // Cut the orders file after 1.5 pages: the first page is written, the half page is read again.
      world.emulator.onRequest = ({ operation }) => {
        // The 3rd operation is the orders' (customers, products, orders).
        if (operation === 'BulkQueryRun' && ++started === 3) world.emulator.cutBulkDownloads(BULK_PAGE_SIZE + 500);
      };
      const result = await pull(session, { full: true, signal });
      const pulled = result.streams.find((s) => s.stream === 'purchases')!;
      expect(downloads(world)).toBe(4);
      expect(pulled.received).toBe(world.emulator.listOrders().length);
      expect(world.emulator.bulkOperations()).toHaveLength(3);
      expectComplete(world, session);
    } finally {
      await world.close();
    }
  });

  it('a FAILED operation fails the pull, naming its errorCode; the next pull starts a new one', async () => {
    const world = await shopifyWorld({ size: 60, seed: 9 });
    try {
      const session = world.open();
      world.emulator.failNextBulkOperation('INTERNAL_SERVER_ERROR');
      await expect(pull(session, { full: true, signal })).rejects.toThrow(/ended FAILED with errorCode INTERNAL_SERVER_ERROR/);
      world.emulator.resetRequestLog();
      await pull(session, { full: false, signal });
      expect(operations(world, 'BulkQueryRun')).toBe(3);
      expect(world.emulator.bulkOperations().map((o) => o.status)).toEqual(['FAILED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
      expectComplete(world, session);
    } finally {
      await world.close();
    }
  });
});
