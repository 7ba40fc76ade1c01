import { describe, expect, it } from 'vitest';
import { shopifyConfigFromEnv } from '../../connectors/shopify/config.js';
import { shopify } from '../../connectors/shopify/index.js';
import { mapCustomer, mapOrder, valueAt } from '../../connectors/shopify/mapper.js';
import { CustomersPageSchema } from '../../connectors/shopify/schemas.js';
import { updatedSinceQuery } from '../../connectors/shopify/source.js';
import { metafieldType, segmentTag } from '../../connectors/shopify/destination.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadMapping } from '../../src/config/mapping.js';
import customersEmpty from '../fixtures/shopify/customers_page_empty_ALAppExt.json' with { type: 'json' };

const mapping = loadMapping(shopify.defaultMappingFile);

/** A node shaped as the emulator (and Shopify's docs) answer CustomersPage with the default mapping. */
function customer(overrides: Record<string, unknown> = {}) {
  return {
    id: 'gid://shopify/Customer/544365967',
    updatedAt: '2026-05-01T10:00:00Z',
    defaultEmailAddress: { emailAddress: ' Ada.Lovelace@Example.COM ', marketingState: 'SUBSCRIBED' },
    defaultPhoneNumber: { phoneNumber: '+442071234567' },
    firstName: 'Ada',
    lastName: 'Lovelace',
    defaultAddress: { countryCodeV2: 'GB', city: 'London' },
    createdAt: '2025-01-01T09:00:00Z',
    numberOfOrders: '3',
    state: 'ENABLED',
    ...overrides,
  };
}

function order(overrides: Record<string, unknown> = {}) {
  return {
    id: 'gid:\/\/shopify\/Order\/3838572757198',
    updatedAt: '2026-05-02T10:00:00Z',
    createdAt: '2026-05-01T10:00:00Z',
    processedAt: '2026-05-01T10:00:00Z',
    cancelledAt: null,
    test: false,
    customer: { id: 'gid://shopify/Customer/544365967' },
    currentTotalPriceSet: { shopMoney: { amount: '120.50', currencyCode: 'USD' } },
    name: '#1001',
    displayFinancialStatus: 'PAID',
    ...overrides,
  };
}

