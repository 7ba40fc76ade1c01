/**
 * Shopify line items, abandoned checkouts, tags and SMS consent, end to end against the emulator,
 * with hand-built people whose orders have items: what is stored, the interests features against
 * shares computed by hand, a rule on interests.coffee, checkout recency, and a refused answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopify } from '../../connectors/shopify/index.js';
import { ShopifyEmulator, type ShopifyEmulatorOptions } from '../../connectors/shopify/emulator/index.js';
import { CHECKOUTS_DENIED_WARNING } from '../../connectors/shopify/checkouts.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { explainProfile } from '../../src/pipeline/explain.js';
import { forget } from '../../src/pipeline/forget.js';
import { pull, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { StreamCursors } from '../../src/store/cursors.js';
import type { SyntheticLineItem, SyntheticPerson, SyntheticPurchase } from '../../src/sandbox/population-types.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN } from '../helpers/shopify-world.js';
import { signal, storeWorld, type StoreWorld } from '../helpers/world.js';

const DAY = 86_400_000;
const ANCHOR = SHOPIFY_ANCHOR.getTime();
const at = (daysAgo: number) => new Date(ANCHOR - daysAgo * DAY).toISOString();
const item = (productType: string, amount: number, quantity = 1): SyntheticLineItem => ({ productType, vendor: `${productType} Co`, collections: [], quantity, amount });
const won = (key: string, daysAgo: number, items: SyntheticLineItem[] | undefined, amount?: number): SyntheticPurchase => ({
  key, amount: amount ?? items!.reduce((n, i) => n + i.amount, 0), currency: 'USD', occurredAt: at(daysAgo), status: 'won', name: key, ...(items ? { items } : {}),
});

/** The six hand-built people (the rest of the population is as generated). */
const HAND: Array<{ purchases: SyntheticPurchase[]; events?: SyntheticPerson['events'] }> = [
  // 0: coffee 50 of 60 → 0.833
  { purchases: [won('a1', 40, [item('Coffee', 30, 2), item('Tea', 10)]), won('a2', 20, [item('Coffee', 20)])], events: [] },
  // 1: coffee 40 of 100 → 0.4
  { purchases: [won('b1', 30, [item('Tea', 60), item('Coffee', 40)])], events: [] },
  // 2: coffee 25 of 50 → exactly 0.5
  { purchases: [won('c1', 15, [item('Coffee', 25), item('Mugs', 25)])], events: [] },
  // 3: an order without items: interests unknown
  { purchases: [won('d1', 12, undefined, 80)], events: [] },
  // 4: never bought; left checkouts 10 and 100 days ago
  { purchases: [], events: [{ channel: 'checkout_abandoned', at: at(10) }, { channel: 'checkout_abandoned', at: at(100) }, { channel: 'email_open', at: at(3) }] },
  // 5: never bought, no checkout
  { purchases: [], events: [] },
];

function people(): SyntheticPerson[] {
  const generated = [...populationOn(generatePopulation(parsePopulationOptions({ seed: 21, size: 40, anchor: SHOPIFY_ANCHOR })), 'shopify')];
  return generated.map((p, n) => {
    const hand = HAND[n];
    // The others have no events: the emulator derives their checkouts from their own hash.
    // The generated ones' orders lose their lines, so the store's product types are the hand-built ones.
    if (!hand) {
      const { events: _events, ...rest } = p;
      return { ...rest, purchases: rest.purchases.map(({ items: _items, ...purchase }) => purchase) };
    }
    return { ...p, createdAt: at(400), purchases: hand.purchases, ...(hand.events ? { events: hand.events } : {}) };
  });
}

interface World extends StoreWorld {
  emulator: ShopifyEmulator;
  population: SyntheticPerson[];
}

async function world(options: ShopifyEmulatorOptions = {}, config = ''): Promise<World> {
  const emulator = new ShopifyEmulator({ accessToken: SHOPIFY_TOKEN, ...options });
  const population = people();
  emulator.load(population);
  const server = await emulator.listen();
  const w = storeWorld({
    name: 'shopify-interests',
    config: `segmentation:\n  referenceDate: ${SHOPIFY_ANCHOR.toISOString()}\n${config}`,
    platformEnv: { SHOPIFY_ACCESS_TOKEN: SHOPIFY_TOKEN, SHOPIFY_SHOP_URL: server.url },
    registry: [shopify as ConnectorDescriptor<never>],
    server,
  });
  return { ...w, emulator, population };
}

