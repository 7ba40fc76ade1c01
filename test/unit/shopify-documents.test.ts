import { describe, expect, it } from 'vitest';
import { NoDeprecatedCustomRule, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import {
  ACCESS_SCOPES,
  BULK_OPERATION,
  BULK_QUERY_RUN,
  customersPage,
  everyBulkQuery,
  everyDocument,
  MAX_QUERY_COST,
  mutationsPerRequest,
  ordersPage,
  pageSizeFor,
  tagsDocument,
  tokensDocument,
} from '../../connectors/shopify/documents.js';
import { bulkQueryProblems } from '../../connectors/shopify/emulator/bulk.js';
import { actualCost, requestedCost } from '../../connectors/shopify/emulator/cost.js';
import { adminSchema } from '../../connectors/shopify/emulator/schema.js';
import { shopify } from '../../connectors/shopify/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadMapping, type Mapping } from '../../src/config/mapping.js';
import bulkCurrent from '../fixtures/shopify/bulk_current_operation_completed_ALAppExt.json' with { type: 'json' };
import bulkNode from '../fixtures/shopify/bulk_operation_node_completed_ALAppExt.json' with { type: 'json' };
import bulkMutationCreated from '../fixtures/shopify/bulk_operation_run_mutation_created_ALAppExt.json' with { type: 'json' };
import catalogsPage from '../fixtures/shopify/catalogs_page_with_edge_cursor_ALAppExt.json' with { type: 'json' };
import customersEmpty from '../fixtures/shopify/customers_page_empty_ALAppExt.json' with { type: 'json' };
import staffPage from '../fixtures/shopify/staff_members_page_ALAppExt.json' with { type: 'json' };

const schema = adminSchema();
const mapping = loadMapping(shopify.defaultMappingFile);

function costOf(query: string, variables: Record<string, unknown> = {}, data?: Record<string, unknown> | null) {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  return data === undefined ? requestedCost(schema, document, operation, variables) : actualCost(schema, document, operation, variables, data);
}

function variablesFor(query: string, pageSize?: number): Record<string, unknown> {
  return pageSize ? { first: pageSize, after: null, query: null } : {};
}

describe('Shopify documents against the vendored Admin schema 2026-07', () => {
  const documents = everyDocument(mapping);
  const bulkQueries = everyBulkQuery(mapping);

  it('every query and mutation the connector sends is valid, bulk operations\' inner queries included', () => {
    expect(documents.length).toBeGreaterThanOrEqual(10);
    expect(bulkQueries.map((q) => q.name)).toEqual(['CustomersBulk', 'OrdersBulk', 'OrdersBulkWithoutProducts', 'ProductCollectionsBulk']);
    for (const doc of [...documents, ...bulkQueries]) {
      const errors = validate(schema, parse(doc.query));
      expect(errors.map((e) => e.message), doc.name).toEqual([]);
    }
  });

  it('bulk inner queries keep to Shopify\'s bulk restrictions: one connection, no paging, what the pages select', () => {
    for (const q of bulkQueries) {
      expect(bulkQueryProblems(schema, q.query).problems, q.name).toEqual([]);
      expect(q.query, q.name).not.toMatch(/\b(first|after|pageInfo)\b/);
    }
    const selected = (query: string) => /\{ node \{ (.*) \} \}/.exec(query)?.[1] ?? /nodes \{ (.*) \}/.exec(query)?.[1];
    expect(selected(bulkQueries[0]!.query)).toBe(selected(customersPage(mapping).query));
    // Orders: the page's fields, and every line as a nested connection (a page reads the first 20).
    const lines = (query: string) => query.replace(/lineItems(\(first: \d+\))? \{ (pageInfo \{ hasNextPage \} nodes|edges \{ node) \{/, 'lineItems {');
    expect(lines(bulkQueries[1]!.query)).toContain(lines(ordersPage(mapping).query).match(/nodes \{ (id .*) \}\n  \}/)![1]!.replace(/ \}$/, ''));
    expect(bulkQueries[1]!.query).toContain('lineItems { edges { node { quantity discountedTotalSet { shopMoney { amount currencyCode } } product { id productType vendor } } } }');
    expect(bulkQueries.map((q) => q.groupObjects)).toEqual([false, true, true, true]);
    // Without read_products the lines select their own vendor and no product (a Product object needs the scope).
    expect(bulkQueries[2]!.query).toContain('lineItems { edges { node { quantity discountedTotalSet { shopMoney { amount currencyCode } } vendor } } }');
    expect(bulkQueries[2]!.query).not.toContain('product');
    expect(ordersPage(mapping, false).query).not.toContain('product');
    // Collections: one level below the products root, as bulk queries allow (not below orders' lines: a third level).
    expect(bulkQueries[3]!.query.replace(/\s+/g, ' ')).toBe('{ products { edges { node { id collections { edges { node { title } } } } } } }');
    expect(BULK_QUERY_RUN.query).toContain('bulkOperationRunQuery(query: $query, groupObjects: $groupObjects)');
    // 2026-07 deprecates currentBulkOperation: the connector polls bulkOperation(id:).
    expect(BULK_OPERATION.query).toContain('bulkOperation(id: $id)');
    expect(BULK_OPERATION.query).not.toContain('currentBulkOperation');
  });

  it('uses no deprecated field (defaultEmailAddress, defaultPhoneNumber, numberOfOrders, not email/phone/ordersCount)', () => {
    // SMS consent: 2026-07 deprecates every field that holds it (Customer.smsMarketingConsent points at
    // defaultPhoneNumber.marketingState, which points at a smsMarketingConsent.state CustomerPhoneNumber
    // does not have yet); the mapping reads defaultPhoneNumber.marketingState, already selected for the phone.
    const smsOnly = 'The field CustomerPhoneNumber.marketingState is deprecated. Use `smsMarketingConsent.state` instead.';
    for (const doc of [...documents, ...bulkQueries]) {
      const errors = validate(schema, parse(doc.query), [...specifiedRules, NoDeprecatedCustomRule]);
      expect(errors.map((e) => e.message).filter((m) => m !== smsOnly), doc.name).toEqual([]);
    }
    const customers = customersPage(mapping).query;
    expect(customers).toContain('defaultEmailAddress { emailAddress marketingState }');
    expect(customers).toContain('defaultPhoneNumber { phoneNumber marketingState }');
    expect(customers).toContain('numberOfOrders');
    expect(customers).toMatch(/sortKey: UPDATED_AT/);
    expect(ordersPage(mapping).query).toContain('currentTotalPriceSet { shopMoney { amount currencyCode } }');
  });

  it('declares the requested cost the emulator computes from the schema, and stays within 1,000 points', () => {
    for (const doc of documents) {
      const pageSize = 'pageSize' in doc ? (doc as { pageSize: number }).pageSize : undefined;
      expect(costOf(doc.query, variablesFor(doc.query, pageSize)), doc.name).toBe(doc.cost);
      expect(doc.cost, doc.name).toBeLessThanOrEqual(MAX_QUERY_COST);
    }
  });

  it('pages by 250 unless a node costs too much: the default mapping selects 3 objects per customer, so 249', () => {
    expect(pageSizeFor(1)).toBe(250);
    expect(pageSizeFor(3)).toBe(250); // 2 + 250 × 3 = 752
    expect(pageSizeFor(4)).toBe(249); // 2 + 250 × 4 = 1002 > 1000
    expect(customersPage(mapping)).toMatchObject({ pageSize: 249, cost: 998 });
    // Orders read their first 20 lines: 4 + (2 + 20 × 4) points per order, so 11 orders a page.
    expect(ordersPage(mapping)).toMatchObject({ pageSize: 11, cost: 2 + 11 * 86 });
    // Without the product: 3 objects a line, 4 + (2 + 20 × 3) points per order, 15 orders a page.
    expect(ordersPage(mapping, false)).toMatchObject({ pageSize: 15, cost: 2 + 15 * 66 });
    const lean: Mapping = { ...mapping, contacts: { ...mapping.contacts, fields: { email: 'defaultEmailAddress.emailAddress' }, attributes: {} } };
    expect(customersPage(lean)).toMatchObject({ pageSize: 250, cost: 502 });
  });

  it('sizes aliased mutations to the 1,000-point limit and to a smaller bucket', () => {
    expect(mutationsPerRequest(undefined)).toBe(100);
    expect(mutationsPerRequest(2000)).toBe(100);
    expect(mutationsPerRequest(500)).toBe(50);
    expect(tagsDocument('tagsAdd', 100).cost).toBe(1000);
    expect(tokensDocument(3, 2).cost).toBe(50);
    expect(ACCESS_SCOPES.cost).toBe(2);
  });

  it('refuses a mapping path that is no GraphQL path, naming the mapping entry', () => {
    const bad: Mapping = { ...mapping, contacts: { ...mapping.contacts, attributes: { vip: 'tags..x' } } };
    expect(() => customersPage(bad)).toThrow(ConfigError);
    expect(() => customersPage(bad)).toThrow(/contacts\.attributes\.vip/);
  });

  it('a mapping that names a field Customer lacks makes an invalid document, as Shopify would say', () => {
    const typo: Mapping = { ...mapping, contacts: { ...mapping.contacts, fields: { ...mapping.contacts.fields, city: 'defaultAdress.city' } } };
    const errors = validate(schema, parse(customersPage(typo).query));
    expect(errors.map((e) => e.message).join()).toMatch(/Cannot query field "defaultAdress" on type "Customer"/);
  });
});

describe('the emulator\'s cost model reproduces recorded Shopify costs', () => {
  // The queries are reconstructed from the recorded answers' shapes (first = (requested − 2) / node cost).
  it('customers(first: 10) with no customers: requested 12, actual 2', () => {
    const q = 'query { customers(first: 10) { pageInfo { hasNextPage } edges { cursor node { id } } } }';
    expect(costOf(q)).toBe(customersEmpty.extensions.cost.requestedQueryCost);
    expect(costOf(q, {}, customersEmpty.data)).toBe(customersEmpty.extensions.cost.actualQueryCost);
  });

  it('catalogs(first: 25) with one catalog: requested 27, actual 3', () => {
    const q = 'query { catalogs(first: 25) { pageInfo { hasNextPage } edges { cursor node { id title } } } }';
    expect(costOf(q)).toBe(catalogsPage.extensions.cost.requestedQueryCost);
    expect(costOf(q, {}, catalogsPage.data)).toBe(catalogsPage.extensions.cost.actualQueryCost);
  });

  it('staffMembers(first: 5) with two members: requested 7, actual 4', () => {
    const q = 'query { staffMembers(first: 5) { edges { node { id email firstName } } pageInfo { hasNextPage endCursor } } }';
    expect(costOf(q)).toBe(staffPage.extensions.cost.requestedQueryCost);
    expect(costOf(q, {}, staffPage.data)).toBe(staffPage.extensions.cost.actualQueryCost);
  });

  it('a mutation costs 10 with its payload objects free (recorded draftOrderCreate: 10)', () => {
    expect(costOf('mutation { draftOrderCreate(input: {}) { draftOrder { id legacyResourceId } userErrors { field message } } }')).toBe(10);
  });

  it('bulk operations: starting one costs 10 (recorded bulkOperationRunMutation), a poll 1 (recorded currentBulkOperation and node polls)', () => {
    expect(BULK_QUERY_RUN.cost).toBe(bulkMutationCreated.extensions.cost.requestedQueryCost);
    expect(costOf(BULK_QUERY_RUN.query)).toBe(10);
    expect(BULK_OPERATION.cost).toBe(bulkCurrent.extensions.cost.requestedQueryCost);
    expect(costOf(BULK_OPERATION.query)).toBe(bulkNode.extensions.cost.requestedQueryCost);
    expect(costOf('query { currentBulkOperation { id status errorCode createdAt completedAt objectCount fileSize url partialDataUrl } }')).toBe(bulkCurrent.extensions.cost.requestedQueryCost);
  });
});