describe('Shopify mapping (mappings/shopify.yaml)', () => {
  it('follows GraphQL paths, null through a missing object', () => {
    expect(valueAt(customer(), 'defaultAddress.city')).toBe('London');
    expect(valueAt(customer({ defaultAddress: null }), 'defaultAddress.city')).toBeNull();
    expect(valueAt(customer(), 'nope.deeper')).toBeNull();
  });

  it('the recorded (empty) customers page maps to nothing', () => {
    const page = CustomersPageSchema.parse(customersEmpty.data);
    expect(page.customers.nodes.map((n) => mapCustomer(n, mapping))).toEqual([]);
  });

  it('maps a customer, normalizing the email as typed', () => {
    const m = mapCustomer(customer(), mapping);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.record).toMatchObject({
      platform: 'shopify',
      externalId: 'gid://shopify/Customer/544365967',
      email: 'ada.lovelace@example.com',
      phone: '+442071234567',
      firstName: 'Ada',
      lastName: 'Lovelace',
      country: 'GB',
      city: 'London',
      createdAt: '2025-01-01T09:00:00.000Z',
      updatedAt: '2026-05-01T10:00:00.000Z',
      emailConsent: 'subscribed',
      archived: false,
      attributes: { ordersCount: '3', accountState: 'ENABLED' },
    });
  });

  it('consent from defaultEmailAddress.marketingState: SUBSCRIBED, UNSUBSCRIBED, others unknown', () => {
    const consent = (state: string | null) =>
      (mapCustomer(customer({ defaultEmailAddress: state === null ? null : { emailAddress: 'a@b.co', marketingState: state } }), mapping) as { record: { emailConsent: string } }).record.emailConsent;
    expect(consent('SUBSCRIBED')).toBe('subscribed');
    expect(consent('UNSUBSCRIBED')).toBe('unsubscribed');
    expect(consent('NOT_SUBSCRIBED')).toBe('unknown');
    expect(consent('PENDING')).toBe('unknown');
    expect(consent(null)).toBe('unknown');
  });

  it('quarantines invalid customers with a reason naming the field', () => {
    const bad = (overrides: Record<string, unknown>) => {
      const m = mapCustomer(customer(overrides), mapping);
      return m.ok ? 'ok' : m.quarantined.reason;
    };
    expect(bad({ defaultEmailAddress: { emailAddress: 'not an email', marketingState: 'SUBSCRIBED' } })).toMatch(/^defaultEmailAddress\.emailAddress: "not an email" is not an email address/);
    expect(bad({ updatedAt: 'yesterday' })).toMatch(/^updatedAt: must be an ISO 8601 date-time/);
    expect(bad({ id: '544365967' })).toMatch(/^id: must be a Shopify Customer id/);
    expect(bad({ createdAt: 'soon' })).toMatch(/^createdAt: "soon" is not a date/);
    expect(bad({ firstName: { given: 'Ada' } })).toMatch(/^firstName: expected a value, got an object/);
    const q = mapCustomer(customer({ updatedAt: 'x' }), mapping);
    expect(q.ok ? null : q.quarantined).toMatchObject({ platform: 'shopify', stream: 'contacts', externalId: 'gid://shopify/Customer/544365967' });
  });

  it('maps a paid order in shop money to a won purchase of its customer', () => {
    const m = mapOrder(order(), mapping);
    expect(m).toMatchObject({
      ok: true,
      record: {
        externalId: 'gid://shopify/Order/3838572757198',
        contactExternalIds: ['gid://shopify/Customer/544365967'],
        amount: 120.5,
        currency: 'USD',
        occurredAt: '2026-05-01T10:00:00.000Z',
        status: 'won',
      },
    });
  });

  it('cancelled → cancelled whatever the payment state, refunded → refunded, pending → open, voided → lost', () => {
    const status = (o: Record<string, unknown>) => (mapOrder(order(o), mapping) as { record: { status: string } }).record.status;
    expect(status({ cancelledAt: '2026-05-03T00:00:00Z', displayFinancialStatus: 'PAID' })).toBe('cancelled');
    expect(status({ cancelledAt: '2026-05-03T00:00:00Z', displayFinancialStatus: 'REFUNDED' })).toBe('cancelled');
    expect(status({ displayFinancialStatus: 'REFUNDED' })).toBe('refunded');
    expect(status({ displayFinancialStatus: 'PARTIALLY_REFUNDED' })).toBe('won');
    expect(status({ displayFinancialStatus: 'PENDING' })).toBe('open');
    expect(status({ displayFinancialStatus: 'VOIDED' })).toBe('lost');
    expect(status({ displayFinancialStatus: null })).toBe('open');
  });

  it('flags a status that is the default because the value is none of the mapped ones (what the status guard watches), not a cancellation', () => {
    const defaulted = (o: Record<string, unknown>) => (mapOrder(order(o), mapping) as { record: { statusDefaulted?: boolean } }).record.statusDefaulted ?? false;
    expect(defaulted({ displayFinancialStatus: 'PAYED' })).toBe(true);
    expect(defaulted({ displayFinancialStatus: null })).toBe(true);
    expect(defaulted({ displayFinancialStatus: 'PAID' })).toBe(false);
    expect(defaulted({ cancelledAt: '2026-05-03T00:00:00Z', displayFinancialStatus: 'PAYED' })).toBe(false);
  });

  it('a test order is not a purchase', () => {
    expect(mapOrder(order({ test: true }), mapping)).toEqual({ ok: 'test', externalId: 'gid://shopify/Order/3838572757198' });
  });

  it('falls back to createdAt when processedAt is missing; a guest order counts for nobody', () => {
    const m = mapOrder(order({ processedAt: null, customer: null }), mapping);
    expect(m).toMatchObject({ ok: true, record: { occurredAt: '2026-05-01T10:00:00.000Z', contactExternalIds: [] } });
  });

  it('quarantines a paid order without an amount, or with a non-number, naming the field', () => {
    const reason = (o: Record<string, unknown>) => {
      const m = mapOrder(order(o), mapping);
      return m.ok === false ? m.quarantined.reason : 'not quarantined';
    };
    expect(reason({ currentTotalPriceSet: { shopMoney: { amount: null, currencyCode: 'USD' } } })).toBe('currentTotalPriceSet.shopMoney.amount: missing on a paid order (order #1001)');
    expect(reason({ currentTotalPriceSet: { shopMoney: { amount: 'ten', currencyCode: 'USD' } } })).toBe('currentTotalPriceSet.shopMoney.amount: "ten" is not a number (order #1001)');
    expect(reason({ id: 'gid://shopify/Customer/1' })).toMatch(/^id: must be a Shopify Order id/);
  });

  it('a quarantined order names its customer, even when it is malformed (segsync forget erases it with them)', () => {
    const invalid = mapOrder(order({ currentTotalPriceSet: { shopMoney: { amount: 'ten', currencyCode: 'USD' } } }), mapping);
    expect(invalid).toMatchObject({ ok: false, quarantined: { contactExternalIds: ['gid://shopify/Customer/544365967'] } });
    const malformed = mapOrder(order({ updatedAt: 42 }), mapping);
    expect(malformed).toMatchObject({ ok: false, quarantined: { kind: 'malformed', contactExternalIds: ['gid://shopify/Customer/544365967'] } });
    const guest = mapOrder(order({ customer: null, currentTotalPriceSet: { shopMoney: { amount: 'ten', currencyCode: 'USD' } } }), mapping);
    expect(guest.ok === false && 'contactExternalIds' in guest.quarantined).toBe(false);
  });
});

