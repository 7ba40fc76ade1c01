/**
 * Every GraphQL document the Shopify connector sends, in one place, so a test can validate each
 * against the vendored Admin schema (schema/admin_2026-07.json.gz) with graphql's `validate()`.
 *
 * Full pulls run as bulk query operations: `BULK_QUERY_RUN` starts one with an inner query
 * (`customersBulkQuery`, `ordersBulkQuery`: the same selections as the pages, without paging),
 * `BULK_OPERATION` polls it. Inner queries are validated like every other document and must keep
 * to Shopify's bulk restrictions (at least one connection, at most five, nested at most two deep).
 * Every read of the orders stream with read_products also runs `PRODUCT_COLLECTIONS_BULK` first
 * (collections.ts): one extra bulk operation per pull.
 *
 * Each document carries its requested cost by Shopify's documented default costs (platforms.md S5:
 * scalar and enum 0, object 1, connection 2 + first × the cost of one node, mutation 10, objects
 * inside a mutation payload free — the recorded draftOrderCreate answer requested 10). The client
 * paces itself with it before Shopify has told it better (see cost.ts).
 */
import { ConfigError } from '../../src/config/errors.js';
import type { Mapping } from '../../src/config/mapping.js';

/** Shopify rejects a query whose requested cost exceeds this before running it (MAX_COST_EXCEEDED). */
export const MAX_QUERY_COST = 1000;
/** `first`/`last` may not exceed 250 on any connection. */
export const MAX_PAGE_SIZE = 250;
/** Platforms.md S5: a mutation field costs about 10 points (⚠ not fully documented). */
export const MUTATION_COST = 10;
/** metafieldsSet and metafieldsDelete take at most 25 metafields per call (shopify.dev, changelog 2024-04). */
export const METAFIELDS_PER_CALL = 25;
/** The customer metafield namespace segsync writes tokens to. */
export const METAFIELD_NAMESPACE = 'segsync';
/** How many definitions one MetafieldDefinitions page asks for; segsync defines a handful. */
const DEFINITIONS_PAGE = 100;

export interface GraphqlDocument {
  /** The operation name: shown in errors, logs and the emulator's request log. */
  name: string;
  query: string;
  /** Requested cost by Shopify's default costs. */
  cost: number;
  /** A mutation (counted as a write). */
  write: boolean;
}

export interface PageDocument extends GraphqlDocument {
  /** The `first` this document is sent with: 250, or less when a node costs too much for 250 to fit in 1,000 points. */
  pageSize: number;
}

// ---------------------------------------------------------------------------------------------
// Selections built from mapping paths ("defaultEmailAddress.emailAddress")
// ---------------------------------------------------------------------------------------------

type Tree = Map<string, Tree>;
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function addPath(tree: Tree, path: string, where: string): void {
  const segments = path.split('.');
  if (segments.some((s) => !NAME.test(s))) {
    throw new ConfigError(`${where}: "${path}" is not a GraphQL field path (names separated by dots, e.g. defaultAddress.city)`);
  }
  let node = tree;
  for (const s of segments) {
    let next = node.get(s);
    if (!next) node.set(s, (next = new Map()));
    node = next;
  }
}

function printTree(tree: Tree): string {
  return [...tree].map(([name, sub]) => (sub.size === 0 ? name : `${name} { ${printTree(sub)} }`)).join(' ');
}

/** Objects selected below a node (each costs 1); the leaves are scalars or enums. */
function objectCount(tree: Tree): number {
  let n = 0;
  for (const sub of tree.values()) if (sub.size > 0) n += 1 + objectCount(sub);
  return n;
}

function selection(paths: Array<{ path: string; where: string }>): { text: string; nodeCost: number } {
  const tree: Tree = new Map();
  for (const p of paths) addPath(tree, p.path, p.where);
  return { text: printTree(tree), nodeCost: 1 + objectCount(tree) };
}

/** The largest page that keeps a connection of nodes this expensive within the single-query limit. */
export function pageSizeFor(nodeCost: number, extraCost = 0): number {
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor((MAX_QUERY_COST - 2 - extraCost) / nodeCost)));
}