const RULES = 'segments:\n  - key: coffee_lovers\n    name: Coffee lovers\n    rule: { op: gte, field: interests.coffee, value: 0.5 }\n';

function customerIdOf(w: World, email: string): string {
  return w.emulator.listCustomers().find((c) => c.email === email)!.id;
}

function featuresOf(session: Session, email: string): Record<string, number | string | null> {
  const row = session.db.prepare(`SELECT f.features FROM profile_features f JOIN profiles p ON p.id = f.profile_id WHERE p.email_key = ?`).get(email) as { features: string } | undefined;
  return JSON.parse(row!.features) as Record<string, number | string | null>;
}

describe('Shopify line items, abandoned checkouts, tags and SMS consent', () => {
  let w: World;
  let session: Session;
  beforeAll(async () => {
    w = await world({}, RULES);
    session = w.open();
    await pull(session, { full: true, signal });
  });
  afterAll(async () => {
    await w.close();
  });

  it('stores every order line (from the bulk file\'s nested rows) with product type, vendor, quantity and amount', () => {
    const stored = (email: string) => session.db.prepare(`SELECT pi.product_type AS type, pi.vendor, pi.quantity, pi.amount FROM purchase_items pi
        JOIN purchase_contacts pc ON pc.platform = pi.platform AND pc.purchase_external_id = pi.purchase_external_id
        WHERE pc.contact_external_id = ? ORDER BY pi.purchase_external_id, pi.line`).all(customerIdOf(w, email));
    expect(stored(w.population[0]!.email)).toEqual([
      { type: 'Coffee', vendor: 'Coffee Co', quantity: 2, amount: 30 },
      { type: 'Tea', vendor: 'Tea Co', quantity: 1, amount: 10 },
      { type: 'Coffee', vendor: 'Coffee Co', quantity: 1, amount: 20 },
    ]);
    expect(stored(w.population[3]!.email)).toEqual([]);
  });

  it('stores each abandoned checkout of a customer as a checkout_abandoned event, dated when it was created', () => {
    const events = session.db.prepare(`SELECT contact_external_id AS contact, occurred_at AS at FROM engagement_events WHERE channel = 'checkout_abandoned'`).all() as Array<{ contact: string; at: string }>;
    expect(events.length).toBe(w.emulator.listAbandonedCheckouts().length);
    const mine = events.filter((e) => e.contact === customerIdOf(w, w.population[4]!.email)).map((e) => e.at).sort();
    expect(mine).toEqual([at(100), at(10)]);
    // Hand-built people with events but no checkout event have none; people without events get the emulator's own.
    expect(events.some((e) => e.contact === customerIdOf(w, w.population[5]!.email))).toBe(false);
    expect(events.length).toBeGreaterThan(2);
  });

  it('stores tags ("; "-joined) and SMS consent as the shop holds them', () => {
    const stored = new Map((session.db.prepare(`SELECT external_id AS id, attributes FROM contacts WHERE platform = 'shopify'`).all() as Array<{ id: string; attributes: string }>)
      .map((r) => [r.id, JSON.parse(r.attributes) as Record<string, unknown>]));
    const customers = w.emulator.listCustomers();
    expect(customers.filter((c) => c.tags.length > 0).length).toBeGreaterThan(0);
    for (const c of customers) expect(stored.get(c.id)?.tags, c.id).toBe(c.tags.join('; '));
    const sms = customers.map((c) => stored.get(c.id)?.smsConsent);
    expect(new Set(sms)).toEqual(new Set(['subscribed', 'unsubscribed', 'unknown']));
  });

  it('interests features equal the shares computed by hand; the rule interests.coffee ≥ 0.5 selects exactly those people', () => {
    const summary = segment(session);
    expect(summary).toBeDefined();
    const f = (n: number) => featuresOf(session, w.population[n]!.email);
    expect(f(0)['interests.coffee']).toBeCloseTo(50 / 60, 3);
    expect(f(0)['interests.tea']).toBeCloseTo(10 / 60, 3);
    expect(f(1)['interests.coffee']).toBeCloseTo(0.4, 3);
    expect(f(2)['interests.coffee']).toBe(0.5);
    expect(f(2)['interests.mugs']).toBe(0.5);
    expect(f(3)['interests.coffee']).toBe(null);
    expect([f(0).topProductType, f(1).topProductType, f(2).topProductType, f(3).topProductType]).toEqual(['Coffee', 'Tea', 'Coffee', null]);
    expect(f(1).topProductTypeShare).toBe(0.6);
    const members = (session.db.prepare(`SELECT p.email_key AS email FROM memberships m JOIN profiles p ON p.id = m.profile_id WHERE m.segment_key = 'coffee_lovers' AND m.left_at IS NULL ORDER BY email`).all() as Array<{ email: string }>).map((r) => r.email);
    expect(members).toEqual([w.population[0]!.email, w.population[2]!.email].sort());
    // explain shows them with the other features.
    const shown = explainProfile(session, w.population[2]!.email, []).features;
    expect(shown).toMatchObject({ 'interests.coffee': 0.5, 'interests.mugs': 0.5, 'interests.tea': 0, topProductType: 'Coffee', topProductTypeShare: 0.5 });
  });

  it('abandoned-checkout recency and 90-day count come from the stored events', () => {
    const f = featuresOf(session, w.population[4]!.email);
    expect(f.daysSinceLastAbandonedCheckout).toBe(10);
    expect(f.abandonedCheckouts90d).toBe(1);
    const none = featuresOf(session, w.population[5]!.email);
    expect(none.daysSinceLastAbandonedCheckout).toBe(null);
    expect(none.abandonedCheckouts90d).toBe(0);
  });

  it('forget erases the person\'s order lines with their orders, and their checkouts', async () => {
    const buyer = w.population[0]!.email;
    const id = customerIdOf(w, buyer);
    const lines = () => (session.db.prepare(`SELECT COUNT(*) AS n FROM purchase_items WHERE purchase_external_id IN (SELECT value FROM json_each(?))`)
      .get(JSON.stringify(w.emulator.listOrders().filter((o) => o.customerId === id).map((o) => o.id))) as { n: number }).n;
    const leaver = customerIdOf(w, w.population[4]!.email);
    const checkouts = () => (session.db.prepare(`SELECT COUNT(*) AS n FROM engagement_events WHERE contact_external_id = ?`).get(leaver) as { n: number }).n;
    expect([lines(), checkouts()]).toEqual([3, 2]);
    await forget(session, { targets: [buyer, w.population[4]!.email], onPlatforms: false, dryRun: false, platforms: ['shopify'], signal });
    expect([lines(), checkouts()]).toEqual([0, 0]);
  });
});

