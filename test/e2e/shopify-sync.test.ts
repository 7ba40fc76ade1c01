import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentTag } from '../../connectors/shopify/destination.js';
import { PRODUCT_COLLECTIONS_BULK } from '../../connectors/shopify/documents.js';
import { STANDARD_BUCKET } from '../../connectors/shopify/emulator/index.js';
import { READ_ALL_ORDERS_WARNING } from '../../connectors/shopify/source.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { requestCounts, type Session } from '../../src/pipeline/session.js';
import { SHOPIFY_ANCHOR, shopifyWorld, signal, type ShopifyWorld } from '../helpers/shopify-world.js';
import { heldOutAsControl, tokenFields } from '../helpers/world.js';

/** Requests that may change the shop: a bulk query operation (every pull reads the products' collections with one) only reads. */
const writes = (world: ShopifyWorld) => world.emulator.requests.filter((r) => r.write && r.operation !== 'BulkQueryRun').length;
const throttled = (world: ShopifyWorld) => world.emulator.requests.filter((r) => r.throttled).length;

/**
 * The store's view: customer gid → RFM segment key (lists are for email, so customers who
 * unsubscribed are in no list; control members are off their segment's list) and token values.
 */
function expected(session: Session) {
  const segments = new Map<string, string[]>();
  const heldOut = heldOutAsControl(session);
  for (const r of session.db
    .prepare(`SELECT i.external_id AS id, m.segment_key AS segment, m.profile_id AS profile FROM memberships m
              JOIN identities i ON i.profile_id = m.profile_id AND i.platform = 'shopify'
              JOIN contacts c ON c.platform = 'shopify' AND c.external_id = i.external_id
              WHERE m.left_at IS NULL AND c.email_consent <> 'unsubscribed'`)
    .all() as Array<{ id: string; segment: string; profile: number }>) {
    // A control member is kept off the segment's list (a subscribed customer may then have no tag at all).
    if (heldOut(r.profile, r.segment)) {
      segments.set(r.id, segments.get(r.id) ?? []);
      continue;
    }
    segments.set(r.id, [...(segments.get(r.id) ?? []), r.segment]);
  }
  // By metafield key (mappings/shopify.yaml: control_group is segsync.group); a token it does not map is not written.
  const fields = tokenFields('shopify');
  const tokens = new Map<string, Record<string, string>>();
  for (const t of session.db
    .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
              JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'shopify'`)
    .all() as Array<{ id: string; token: string; value: string }>) {
    const key = fields[t.token];
    if (key !== undefined) tokens.set(t.id, { ...tokens.get(t.id), [key]: t.value });
  }
  return { segments, tokens };
}

describe('Shopify end to end: pull → segment → push, read back from the emulator', () => {
  let world: ShopifyWorld;
  let session: Session;

  beforeAll(async () => {
    // A Standard plan's bucket (2,000 points, 100 restored per second): the push drains it, so the
    // client must pace itself; no request may be throttled.
    world = await shopifyWorld({ size: 150, emulator: { bucket: STANDARD_BUCKET } });
    session = world.open();
  });
  afterAll(() => world.close());

  it('pulls every customer and order; test orders are skipped and counted', async () => {
    const result = await pull(session, { full: true, signal });
    const customers = result.streams.find((s) => s.stream === 'contacts')!;
    const orders = result.streams.find((s) => s.stream === 'purchases')!;
    const truth = world.emulator.listOrders();
    const tests = truth.filter((o) => o.test).length;
    expect(customers.stored).toBe(world.emulator.listCustomers().length);
    expect(orders.received).toBe(truth.length);
    expect(orders.stored).toBe(truth.length - tests);
    expect(orders.quarantined).toBe(0);
    expect(tests).toBeGreaterThan(0);
    expect(orders.warnings).toEqual([`Shopify: skipped ${tests} test orders (test: true); they are not purchases.`]);
    const emails = session.db.prepare("SELECT email FROM contacts WHERE platform = 'shopify'").all() as Array<{ email: string }>;
    expect(emails.every((e) => e.email === e.email.trim().toLowerCase())).toBe(true);
  });

  it('counts neither cancelled nor test orders as purchases', () => {
    const result = segment(session);
    const truth = world.emulator.listOrders();
    const paid = truth.filter((o) => !o.test && !o.cancelled && o.financialStatus === 'PAID');
    expect(truth.some((o) => o.cancelled)).toBe(true);
    expect(result.purchasesUsed).toBe(paid.length);
    const stored = new Map((session.db.prepare("SELECT external_id AS id, status FROM purchases WHERE platform = 'shopify'").all() as Array<{ id: string; status: string }>).map((r) => [r.id, r.status]));
    for (const o of truth) {
      if (o.test) expect(stored.has(o.id), o.id).toBe(false);
      else if (o.cancelled) expect(stored.get(o.id)).toBe('cancelled');
    }
    expect(result.profiles).toBe(world.emulator.listCustomers().length);
  });

  it('pushes tags and metafields that Shopify then shows exactly as the store has them, leaving other tags alone', async () => {
    const before = new Map(world.emulator.listCustomers().map((c) => [c.id, c.tags]));
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(result.destinations[0]!.applied!.failed).toEqual([]);
    const { segments, tokens } = expected(session);
    for (const c of world.emulator.listCustomers()) {
      const own = c.tags.filter((t) => t.startsWith('segsync:'));
      const segment = segments.get(c.id);
      expect([...own].sort(), c.id).toEqual((segment ?? []).map(segmentTag).sort());
      if (!segment) expect(c.marketingState).toBe('UNSUBSCRIBED');
      expect(c.tags.filter((t) => !t.startsWith('segsync:'))).toEqual(before.get(c.id));
      const shown = Object.fromEntries(Object.entries(c.metafields).filter(([k]) => k.startsWith('segsync.')).map(([k, v]) => [k.slice(8), v.value]));
      const wanted = Object.fromEntries(Object.entries(tokens.get(c.id) ?? {}).filter(([, v]) => v !== ''));
      expect(shown, c.id).toEqual(wanted);
    }
    const typed = world.emulator.listCustomers().find((c) => c.metafields['segsync.rfm_r'])!;
    expect(typed.metafields['segsync.rfm_r']!.type).toBe('number_integer');
  });

  it('a full sync is paced: throttled at most once; its full pull is three bulk operations (customers, products, orders), not pages', () => {
    expect(throttled(world)).toBeLessThanOrEqual(1);
    expect(requestCounts(session).shopify!.throttled).toBeLessThanOrEqual(1);
    const operations = world.emulator.requests.map((r) => r.operation);
    expect(operations.filter((o) => o === 'BulkQueryRun')).toHaveLength(3);
    expect(operations).not.toContain('CustomersPage');
    expect(operations).not.toContain('OrdersPage');
    // Each result file downloaded once, without the access token.
    expect(world.emulator.requests.filter((r) => r.method === 'GET' && r.status === 200)).toHaveLength(3);
    expect(world.emulator.bulkOperations().map((o) => o.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('a rerun (incremental pull, segment, push) sends zero write requests', async () => {
    const before = writes(world);
    await pull(session, { full: false, signal });
    segment(session);
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(writes(world)).toBe(before);
    expect(result.destinations[0]!.plan).toMatchObject({ listAdds: 0, listRemoves: 0, tokenUpdates: 0 });
  });

  it('an incremental pull picks up exactly the customers and orders changed on Shopify, once each', async () => {
    const changed = world.emulator.listCustomers().slice(10, 15).map((c) => c.id);
    for (const id of changed) world.emulator.updateCustomer(id, { city: 'Changed City' });
    const order = world.emulator.listOrders().find((o) => !o.test && !o.cancelled && o.financialStatus === 'PAID')!;
    world.emulator.cancelOrder(order.id);
    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    const customers = result.streams.find((s) => s.stream === 'contacts')!;
    const orders = result.streams.find((s) => s.stream === 'purchases')!;
    expect(customers.mode).toBe('incremental');
    expect(customers.changedIds.sort()).toEqual([...changed].sort());
    expect(orders.changedIds).toEqual([order.id]);
    // The overlap window re-reads what changed in the last 10 minutes (our own tag writes too),
    // but never the same record twice in one pull.
    const queries = world.emulator.requests.filter((r) => r.operation === 'CustomersPage');
    expect(queries.length).toBeGreaterThan(0);
    expect(customers.received).toBeLessThanOrEqual(world.emulator.listCustomers().length);
    const row = session.db.prepare("SELECT city FROM contacts WHERE platform = 'shopify' AND external_id = ?").get(changed[0]) as { city: string };
    expect(row.city).toBe('Changed City');
    const status = session.db.prepare("SELECT status FROM purchases WHERE platform = 'shopify' AND external_id = ?").get(order.id) as { status: string };
    expect(status.status).toBe('cancelled');
  });
});

describe('Shopify when segments move', () => {
  it('removes old segment tags and clears metafields whose token became empty', async () => {
    const world = await shopifyWorld({ size: 60, seed: 31, emulator: { bucket: { maximumAvailable: 2000, restoreRate: 1000 } } });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const scoredBefore = world.emulator.listCustomers().filter((c) => c.metafields['segsync.rfm_score']).length;
      expect(scoredBefore).toBeGreaterThan(0);
      // Two years on, nobody bought within the RFM window: scores empty, most move to Lost.
      const later = new Date(SHOPIFY_ANCHOR.getTime() + 730 * 86_400_000).toISOString();
      world.writeConfig(`segmentation:\n  referenceDate: ${later}\n`);
      const next = world.open();
      segment(next);
      world.emulator.resetRequestLog();
      const result = await push(next, { dryRun: false, allowMassRemoval: true, signal });
      expect(result.destinations[0]!.applied!.failed).toEqual([]);
      expect(result.destinations[0]!.applied!.listRemoves).toBeGreaterThan(0);
      expect(world.emulator.requests.some((r) => r.operation === 'TagsRemove')).toBe(true);
      const { segments, tokens } = expected(next);
      for (const c of world.emulator.listCustomers()) {
        const segment = segments.get(c.id);
        expect(c.tags.filter((t) => t.startsWith('segsync:')).sort(), c.id).toEqual((segment ?? []).map(segmentTag).sort());
        const wanted = Object.fromEntries(Object.entries(tokens.get(c.id) ?? {}).filter(([, v]) => v !== ''));
        const shown = Object.fromEntries(Object.entries(c.metafields).map(([k, v]) => [k.slice(8), v.value]));
        expect(shown, c.id).toEqual(wanted);
      }
      expect(world.emulator.listCustomers().filter((c) => c.metafields['segsync.rfm_score'])).toHaveLength(0);
    } finally {
      await world.close();
    }
  });
});

describe('Shopify incremental pull interrupted', () => {
  it('resumes from the last page written and misses no change', async () => {
    const world = await shopifyWorld({ size: 80, seed: 41, emulator: { bucket: { maximumAvailable: 4000, restoreRate: 2000 } } });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      // Full pulls are bulk operations; incremental pulls page. 300 changes make two pages of 249.
      const changed = world.emulator.listOrders().filter((o) => !o.test && !o.cancelled).slice(0, 300).map((o) => o.id);
      expect(changed).toHaveLength(300);
      for (const id of changed) world.emulator.cancelOrder(id);
      let pagesServed = 0;
      world.emulator.onRequest = ({ operation }) => {
        if (operation === 'OrdersPage' && ++pagesServed === 1) {
          world.emulator.injectFault({ match: /OrdersPage$/, status: 400, body: { errors: [{ message: 'injected failure' }] } });
        }
      };
      await expect(pull(session, { full: false, signal })).rejects.toThrow(/injected failure/);
      world.emulator.onRequest = undefined;
      world.emulator.resetRequestLog();
      const result = await pull(session, { full: false, signal });
      const orders = result.streams.find((s) => s.stream === 'purchases')!;
      expect(orders.mode).toBe('incremental');
      // Pages, not a bulk operation: the one bulk operation reads the products' collections.
      expect(world.emulator.requests.filter((r) => r.operation === 'BulkQueryRun')).toHaveLength(1);
      expect(world.emulator.bulkOperations().at(-1)!.query).toBe(PRODUCT_COLLECTIONS_BULK.query);
      // The first page was written: the rerun starts after it (less its overlap), not from the start.
      expect(orders.changed).toBeGreaterThan(0);
      expect(orders.changed).toBeLessThan(300);
      const status = session.db.prepare("SELECT status FROM purchases WHERE platform = 'shopify' AND external_id = ?");
      for (const id of changed) expect((status.get(id) as { status: string }).status, id).toBe('cancelled');
      const stored = (session.db.prepare("SELECT COUNT(*) AS n FROM purchases WHERE platform = 'shopify'").get() as { n: number }).n;
      expect(stored).toBe(world.emulator.listOrders().filter((o) => !o.test).length);
    } finally {
      await world.close();
    }
  });
});

describe('Shopify without read_all_orders, on a Standard bucket', () => {
  it('warns that recency and frequency are truncated, and old orders are absent', async () => {
    const world = await shopifyWorld({ size: 60, seed: 23, emulator: { scopes: ['read_customers', 'write_customers', 'read_orders'] } });
    try {
      const session = world.open();
      const result = await pull(session, { full: true, signal });
      const orders = result.streams.find((s) => s.stream === 'purchases')!;
      expect(orders.warnings).toContain(READ_ALL_ORDERS_WARNING);
      expect(READ_ALL_ORDERS_WARNING).toMatch(/recency and frequency are truncated to the last 60 days/);
      const cutoff = Date.now() - 60 * 86_400_000;
      const truth = world.emulator.listOrders();
      const old = truth.filter((o) => Date.parse(o.createdAt) < cutoff);
      expect(old.length).toBeGreaterThan(0);
      const stored = new Set((session.db.prepare("SELECT external_id AS id FROM purchases WHERE platform = 'shopify'").all() as Array<{ id: string }>).map((r) => r.id));
      for (const o of old) expect(stored.has(o.id), o.id).toBe(false);
      expect(stored.size).toBe(truth.filter((o) => !o.test && Date.parse(o.createdAt) >= cutoff).length);
      segment(session);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(throttled(world)).toBe(0);
      expect(SHOPIFY_ANCHOR.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      await world.close();
    }
  });
});