function pageDocument(name: string, connection: string, sortKey: string, paths: Array<{ path: string; where: string }>, nested?: { text: string; cost: number }): PageDocument {
  const selected = selection(paths);
  const text = nested ? `${selected.text} ${nested.text}` : selected.text;
  const nodeCost = selected.nodeCost + (nested?.cost ?? 0);
  const pageSize = pageSizeFor(nodeCost);
  return {
    name,
    write: false,
    pageSize,
    cost: 2 + pageSize * nodeCost,
    query:
      `query ${name}($first: Int!, $after: String, $query: String) {\n` +
      `  ${connection}(first: $first, after: $after, query: $query, sortKey: ${sortKey}) {\n` +
      `    pageInfo { hasNextPage endCursor }\n` +
      `    nodes { ${text} }\n` +
      `  }\n}`,
  };
}

/**
 * The inner query of a bulk operation: a GraphQL document sent as the `query` argument of
 * bulkOperationRunQuery, run by Shopify over every record with no page size and no cost to the
 * bucket. Never sent as a request of its own.
 */
export interface BulkQuery {
  /** For logs and errors. */
  name: string;
  /** The connection it reads. */
  connection: string;
  query: string;
  /**
   * Whether Shopify must put each node's nested-connection nodes right below it (`groupObjects`):
   * from 2026-01 the default is false and the file then promises no order, so a query with a
   * nested connection asks for grouping, slower as Shopify warns, to assemble a record from the
   * lines that follow it without holding the whole file.
   */
  groupObjects: boolean;
}

function bulkQuery(name: string, connection: string, paths: Array<{ path: string; where: string }>, nested = ''): BulkQuery {
  // edges { node } as in Shopify's bulk examples; `first`, cursors and pageInfo mean nothing in bulk.
  const node = nested ? `${selection(paths).text} ${nested}` : selection(paths).text;
  return { name, connection, query: `{\n  ${connection} {\n    edges { node { ${node} } }\n  }\n}`, groupObjects: nested !== '' };
}

/**
 * What segsync reads of an order's lines, whatever the mapping says (the interests features).
 * `discountedTotalSet`: the line's total after its own discounts, in the shop's currency as the
 * order total is; order-level discounts, shipping and tax stay out (no line has them).
 * `quantity` is the quantity ordered.
 *
 * `product` (its id, product type and vendor) is a Product object, which needs the read_products
 * scope. Without it the lines select `vendor` of the LineItem itself and no product: product
 * types stay unknown, and the orders are still read (source.ts warns). Collections are read apart:
 * `product.collections` is a connection inside the `lineItems` connection, a third level of
 * nesting below `orders`, which bulk queries refuse (at most two levels), and a page query would
 * multiply its cost per line; so one more bulk operation reads every product's collections
 * (`productCollectionsBulkQuery`) and the lines take them from their product's id.
 */
const LINE_ITEM_FIELDS = 'quantity discountedTotalSet { shopMoney { amount currencyCode } } product { id productType vendor }';
const LINE_ITEM_FIELDS_WITHOUT_PRODUCT = 'quantity discountedTotalSet { shopMoney { amount currencyCode } } vendor';
/** Objects per line: the line, discountedTotalSet, shopMoney, and product where selected. */
const lineItemCost = (products: boolean) => (products ? 4 : 3);
/**
 * Lines read per order in a page (incremental pulls, reads by id): nested connections multiply the
 * requested cost, so a page holds about 11 orders. An order with more lines than this keeps the
 * lines stored from the last full pull (`pull --full` reads every line in bulk).
 */
export const LINE_ITEMS_PER_ORDER = 20;
const lineFields = (products: boolean) => (products ? LINE_ITEM_FIELDS : LINE_ITEM_FIELDS_WITHOUT_PRODUCT);
function pagedLineItems(products: boolean): { text: string; cost: number } {
  return {
    text: `lineItems(first: ${LINE_ITEMS_PER_ORDER}) { pageInfo { hasNextPage } nodes { ${lineFields(products)} } }`,
    // pageInfo is part of the connection's 2 points.
    cost: 2 + LINE_ITEMS_PER_ORDER * lineItemCost(products),
  };
}
const bulkLineItems = (products: boolean) => `lineItems { edges { node { ${lineFields(products)} } } }`;

/** Customer fields segsync itself relies on, whatever the mapping says. */
export const CUSTOMER_REQUIRED_PATHS = ['id', 'updatedAt'] as const;
/** Order fields segsync itself relies on (status, test orders, the customer link, dates). */
export const ORDER_REQUIRED_PATHS = ['id', 'updatedAt', 'createdAt', 'processedAt', 'cancelledAt', 'test', 'customer.id'] as const;

