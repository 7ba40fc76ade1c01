/**
 * Shopify's answers about the app and the shop, as recorded (test/fixtures/shopify/, SOURCE.md):
 * protected customer data ("This app is not approved to access the Customer object") is neither a
 * token nor a scope problem and keeps its documentation link; a mutation whose writes ran counts
 * them even when Shopify refuses to show the customer back; a shop's state (pending termination,
 * frozen, locked) is named, never blamed on the mapping file.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShopifyClient } from '../../connectors/shopify/client.js';
import { createShopifyDestination } from '../../connectors/shopify/destination.js';
import { customersPage } from '../../connectors/shopify/documents.js';
import { ShopifyAccountError } from '../../connectors/shopify/errors.js';
import { shopify } from '../../connectors/shopify/index.js';
import { CustomersPageSchema } from '../../connectors/shopify/schemas.js';
import { loadMapping } from '../../src/config/mapping.js';
import protectedQuery from '../fixtures/shopify/error_access_denied_protected_customer_data_MODELLED.json' with { type: 'json' };
import protectedDocs from '../fixtures/shopify/error_protected_customer_data_docs_example.json' with { type: 'json' };
import protectedTags from '../fixtures/shopify/tagsAdd_partial_protected_customer_data_MODELLED.json' with { type: 'json' };
import pendingTermination from '../fixtures/shopify/error_shop_pending_termination.json' with { type: 'json' };
import unavailable from '../fixtures/shopify/error_402_unavailable_shop.json' with { type: 'json' };
import locked from '../fixtures/shopify/error_423_locked_MODELLED.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';

const BASE = 'https://acme.myshopify.com';
const PATH = '/admin/api/2026-07/graphql.json';
const DOCS = 'https://shopify.dev/docs/apps/launch/protected-customer-data';
const mapping = loadMapping(shopify.defaultMappingFile);

function client() {
  const retries: number[] = [];
  const c = new ShopifyClient(
    { shopUrl: BASE, accessToken: 'shpat_contract-secret-token', timeoutMs: 2_000, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 4 },
    { onRetry: ({ attempt }) => retries.push(attempt) },
  );
  const page = () => c.execute(customersPage(mapping), { first: 250, after: null, query: null }, CustomersPageSchema);
  return { c, page, retries };
}


beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Shopify protected customer data', () => {
  it('a refused customers query says the app needs protected customer data access, not a token or scope, and keeps the link', async () => {
    nock(BASE).post(PATH).once().reply(200, protectedQuery);
    const { page, retries } = client();
    const error = await failure(page());
    expect(error).toBeInstanceOf(ShopifyAccountError);
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('the app is not approved for protected customer data (Shopify: "This app is not approved to access the Customer object.');
    expect(error.message).toContain('Fix: this is not a token or scope problem: the app needs protected customer data access');
    expect(error.message).toContain(`See ${DOCS}`);
    expect(error.message).not.toContain('SHOPIFY_ACCESS_TOKEN');
    expect(error.message).not.toContain('mappings/shopify.yaml');
    expect(retries).toEqual([]);
  });

  it('reads Shopify\'s documented example (no code, a Partner Dashboard link) the same way, keeping that link', async () => {
    nock(BASE).post(PATH).reply(200, protectedDocs);
    const error = await failure(client().page());
    expect(error).toBeInstanceOf(ShopifyAccountError);
    expect(error.message).toContain('See https://partners.shopify.com/123/apps/456/customer_data for more details.');
    expect(error.message).toContain(`See ${DOCS}`);
  });

  it('counts the customers of a tagsAdd whose writes ran when only reading the customer back was refused, and says why once', async () => {
    nock(BASE).post(PATH).reply(200, protectedTags);
    const destination = createShopifyDestination(client().c, mapping);
    const ids = ['gid://shopify/Customer/1', 'gid://shopify/Customer/2'];
    const result = await destination.apply({ kind: 'list_add', listId: 'segsync:champions', externalIds: ids });
    expect(result.applied).toEqual(ids);
    expect(result.failed).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings![0]).toContain('the app is not approved for protected customer data');
    expect(result.warnings![0]).toContain('the writes were accepted without errors and are counted');
    expect(result.warnings![0]).toContain(DOCS);
  });

  it('still fails the customer whose own write was refused, and counts the others', async () => {
    nock(BASE).post(PATH).reply(200, {
      ...protectedTags,
      data: { t0: { node: null, userErrors: [] }, t1: null },
      errors: [protectedTags.errors[0], { ...protectedTags.errors[1], path: ['t1'] }],
    });
    const destination = createShopifyDestination(client().c, mapping);
    const ids = ['gid://shopify/Customer/1', 'gid://shopify/Customer/2'];
    const result = await destination.apply({ kind: 'list_add', listId: 'segsync:champions', externalIds: ids });
    expect(result.applied).toEqual([ids[0]]);
    expect(result.failed).toEqual([{ externalId: ids[1], reason: expect.stringContaining('not approved to access the Customer object') as string }]);
  });
});

describe('Shopify shop states', () => {
  it('SHOP_PENDING_TERMINATION (recorded) names the shop\'s state and who can change it, not the mapping file', async () => {
    nock(BASE).post(PATH).once().reply(200, pendingTermination);
    const { page, retries } = client();
    const error = await failure(page());
    expect(error).toMatchObject({ kind: 'auth', problem: 'shop-state', shopState: 'pending termination' });
    expect(error.message).toContain('the shop is pending termination, so Shopify refuses API access to it (Shopify: "Access denied for products field. Shop is under review.")');
    expect(error.message).toContain('the store owner must resolve it with Shopify Support');
    expect(error.message).not.toContain('mappings/shopify.yaml');
    expect(retries).toEqual([]);
  });

  it('HTTP 402 "Unavailable Shop" (recorded) is a frozen shop, also when it comes as 403', async () => {
    nock(BASE).post(PATH).reply(402, unavailable);
    const frozen = await failure(client().page());
    expect(frozen).toMatchObject({ status: 402, shopState: 'frozen' });
    expect(frozen.message).toContain('the shop is frozen');
    expect(frozen.message).toContain('pay the outstanding balance');
    nock(BASE).post(PATH).reply(403, unavailable);
    expect(await failure(client().page())).toMatchObject({ status: 403, shopState: 'frozen' });
  });

  it('HTTP 423 is a locked shop', async () => {
    nock(BASE).post(PATH).reply(423, locked);
    const error = await failure(client().page());
    expect(error).toMatchObject({ status: 423, shopState: 'locked' });
    expect(error.message).toContain('the shop is locked');
    expect(error.message).not.toContain('SHOPIFY_ACCESS_TOKEN');
  });
});