describe('Shopify configuration and naming', () => {
  it('is not configured without SHOPIFY_ACCESS_TOKEN', () => {
    expect(shopifyConfigFromEnv({ SHOPIFY_SHOP_URL: 'https://acme.myshopify.com' })).toBeUndefined();
  });

  it('names the variable that is wrong, never the token', () => {
    const secret = 'shpat_super-secret-value';
    expect(() => shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: secret })).toThrow(ConfigError);
    expect(() => shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: secret })).toThrow(/SHOPIFY_SHOP_URL/);
    try {
      shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: secret, SHOPIFY_SHOP_URL: 'ftp://x', SHOPIFY_TIMEOUT_MS: 'soon' });
    } catch (error) {
      expect((error as Error).message).toMatch(/SHOPIFY_TIMEOUT_MS/);
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('reads the shop URL (a bare domain is https), the timeout, the bulk poll interval and when to push in bulk', () => {
    expect(shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 't', SHOPIFY_SHOP_URL: 'acme.myshopify.com/', SHOPIFY_TIMEOUT_MS: '5000' })).toEqual({
      shopUrl: 'https://acme.myshopify.com',
      accessToken: 't',
      timeoutMs: 5000,
      bulkPollMs: 3000,
      bulkPush: 'auto',
    });
    expect(shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 't', SHOPIFY_SHOP_URL: 'acme.myshopify.com', SHOPIFY_BULK_PUSH: 'never' })?.bulkPush).toBe('never');
    expect(() => shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 't', SHOPIFY_SHOP_URL: 'acme.myshopify.com', SHOPIFY_BULK_PUSH: 'sometimes' })).toThrow(/SHOPIFY_BULK_PUSH.*auto, never or always/s);
    expect(shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 't', SHOPIFY_SHOP_URL: 'acme.myshopify.com', SHOPIFY_BULK_POLL_MS: '10000' })?.bulkPollMs).toBe(10_000);
    expect(() => shopifyConfigFromEnv({ SHOPIFY_ACCESS_TOKEN: 't', SHOPIFY_SHOP_URL: 'acme.myshopify.com', SHOPIFY_BULK_POLL_MS: 'often' })).toThrow(/SHOPIFY_BULK_POLL_MS/);
  });

  it('incremental queries use Shopify\'s search syntax, rounded down to the second', () => {
    expect(updatedSinceQuery(Date.parse('2026-01-01T00:00:00.999Z'))).toBe("updated_at:>='2026-01-01T00:00:00Z'");
  });

  it('segments are tags segsync:<slug>; numbers are number_integer metafields', () => {
    expect(segmentTag('champions')).toBe('segsync:champions');
    expect(segmentTag("Can't Lose Them")).toBe('segsync:can-t-lose-them');
    expect(metafieldType({ type: 'number' })).toBe('number_integer');
    expect(metafieldType({ type: 'enumeration' })).toBe('single_line_text_field');
  });
});