export function customerPaths(mapping: Mapping): Array<{ path: string; where: string }> {
  const c = mapping.contacts;
  return [
    ...CUSTOMER_REQUIRED_PATHS.map((path) => ({ path, where: 'connector' })),
    ...Object.entries(c.fields).flatMap(([k, v]) => (v ? [{ path: v, where: `mapping contacts.fields.${k}` }] : [])),
    ...(c.consent ? [{ path: c.consent.field, where: 'mapping contacts.consent.field' }] : []),
    ...Object.entries(c.attributes).map(([k, v]) => ({ path: v, where: `mapping contacts.attributes.${k}` })),
  ];
}

export function orderPaths(mapping: Mapping): Array<{ path: string; where: string }> {
  const p = mapping.purchases;
  return [
    ...ORDER_REQUIRED_PATHS.map((path) => ({ path, where: 'connector' })),
    ...Object.entries(p.fields).flatMap(([k, v]) => (v ? [{ path: v, where: `mapping purchases.fields.${k}` }] : [])),
    { path: p.status.field, where: 'mapping purchases.status.field' },
  ];
}

/** `customers(first, after, query:"updated_at:>='…'", sortKey: UPDATED_AT)`, selecting what the mapping names. */
export function customersPage(mapping: Mapping): PageDocument {
  return pageDocument('CustomersPage', 'customers', 'UPDATED_AT', customerPaths(mapping));
}

/**
 * `orders(first, after, query:"updated_at:>='…'", sortKey: UPDATED_AT)`, selecting what the mapping
 * names. `products`: the app holds read_products, so each line selects its product.
 */
export function ordersPage(mapping: Mapping, products = true): PageDocument {
  return pageDocument(products ? 'OrdersPage' : 'OrdersPageWithoutProducts', 'orders', 'UPDATED_AT', orderPaths(mapping), pagedLineItems(products));
}

/** Input arrays take at most 250 items (shopify.dev/docs/api/usage/limits). */
export const MAX_IDS_PER_QUERY = 250;

/** `nodes(ids:)` reading records again by id, selecting what the pages select. */
function byIdDocument(name: string, type: 'Customer' | 'Order', paths: Array<{ path: string; where: string }>, nested?: { text: string; cost: number }): PageDocument {
  const selected = selection(paths);
  const text = nested ? `${selected.text} ${nested.text}` : selected.text;
  const nodeCost = selected.nodeCost + (nested?.cost ?? 0);
  return {
    name,
    write: false,
    // As many ids as a page holds: within the 1,000 points even if Shopify priced every id.
    pageSize: Math.min(MAX_IDS_PER_QUERY, pageSizeFor(nodeCost)),
    // A list without `first` is priced as one element of it (the emulator's cost model, as `node(id:)`);
    // the client learns Shopify's own figure from the first answer.
    cost: nodeCost,
    query: `query ${name}($ids: [ID!]!) {\n  nodes(ids: $ids) { ... on ${type} { ${text} } }\n}`,
  };
}

/** Customers by id (quarantined ones read again), selecting what the mapping names. */
export function customersById(mapping: Mapping): PageDocument {
  return byIdDocument('CustomersById', 'Customer', customerPaths(mapping));
}

/** Orders by id (quarantined ones read again), selecting what the mapping names; `products` as for ordersPage. */
export function ordersById(mapping: Mapping, products = true): PageDocument {
  return byIdDocument(products ? 'OrdersById' : 'OrdersByIdWithoutProducts', 'Order', orderPaths(mapping), pagedLineItems(products));
}

/** Every customer, selecting what the mapping names (a bulk operation's inner query). */
export function customersBulkQuery(mapping: Mapping): BulkQuery {
  return bulkQuery('CustomersBulk', 'customers', customerPaths(mapping));
}

/** Every order the app may see, selecting what the mapping names (a bulk operation's inner query); `products` as for ordersPage. */
export function ordersBulkQuery(mapping: Mapping, products = true): BulkQuery {
  return bulkQuery(products ? 'OrdersBulk' : 'OrdersBulkWithoutProducts', 'orders', orderPaths(mapping), bulkLineItems(products));
}

/**
 * Every product's collections (titles), one level of nesting below `products` as bulk queries
 * allow, grouped so that a product's collections follow it. Needs read_products. Run once per
 * read of the orders stream, before the orders (source.ts): one extra bulk operation per pull.
 */
export const PRODUCT_COLLECTIONS_BULK: BulkQuery = {
  name: 'ProductCollectionsBulk',
  connection: 'products',
  query: '{\n  products {\n    edges { node { id collections { edges { node { title } } } } }\n  }\n}',
  groupObjects: true,
};

