import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCheckoutStream } from '../../connectors/shopify/checkouts.js';
import type { ShopifyClient } from '../../connectors/shopify/client.js';
import { shopify } from '../../connectors/shopify/index.js';
import { parseBulkLine } from '../../connectors/shopify/bulk.js';
import { mapCustomer, mapOrder, orderItems } from '../../connectors/shopify/mapper.js';
import { loadMapping } from '../../src/config/mapping.js';
import type { SourcePage } from '../../src/domain/connector.js';
import checkoutsPage from '../fixtures/shopify/abandoned_checkouts_page_MODELLED.json' with { type: 'json' };

const mapping = loadMapping(shopify.defaultMappingFile);
const order = (lineItems: unknown) => ({
  id: 'gid://shopify/Order/7', updatedAt: '2026-11-02T10:00:00Z', createdAt: '2026-11-01T10:00:00Z', processedAt: '2026-11-01T10:00:00Z',
  cancelledAt: null, test: false, customer: { id: 'gid://shopify/Customer/3' }, displayFinancialStatus: 'PAID', name: '#1007',
  currentTotalPriceSet: { shopMoney: { amount: '70.00', currencyCode: 'EUR' } }, lineItems,
});
const line = (productType: string, vendor: string, quantity: number, amount: string) =>
  ({ quantity, discountedTotalSet: { shopMoney: { amount, currencyCode: 'EUR' } }, product: { id: 'gid://shopify/Product/1', productType, vendor } });

describe('Shopify order line items', () => {
  it('the recorded bulk file: a LineItem line carries __parentId (escaped), names its order, and reads as one line of it', () => {
    const lines = readFileSync(new URL('../fixtures/shopify/bulk_result_orders_gatsby.jsonl', import.meta.url), 'utf8').trim().split('\n').map(parseBulkLine);
    expect(lines.map((l) => l.kind)).toEqual(['record', 'child']);
    const [parent, child] = lines;
    expect(child!.kind === 'child' && parent!.kind === 'record' && child!.parentId === (parent!.value as { id: string }).id).toBe(true);
    // The recorded line selects only product { id }: no type, vendor, quantity or amount, so those are unknown, not invented.
    const value = child!.kind === 'child' ? child!.value : null;
    expect(orderItems({ lineItems: { nodes: [value] } })).toEqual([{ productType: null, vendor: null, collections: [], quantity: 0, amount: null, unread: ['collections'] }]);
  });

  it('an order carries its lines: product type and vendor ("" is none), quantity, the line total after its discounts', () => {
    const mapped = mapOrder(order({ nodes: [line('Coffee', 'Roastery', 2, '40.00'), line('', '', 1, '30.00')] }), mapping);
    expect(mapped.ok === true && mapped.record.items).toEqual([
      // No products read for collections here: marked unread, so the store keeps what it had.
      { productType: 'Coffee', vendor: 'Roastery', collections: [], quantity: 2, amount: 40, unread: ['collections'] },
      { productType: null, vendor: null, collections: [], quantity: 1, amount: 30, unread: ['collections'] },
    ]);
  });

  it('a page that holds only the first lines of an order leaves its items unknown (the stored ones are kept), and so does an order read without lines', () => {
    const partial = mapOrder(order({ pageInfo: { hasNextPage: true }, nodes: [line('Coffee', 'Roastery', 1, '10.00')] }), mapping);
    expect(partial.ok === true && partial.record.items).toBe(undefined);
    const complete = mapOrder(order({ pageInfo: { hasNextPage: false }, nodes: [] }), mapping);
    expect(complete.ok === true && complete.record.items).toEqual([]);
    const without = mapOrder(order(undefined), mapping);
    expect(without.ok === true && 'items' in without.record).toBe(false);
  });
});