describe('Shopify line items read by pages (incremental pulls)', () => {
  it('an incremental pull reads each order\'s lines from its page and replaces the stored ones', async () => {
    const w = await world();
    try {
      const session = w.open();
      await pull(session, { full: true, signal });
      const all = () => session.db.prepare(`SELECT purchase_external_id AS id, line, product_type AS type, quantity, amount FROM purchase_items ORDER BY id, line`).all();
      const full = all();
      expect(full).toHaveLength(7);
      // A stale line that no order has, and a cursor that makes the next pull page through every order.
      session.db.prepare(`UPDATE purchase_items SET product_type = 'Stale' WHERE line = 0`).run();
      new StreamCursors(session.db).set('shopify', 'purchases', { phase: 'incremental', since: 0 }, new Date().toISOString());
      const result = await pull(session, { full: false, signal });
      expect(result.streams.find((s) => s.stream === 'purchases')!.mode).toBe('incremental');
      expect(w.emulator.requests.some((r) => r.operation === 'OrdersPage')).toBe(true);
      expect(all()).toEqual(full);
    } finally {
      await w.close();
    }
  });
});

describe('Shopify abandoned checkouts refused', () => {
  it('a token without the abandoned-checkouts permission: the pull completes with contacts and orders and says why checkouts are missing', async () => {
    const w = await world({ checkoutPermission: false });
    try {
      const session = w.open();
      const result = await pull(session, { full: true, signal });
      const engagement = result.streams.find((s) => s.stream === 'engagement')!;
      expect(engagement.received).toBe(0);
      expect(JSON.stringify(result)).toContain('manage_abandoned_checkouts');
      expect(CHECKOUTS_DENIED_WARNING).toContain('read_orders');
      expect((session.db.prepare(`SELECT COUNT(*) AS n FROM engagement_events`).get() as { n: number }).n).toBe(0);
      expect((session.db.prepare(`SELECT COUNT(*) AS n FROM purchase_items`).get() as { n: number }).n).toBe(7);
      expect(result.streams.find((s) => s.stream === 'purchases')!.received).toBe(w.emulator.listOrders().length);
    } finally {
      await w.close();
    }
  });
});