// ---------------------------------------------------------------------------------------------
// Fixed queries
// ---------------------------------------------------------------------------------------------

/** The scopes the merchant granted: without read_all_orders only the last 60 days of orders are visible. */
export const ACCESS_SCOPES: GraphqlDocument = {
  name: 'AccessScopes',
  write: false,
  cost: 2,
  query: 'query AccessScopes {\n  currentAppInstallation { accessScopes { handle } }\n}',
};

/**
 * The cheapest read of the Customer object (doctor): Shopify refuses it when the app is not
 * approved for protected customer data, whatever its scopes.
 */
export const CUSTOMER_ACCESS: GraphqlDocument = {
  name: 'CustomerAccess',
  write: false,
  cost: 3,
  query: 'query CustomerAccess {\n  customers(first: 1) { nodes { id } }\n}',
};

export const METAFIELD_DEFINITIONS: GraphqlDocument = {
  name: 'MetafieldDefinitions',
  write: false,
  cost: 2 + DEFINITIONS_PAGE * 2,
  query:
    'query MetafieldDefinitions($namespace: String!) {\n' +
    `  metafieldDefinitions(ownerType: CUSTOMER, namespace: $namespace, first: ${DEFINITIONS_PAGE}) {\n` +
    '    nodes { id key name type { name } }\n' +
    '  }\n}',
};

/**
 * Polls one bulk operation. `bulkOperation(id:)` (2026-01+) rather than `currentBulkOperation`,
 * which 2026-07 deprecates and which only knows the latest operation. Costs 1 point, as the
 * recorded polls (`node(id:)`, `currentBulkOperation`) did. `query` tells whether a stored
 * operation still reads what the mapping asks for.
 */
export const BULK_OPERATION: GraphqlDocument = {
  name: 'BulkOperation',
  write: false,
  cost: 1,
  query:
    'query BulkOperation($id: ID!) {\n' +
    '  bulkOperation(id: $id) { id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query }\n' +
    '}',
};

/** Bulk mutation operations listed per request: a killed push leaves at most a few running. */
const BULK_MUTATIONS_PAGE = 25;

/**
 * This app's bulk mutation operations, newest first (`bulkOperations`, 2026-01+, which replaces
 * `currentBulkOperation`): before a push starts its own, it waits for any still running (a killed
 * push's), so two never change the same customers at once.
 */
export const BULK_MUTATIONS: GraphqlDocument = {
  name: 'BulkMutations',
  write: false,
  cost: 2 + BULK_MUTATIONS_PAGE,
  query:
    'query BulkMutations {\n' +
    `  bulkOperations(first: ${BULK_MUTATIONS_PAGE}, query: "operation_type:mutation") {\n` +
    '    nodes { id status errorCode createdAt completedAt objectCount url partialDataUrl query }\n' +
    '  }\n}',
};

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/**
 * A staged upload target for a bulk mutation's variables (JSONL), uploaded by POST as Shopify's
 * import guide does. 10 points by the default costs (the recorded answer, whose query is not
 * known, requested 11).
 */
export const STAGED_UPLOADS_CREATE: GraphqlDocument = {
  name: 'StagedUploadsCreate',
  write: true,
  cost: MUTATION_COST,
  query:
    'mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {\n' +
    '  stagedUploadsCreate(input: $input) {\n' +
    '    stagedTargets { url resourceUrl parameters { name value } }\n' +
    '    userErrors { field message }\n' +
    '  }\n}',
};

/** Starts a bulk mutation operation over a staged variables file: 10 points (recorded bulkOperationRunMutation). */
export const BULK_MUTATION_RUN: GraphqlDocument = {
  name: 'BulkMutationRun',
  write: true,
  cost: MUTATION_COST,
  query:
    'mutation BulkMutationRun($mutation: String!, $stagedUploadPath: String!) {\n' +
    '  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath) {\n' +
    '    bulkOperation { id status createdAt objectCount url query }\n' +
    '    userErrors { field message code }\n' +
    '  }\n}',
};

/**
 * The mutation of a bulk mutation operation: sent as the `mutation` argument of
 * bulkOperationRunMutation and run by Shopify once per line of the variables file, costing the
 * bucket nothing. Exactly one mutation field. The payloads select only userErrors: reading the
 * Customer back is not needed (and is refused to apps without protected customer data access).
 */