describe('Shopify customer tags and SMS consent', () => {
  const customer = (extra: Record<string, unknown>) => ({ id: 'gid://shopify/Customer/3', updatedAt: '2026-11-02T10:00:00Z', ...extra });
  it('tags are one "; "-joined attribute; SMS consent reads subscribed / unsubscribed / unknown from defaultPhoneNumber.marketingState', () => {
    const read = (extra: Record<string, unknown>) => {
      const m = mapCustomer(customer(extra), mapping);
      return m.ok ? { tags: m.record.attributes.tags, sms: m.record.attributes.smsConsent } : null;
    };
    expect(read({ tags: ['vip', 'newsletter'], defaultPhoneNumber: { phoneNumber: '+14155550123', marketingState: 'SUBSCRIBED' } })).toEqual({ tags: 'vip; newsletter', sms: 'subscribed' });
    expect(read({ tags: [], defaultPhoneNumber: { phoneNumber: '+14155550123', marketingState: 'UNSUBSCRIBED' } })).toEqual({ tags: '', sms: 'unsubscribed' });
    expect(read({ tags: ['vip'], defaultPhoneNumber: { phoneNumber: '+14155550123', marketingState: 'NOT_SUBSCRIBED' } })).toEqual({ tags: 'vip', sms: 'unknown' });
    expect(read({ tags: ['vip'], defaultPhoneNumber: null })).toEqual({ tags: 'vip', sms: 'unknown' });
  });
});

describe('Shopify abandoned checkouts', () => {
  const fakeClient = (answers: unknown[]) => {
    const asked: Array<Record<string, unknown>> = [];
    const client = {
      async execute(_doc: unknown, variables: Record<string, unknown>, schema: { parse(v: unknown): unknown }) {
        asked.push(variables);
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return { data: schema.parse((next as { data: unknown }).data) };
      },
    } as unknown as ShopifyClient;
    return { client, asked };
  };
  const read = async (client: ShopifyClient, cursor?: unknown) => {
    const pages: SourcePage[] = [];
    const stream = createCheckoutStream(client, { lookbackMinutes: 10 });
    for await (const p of stream.read(cursor as never, { full: false, signal: new AbortController().signal } as never)) pages.push(p);
    return pages;
  };

  it('the abandonedCheckouts answer: one checkout_abandoned event per checkout with a customer, keyed by its id, dated when it was created; the cursor is the newest updatedAt', async () => {
    const { client, asked } = fakeClient([checkoutsPage]);
    const pages = await read(client);
    expect(asked).toEqual([{ first: 250, after: null, query: null }]);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.events).toEqual([
      { platform: 'shopify', key: 'gid://shopify/AbandonedCheckout/70001', contactExternalId: 'gid://shopify/Customer/1001', channel: 'checkout_abandoned', occurredAt: '2026-10-01T09:15:00.000Z', count: 1 },
      { platform: 'shopify', key: 'gid://shopify/AbandonedCheckout/70003', contactExternalId: 'gid://shopify/Customer/1002', channel: 'checkout_abandoned', occurredAt: '2026-11-20T07:05:00.000Z', count: 1 },
    ]);
    expect(pages[0]!.received).toBe(3);
    expect(pages[0]!.cursor).toEqual({ since: Date.parse('2026-11-22T07:05:00Z') });
  });

  it('reads incrementally from the cursor less the lookback, and moves the cursor only on the last page', async () => {
    const first = structuredClone(checkoutsPage);
    first.data.abandonedCheckouts.pageInfo.hasNextPage = true;
    const { client, asked } = fakeClient([first, checkoutsPage]);
    const since = Date.parse('2026-09-30T00:00:00Z');
    const pages = await read(client, { since });
    expect(asked.map((a) => a.query)).toEqual(["updated_at:>='2026-09-29T23:50:00Z'", "updated_at:>='2026-09-29T23:50:00Z'"]);
    expect(asked[1]!.after).toBe(checkoutsPage.data.abandonedCheckouts.pageInfo.endCursor);
    expect(pages.map((p) => p.cursor)).toEqual([{ since }, { since: Date.parse('2026-11-22T07:05:00Z') }]);
  });
});