export interface BulkMutation {
  /** The operation name, for logs and errors. */
  name: string;
  /** The one mutation field: the key of each result line's `data`. */
  field: 'tagsAdd' | 'tagsRemove' | 'metafieldsSet' | 'metafieldsDelete';
  mutation: string;
}

export const TAGS_ADD_BULK: BulkMutation = {
  name: 'TagsAddBulk',
  field: 'tagsAdd',
  mutation: 'mutation TagsAddBulk($id: ID!, $tags: [String!]!) {\n  tagsAdd(id: $id, tags: $tags) { userErrors { field message } }\n}',
};

export const TAGS_REMOVE_BULK: BulkMutation = {
  name: 'TagsRemoveBulk',
  field: 'tagsRemove',
  mutation: 'mutation TagsRemoveBulk($id: ID!, $tags: [String!]!) {\n  tagsRemove(id: $id, tags: $tags) { userErrors { field message } }\n}',
};

export const METAFIELDS_SET_BULK: BulkMutation = {
  name: 'MetafieldsSetBulk',
  field: 'metafieldsSet',
  mutation:
    'mutation MetafieldsSetBulk($metafields: [MetafieldsSetInput!]!) {\n' +
    '  metafieldsSet(metafields: $metafields) { userErrors { field message code elementIndex } }\n}',
};

export const METAFIELDS_DELETE_BULK: BulkMutation = {
  name: 'MetafieldsDeleteBulk',
  field: 'metafieldsDelete',
  mutation:
    'mutation MetafieldsDeleteBulk($metafields: [MetafieldIdentifierInput!]!) {\n' +
    '  metafieldsDelete(metafields: $metafields) { userErrors { field message } }\n}',
};

/** Every bulk mutation the connector can run (for the schema test). */
export function everyBulkMutation(): BulkMutation[] {
  return [TAGS_ADD_BULK, TAGS_REMOVE_BULK, METAFIELDS_SET_BULK, METAFIELDS_DELETE_BULK];
}

/**
 * Starts a bulk query operation. A mutation (10 points, as the recorded bulkOperationRunMutation
 * answer requested). `groupObjects` as the inner query asks (see BulkQuery.groupObjects).
 */
export const BULK_QUERY_RUN: GraphqlDocument = {
  name: 'BulkQueryRun',
  write: true,
  cost: MUTATION_COST,
  query:
    'mutation BulkQueryRun($query: String!, $groupObjects: Boolean!) {\n' +
    '  bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {\n' +
    '    bulkOperation { id status createdAt objectCount url query }\n' +
    '    userErrors { field message code }\n' +
    '  }\n}',
};

export const METAFIELD_DEFINITION_CREATE: GraphqlDocument = {
  name: 'MetafieldDefinitionCreate',
  write: true,
  cost: MUTATION_COST,
  query:
    'mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {\n' +
    '  metafieldDefinitionCreate(definition: $definition) {\n' +
    '    createdDefinition { id key }\n' +
    '    userErrors { field message code }\n' +
    '  }\n}',
};

export type TagsMutation = 'tagsAdd' | 'tagsRemove';

/** Aliases `t0…t{n-1}`, one resource each (tagsAdd/tagsRemove take one id), sharing `$tags`; ids in `$id0…`. */
export function tagsDocument(mutation: TagsMutation, count: number): GraphqlDocument {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`tags mutation needs at least one customer, got ${count}`);
  const vars = Array.from({ length: count }, (_, i) => `$id${i}: ID!`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) => `  t${i}: ${mutation}(id: $id${i}, tags: $tags) { node { id } userErrors { field message } }`,
  ).join('\n');
  const name = mutation === 'tagsAdd' ? 'TagsAdd' : 'TagsRemove';
  return { name, write: true, cost: count * MUTATION_COST, query: `mutation ${name}($tags: [String!]!, ${vars}) {\n${fields}\n}` };
}

/** Aliases `s0…` (metafieldsSet, ≤25 each, in `$s0…`) then `d0…` (metafieldsDelete, ≤25 each, in `$d0…`). */
export function tokensDocument(setCalls: number, deleteCalls: number): GraphqlDocument {
  if (setCalls + deleteCalls < 1) throw new RangeError('a tokens mutation needs at least one call');
  const vars = [
    ...Array.from({ length: setCalls }, (_, i) => `$s${i}: [MetafieldsSetInput!]!`),
    ...Array.from({ length: deleteCalls }, (_, i) => `$d${i}: [MetafieldIdentifierInput!]!`),
  ].join(', ');
  const fields = [
    ...Array.from(
      { length: setCalls },
      (_, i) => `  s${i}: metafieldsSet(metafields: $s${i}) { metafields { key namespace } userErrors { field message code elementIndex } }`,
    ),
    ...Array.from(
      { length: deleteCalls },
      (_, i) => `  d${i}: metafieldsDelete(metafields: $d${i}) { deletedMetafields { key namespace ownerId } userErrors { field message } }`,
    ),
  ].join('\n');
  return { name: 'SetTokens', write: true, cost: (setCalls + deleteCalls) * MUTATION_COST, query: `mutation SetTokens(${vars}) {\n${fields}\n}` };
}

/** Aliases `e0…`: one customerRequestDataErasure per customer (`segsync forget --on-platforms`). */
export function erasureDocument(count: number): GraphqlDocument {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`an erasure mutation needs at least one customer, got ${count}`);
  const vars = Array.from({ length: count }, (_, i) => `$id${i}: ID!`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) => `  e${i}: customerRequestDataErasure(customerId: $id${i}) { customerId userErrors { field message code } }`,
  ).join('\n');
  return { name: 'CustomerRequestDataErasure', write: true, cost: count * MUTATION_COST, query: `mutation CustomerRequestDataErasure(${vars}) {\n${fields}\n}` };
}

/** How many mutation fields one request may carry: within the single-query limit and the bucket. */
export function mutationsPerRequest(bucketMax: number | undefined, perMutation = MUTATION_COST): number {
  const budget = Math.min(MAX_QUERY_COST, bucketMax ?? MAX_QUERY_COST);
  return Math.max(1, Math.floor(budget / perMutation));
}

/** Every document the connector can send for a mapping, at its extremes (for the schema test). */
export function everyDocument(mapping: Mapping): GraphqlDocument[] {
  const perRequest = mutationsPerRequest(undefined);
  return [
    customersPage(mapping),
    ordersPage(mapping),
    ordersPage(mapping, false),
    customersById(mapping),
    ordersById(mapping),
    ordersById(mapping, false),
    ABANDONED_CHECKOUTS_PAGE,
    ACCESS_SCOPES,
    CUSTOMER_ACCESS,
    BULK_OPERATION,
    BULK_QUERY_RUN,
    BULK_MUTATIONS,
    STAGED_UPLOADS_CREATE,
    BULK_MUTATION_RUN,
    METAFIELD_DEFINITIONS,
    METAFIELD_DEFINITION_CREATE,
    tagsDocument('tagsAdd', 1),
    tagsDocument('tagsAdd', perRequest),
    tagsDocument('tagsRemove', 1),
    tagsDocument('tagsRemove', perRequest),
    tokensDocument(1, 0),
    tokensDocument(0, 1),
    tokensDocument(perRequest - 10, 10),
    erasureDocument(1),
    erasureDocument(perRequest),
  ];
}

/** Every bulk operation inner query the connector can send for a mapping (for the schema test). */
export function everyBulkQuery(mapping: Mapping): BulkQuery[] {
  return [customersBulkQuery(mapping), ordersBulkQuery(mapping), ordersBulkQuery(mapping, false), PRODUCT_COLLECTIONS_BULK];
}

/** Abandoned checkouts a page asks for: 250, the connection's maximum (2 + 250 × 2 points). */
export const CHECKOUTS_PAGE_SIZE = 250;

/**
 * Abandoned checkouts (Admin GraphQL since 2024-10, replacing REST checkouts.json; scope
 * read_orders, and a staff token also needs the manage_abandoned_checkouts permission), changed
 * since the cursor. AbandonedCheckoutSortKeys has no UPDATED_AT: sorted by ID, filtered on
 * updated_at (see checkouts.ts for the cursor).
 */
export const ABANDONED_CHECKOUTS_PAGE: PageDocument = {
  name: 'AbandonedCheckoutsPage',
  write: false,
  pageSize: CHECKOUTS_PAGE_SIZE,
  cost: 2 + CHECKOUTS_PAGE_SIZE * 2,
  query:
    'query AbandonedCheckoutsPage($first: Int!, $after: String, $query: String) {\n' +
    '  abandonedCheckouts(first: $first, after: $after, query: $query, sortKey: ID) {\n' +
    '    pageInfo { hasNextPage endCursor }\n' +
    '    nodes { id createdAt updatedAt completedAt customer { id } }\n' +
    '  }\n}',
};
