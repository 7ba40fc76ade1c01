/**
 * The emulator's root value: resolvers for the Admin API fields segsync (and a curious user) uses.
 * graphql-js's default resolver reads a property of the source object, or calls it with the field's
 * arguments when it is a function, so views below are plain objects with methods for fields that
 * take arguments. Fields a view lacks resolve to null (an error where the schema says non-null):
 * valid against the schema, just not emulated.
 *
 * Where Shopify's documentation is silent, the choice made is marked CHOSEN.
 */
import { createHash } from 'node:crypto';
import { protectedCustomerDataError } from './account.js';
import { GraphQLError } from 'graphql';
import { parseStrictDate } from '../../../src/domain/dates.js';
import type { BulkOperations } from './bulk.js';
import type { StagedUploadInput } from './staged-uploads.js';
import type { SyntheticLineItem } from '../../../src/sandbox/population-types.js';
import { paginate, type PageArgs } from './connection.js';
import { searchFilter, type FieldSpec, type SearchWarning } from './search.js';
import { customerRequestDataErasure } from './erasure.js';
import {
  FIRST_CUSTOMER_ID, productIdOf, unit, type CheckoutRecord, type CustomerRecord, type DefinitionRecord, type MetafieldRecord, type OrderRecord, type ProductRecord, type ShopState,
} from './state.js';

const DAY_MS = 86_400_000;
/** Without read_all_orders, Shopify shows only orders created in the last 60 days. */
export const RECENT_ORDERS_DAYS = 60;
const MAX_METAFIELDS_PER_CALL = 25;
/** ⚠ REST-era limit (platforms.md S4): 250 tags per customer, 255 characters per tag. */
const MAX_TAGS = 250;
const MAX_TAG_LENGTH = 255;
const PINNED_LIMIT = 20;
/** Metafield types the emulator validates values of; other known types are stored as given. */
const SUPPORTED_TYPES = new Set([
  'single_line_text_field', 'multi_line_text_field', 'number_integer', 'number_decimal', 'boolean', 'date', 'date_time', 'json', 'url', 'color',
]);
const TYPE_CATEGORY: Record<string, string> = {
  single_line_text_field: 'TEXT', multi_line_text_field: 'TEXT', number_integer: 'NUMBER', number_decimal: 'NUMBER', boolean: 'TRUE_FALSE',
  date: 'DATE_TIME', date_time: 'DATE_TIME', json: 'JSON', url: 'URL', color: 'COLOR',
};
const HANDLE = /^[A-Za-z0-9_-]+$/;
/** At most 13 digits before the point and 9 after (number_decimal's documented range). */
const DECIMAL_RANGE = /^[-+]?0*\d{1,13}(\.\d{1,9})?$/;

export interface ResolverContext {
  state: ShopState;
  scopes: ReadonlySet<string>;
  now: () => number;
  /** Collected into `extensions.search`. */
  searchWarnings: Array<{ path: string[]; query: string; warnings: SearchWarning[] }>;
  /** Bulk operations of this shop (absent: the bulk fields resolve to null). */
  bulk?: BulkOperations;
  /** Where this request reached the emulator (http://host[:port][/mount]): result URLs point there. */
  baseUrl?: string;
  /** Set while a bulk operation runs its query: connections ignore paging and return everything. */
  unpaged?: boolean;
  /** The app is not approved for protected customer data: every Customer object read is refused (account.ts). */
  customerDataRefused?: boolean;
  /** The staff member behind the token lacks the manage_abandoned_checkouts permission: abandonedCheckouts is refused. */
  checkoutsRefused?: boolean;
}

/** Shopify DateTime: ISO 8601 UTC to the second. */
export function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function gid(type: string, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

export function parseGid(value: string): { type: string; id: number } | undefined {
  const m = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)$/.exec(value);
  return m ? { type: m[1]!, id: Number(m[2]) } : undefined;
}

function has(ctx: ResolverContext, scope: string): boolean {
  // A write scope includes reading.
  return ctx.scopes.has(scope) || (scope.startsWith('read_') && ctx.scopes.has(`write_${scope.slice(5)}`));
}

/** Shopify's ACCESS_DENIED error (message and extensions as real answers carry them). */
export function requireScope(ctx: ResolverContext, scope: string, field: string): void {
  if (has(ctx, scope)) return;
  throw new GraphQLError(`Access denied for ${field} field. Required access: \`${scope}\` access scope.`, {
    extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: `\`${scope}\` access scope.` },
  });
}

function visibleOrder(ctx: ResolverContext, order: OrderRecord): boolean {
  return has(ctx, 'read_all_orders') || order.createdMs >= ctx.now() - RECENT_ORDERS_DAYS * DAY_MS;
}

function money(amount: string, currencyCode: string) {
  const m = { amount, currencyCode };
  return { shopMoney: m, presentmentMoney: m };
}

function digest(m: MetafieldRecord): string {
  return createHash('sha1').update(`${m.id}|${m.updatedMs}|${m.value}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

function metafieldView(ctx: ResolverContext, m: MetafieldRecord, owner: CustomerRecord) {
  return {
    __typename: 'Metafield',
    id: gid('Metafield', m.id),
    legacyResourceId: String(m.id),
    namespace: m.namespace,
    key: m.key,
    type: m.type,
    value: m.value,
    jsonValue: m.type === 'number_integer' || m.type === 'number_decimal' ? Number(m.value) : m.value,
    compareDigest: digest(m),
    createdAt: iso(m.createdMs),
    updatedAt: iso(m.updatedMs),
    ownerType: 'CUSTOMER',
    owner: () => customerView(ctx, owner),
    definition: () => {
      const d = ctx.state.definition('CUSTOMER', m.namespace, m.key);
      return d ? definitionView(d) : null;
    },
  };
}

function definitionView(d: DefinitionRecord) {
  return {
    __typename: 'MetafieldDefinition',
    id: gid('MetafieldDefinition', d.id),
    key: d.key,
    name: d.name,
    namespace: d.namespace,
    description: d.description,
    ownerType: d.ownerType,
    pinnedPosition: d.pinned ? d.id : null,
    type: { name: d.type, category: TYPE_CATEGORY[d.type] ?? 'TEXT', supportedValidations: [], supportsDefinitionMigrations: true },
  };
}

export function customerView(ctx: ResolverContext, c: CustomerRecord) {
  if (ctx.customerDataRefused) throw protectedCustomerDataError();
  const orders = () => c.orderIds.map((id) => ctx.state.order(id)!).filter((o) => !o.test);
  const spent = () =>
    orders()
      .filter((o) => o.cancelledMs === null && (o.financialStatus === 'PAID' || o.financialStatus === 'PARTIALLY_REFUNDED'))
      .reduce((n, o) => n + Number(o.amount), 0)
      .toFixed(2);
  const email = c.email === null ? null : {
    emailAddress: c.email,
    marketingState: c.marketingState,
    marketingOptInLevel: c.marketingState === 'SUBSCRIBED' ? 'SINGLE_OPT_IN' : null,
    marketingUpdatedAt: c.marketingState === 'SUBSCRIBED' || c.marketingState === 'UNSUBSCRIBED' ? iso(c.createdMs) : null,
    validFormat: /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.email.trim()),
    openTrackingLevel: 'OPTED_IN',
  };
  return {
    __typename: 'Customer',
    id: gid('Customer', c.id),
    legacyResourceId: String(c.id),
    firstName: c.firstName,
    lastName: c.lastName,
    displayName: [c.firstName, c.lastName].filter(Boolean).join(' ') || (c.email ?? ''),
    defaultEmailAddress: email,
    defaultPhoneNumber: c.phone === null ? null : { phoneNumber: c.phone, marketingState: c.smsMarketingState },
    // Deprecated twin (2026-07) of defaultPhoneNumber.marketingState; null without a phone, as Shopify's.
    smsMarketingConsent: c.phone === null ? null : { marketingState: c.smsMarketingState, marketingOptInLevel: 'SINGLE_OPT_IN', consentUpdatedAt: null, consentCollectedFrom: 'OTHER' },
    defaultAddress:
      c.city === null && c.countryCode === null
        ? null
        : { __typename: 'MailingAddress', id: gid('MailingAddress', c.id), city: c.city, countryCodeV2: c.countryCode, countryCode: c.countryCode },
    // Deprecated twins still answer on the real API.
    email: c.email,
    phone: c.phone,
    createdAt: iso(c.createdMs),
    updatedAt: iso(c.updatedMs),
    tags: [...c.tags],
    // UnsignedInt64 is serialized as a string, as the recorded bulk answers show.
    numberOfOrders: () => String(orders().length),
    amountSpent: () => ({ amount: spent(), currencyCode: 'USD' }),
    state: 'ENABLED',
    verifiedEmail: c.email !== null,
    taxExempt: false,
    dataSaleOptOut: false,
    canDelete: c.orderIds.length === 0,
    locale: 'en',
    note: null,
    metafield: (args: { namespace?: string | null; key: string }) => {
      const m = c.metafields.get(`${args.namespace ?? ''}.${args.key}`);
      return m ? metafieldView(ctx, m, c) : null;
    },
    metafields: (args: PageArgs & { namespace?: string | null; keys?: string[] | null }) => {
      const all = [...c.metafields.values()].filter(
        (m) => (!args.namespace || m.namespace === args.namespace) && (!args.keys || args.keys.includes(`${m.namespace}.${m.key}`)),
      );
      const page = paginate(all, args, (m) => ({ id: m.id, value: m.id }), { unpaged: ctx.unpaged });
      return mapConnection(page, (m) => metafieldView(ctx, m, c));
    },
    orders: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => {
      requireScope(ctx, 'read_orders', 'orders');
      return orderConnection(ctx, c.orderIds.map((id) => ctx.state.order(id)!), args, ['customer', 'orders']);
    },
  };
}

function orderView(ctx: ResolverContext, o: OrderRecord) {
  const total = money(o.amount, o.currency);
  return {
    __typename: 'Order',
    id: gid('Order', o.id),
    legacyResourceId: String(o.id),
    name: o.name,
    createdAt: iso(o.createdMs),
    processedAt: iso(o.processedMs),
    updatedAt: iso(o.updatedMs),
    cancelledAt: o.cancelledMs === null ? null : iso(o.cancelledMs),
    cancelReason: o.cancelledMs === null ? null : 'CUSTOMER',
    closed: o.cancelledMs !== null || o.financialStatus === 'PAID',
    test: o.test,
    displayFinancialStatus: o.financialStatus,
    currentTotalPriceSet: total,
    totalPriceSet: total,
    currencyCode: o.currency,
    tags: [],
    lineItems: (args: PageArgs) => {
      const lines = o.items.map((item, n) => ({ item, n }));
      const page = paginate(lines, args, (l) => ({ id: l.n + 1, value: l.n + 1 }), { unpaged: ctx.unpaged });
      return mapConnection(page, (l) => lineItemView(ctx, o, l.item, l.n));
    },
    email: () => (o.customerId === null ? null : ctx.state.customer(o.customerId)?.email ?? null),
    customer: () => {
      const c = o.customerId === null ? undefined : ctx.state.customer(o.customerId);
      return c && has(ctx, 'read_customers') ? customerView(ctx, c) : null;
    },
  };
}

/**
 * Product objects need the read_products scope. CHOSEN (the strict reading; unverified): the same
 * holds for `LineItem.product` on an order read with read_orders only, which answers ACCESS_DENIED
 * as any field of a missing scope does (requireScope).
 */
function productView(ctx: ResolverContext, p: ProductRecord) {
  requireScope(ctx, 'read_products', 'product');
  return {
    __typename: 'Product',
    id: gid('Product', p.id),
    legacyResourceId: String(p.id),
    title: p.productType,
    handle: `${p.productType}-${p.vendor}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
    productType: p.productType,
    vendor: p.vendor,
    status: 'ACTIVE',
    collections: (args: PageArgs) => {
      const titles = p.collections.map((title, k) => ({ title, k }));
      const page = paginate(titles, args, (t) => ({ id: t.k + 1, value: t.k + 1 }), { unpaged: ctx.unpaged });
      return mapConnection(page, (t) => ({ __typename: 'Collection', id: gid('Collection', 1 + Math.floor(unit(t.title) * 1e9)), title: t.title }));
    },
  };
}

/** `products`: the products the orders' lines name (state.ts), by id; needs read_products. */
function productConnection(ctx: ResolverContext, args: PageArgs & { query?: string | null; sortKey?: string | null }) {
  requireScope(ctx, 'read_products', 'products');
  const all = [...ctx.state.products.values()];
  const page = paginate(all, args, (p) => ({ id: p.id, value: p.id }), { unpaged: ctx.unpaged });
  return mapConnection(page, (p) => productView(ctx, p));
}

function lineItemView(ctx: ResolverContext, o: OrderRecord, item: SyntheticLineItem, n: number) {
  const total = money(item.amount.toFixed(2), o.currency);
  return {
    __typename: 'LineItem',
    // CHOSEN: line ids from the order id and the line's position.
    id: gid('LineItem', o.id * 100 + n + 1),
    name: item.productType,
    quantity: item.quantity,
    currentQuantity: item.quantity,
    originalTotalSet: total,
    discountedTotalSet: total,
    vendor: item.vendor,
    product: () => {
      const p = ctx.state.products.get(productIdOf(item));
      return p ? productView(ctx, p) : null;
    },
  };
}

/** abandonedCheckouts: only checkouts of customers the shop still has; needs read_orders (and the staff permission). */
const CHECKOUT_FIELDS: Record<string, FieldSpec<CheckoutRecord>> = {
  updated_at: { kind: 'date', get: (c) => c.updatedMs },
  created_at: { kind: 'date', get: (c) => c.createdMs },
  id: { kind: 'number', get: (c) => c.id },
};

function checkoutConnection(ctx: ResolverContext, args: PageArgs & { query?: string | null; sortKey?: string | null }) {
  requireScope(ctx, 'read_orders', 'abandonedCheckouts');
  if (ctx.checkoutsRefused) {
    // CHOSEN wording (no recorded answer): ACCESS_DENIED as for a missing scope, naming the permission.
    throw new GraphQLError('Access denied for abandonedCheckouts field. Required access: `read_orders` access scope. Also: The user must have manage_abandoned_checkouts permission.', {
      extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes' },
    });
  }
  const filter = searchFilter(args.query, CHECKOUT_FIELDS);
  if (filter.warnings.length > 0) ctx.searchWarnings.push({ path: ['abandonedCheckouts'], query: args.query ?? '', warnings: filter.warnings });
  const value = sortValue<CheckoutRecord>(args.sortKey, {
    ID: (c) => c.id,
    CHECKOUT_ID: (c) => c.id,
    CREATED_AT: (c) => c.createdMs,
    TOTAL_PRICE: (c) => Number(c.amount),
    CUSTOMER_NAME: (c) => c.customerId,
    RELEVANCE: (c) => c.id,
  }, 'ID');
  const live = ctx.state.checkouts.filter((c) => ctx.state.customer(c.customerId) !== undefined && filter.test(c));
  const page = paginate(live, args, (c) => ({ id: c.id, value: value(c) }), { unpaged: ctx.unpaged });
  return mapConnection(page, (c) => {
    const total = money(c.amount, c.currency);
    return {
      __typename: 'AbandonedCheckout',
      id: gid('AbandonedCheckout', c.id),
      name: `#${c.id}`,
      createdAt: iso(c.createdMs),
      updatedAt: iso(c.updatedMs),
      completedAt: null,
      abandonedCheckoutUrl: `https://segsync-sandbox.myshopify.com/checkouts/${c.id}/recover`,
      totalPriceSet: total,
      subtotalPriceSet: total,
      customer: () => {
        const customer = ctx.state.customer(c.customerId);
        return customer && has(ctx, 'read_customers') ? customerView(ctx, customer) : null;
      },
    };
  });
}

function mapConnection<T, V>(page: ReturnType<typeof paginate<T>>, view: (t: T) => V) {
  const nodes = page.nodes.map(view);
  return { nodes, edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: nodes[i] })), pageInfo: page.pageInfo };
}

// ---------------------------------------------------------------------------------------------
// Connections with search and sort keys
// ---------------------------------------------------------------------------------------------

const CUSTOMER_FIELDS: Record<string, FieldSpec<CustomerRecord>> = {
  updated_at: { kind: 'date', get: (c) => c.updatedMs },
  created_at: { kind: 'date', get: (c) => c.createdMs },
  email: { kind: 'text', get: (c) => c.email },
  id: { kind: 'number', get: (c) => c.id },
  tag: { kind: 'list', get: (c) => c.tags },
  first_name: { kind: 'text', get: (c) => c.firstName },
  last_name: { kind: 'text', get: (c) => c.lastName },
  country: { kind: 'text', get: (c) => c.countryCode },
};

const ORDER_FIELDS: Record<string, FieldSpec<OrderRecord>> = {
  updated_at: { kind: 'date', get: (o) => o.updatedMs },
  created_at: { kind: 'date', get: (o) => o.createdMs },
  processed_at: { kind: 'date', get: (o) => o.processedMs },
  customer_id: { kind: 'number', get: (o) => o.customerId },
  id: { kind: 'number', get: (o) => o.id },
  test: { kind: 'boolean', get: (o) => o.test },
  financial_status: { kind: 'text', get: (o) => o.financialStatus.toLowerCase() },
};

function sortValue<T>(sortKey: string | null | undefined, byKey: Record<string, (t: T) => number | string>, fallback: string): (t: T) => number | string {
  return byKey[sortKey ?? fallback] ?? byKey[fallback]!;
}

function customerConnection(ctx: ResolverContext, args: PageArgs & { query?: string | null; sortKey?: string | null }) {
  const filter = searchFilter(args.query, CUSTOMER_FIELDS);
  if (filter.warnings.length > 0) ctx.searchWarnings.push({ path: ['customers'], query: args.query ?? '', warnings: filter.warnings });
  const value = sortValue<CustomerRecord>(args.sortKey, {
    ID: (c) => c.id,
    UPDATED_AT: (c) => c.updatedMs,
    CREATED_AT: (c) => c.createdMs,
    NAME: (c) => `${c.firstName ?? ''} ${c.lastName ?? ''}`.toLowerCase(),
    // CHOSEN: relevance and location have no meaning here; they sort like ID.
    RELEVANCE: (c) => c.id,
    LOCATION: (c) => `${c.countryCode ?? ''} ${c.city ?? ''}`,
  }, 'ID');
  const page = paginate(ctx.state.liveCustomers().filter(filter.test), args, (c) => ({ id: c.id, value: value(c) }), { unpaged: ctx.unpaged });
  return mapConnection(page, (c) => customerView(ctx, c));
}

function orderConnection(ctx: ResolverContext, all: OrderRecord[], args: PageArgs & { query?: string | null; sortKey?: string | null }, path: string[]) {
  const filter = searchFilter(args.query, ORDER_FIELDS);
  if (filter.warnings.length > 0) ctx.searchWarnings.push({ path, query: args.query ?? '', warnings: filter.warnings });
  const value = sortValue<OrderRecord>(args.sortKey, {
    ID: (o) => o.id,
    UPDATED_AT: (o) => o.updatedMs,
    CREATED_AT: (o) => o.createdMs,
    PROCESSED_AT: (o) => o.processedMs,
    ORDER_NUMBER: (o) => o.number,
    TOTAL_PRICE: (o) => Number(o.amount),
    CURRENT_TOTAL_PRICE: (o) => Number(o.amount),
    FINANCIAL_STATUS: (o) => o.financialStatus,
    RELEVANCE: (o) => o.id,
  }, 'PROCESSED_AT');
  const visible = all.filter((o) => visibleOrder(ctx, o) && filter.test(o));
  const page = paginate(visible, args, (o) => ({ id: o.id, value: value(o) }), { unpaged: ctx.unpaged });
  return mapConnection(page, (o) => orderView(ctx, o));
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

interface UserErrorOut {
  field: string[] | null;
  message: string;
  code?: string | null;
  elementIndex?: number | null;
}

function customerByGid(ctx: ResolverContext, id: string, argument: string): CustomerRecord | undefined | 'not-customer' {
  const parsed = parseGid(id);
  if (!parsed) {
    // CHOSEN: a string that is no global id at all is a request error, as for Shopify's ID coercion.
    throw new GraphQLError(`Invalid global id '${id}'`, { extensions: { code: 'argumentLiteralsIncompatible', argumentName: argument } });
  }
  if (parsed.type !== 'Customer') return 'not-customer';
  return ctx.state.customer(parsed.id);
}

function splitTags(tags: string[]): string[] {
  // tagsAdd also takes "a, b" in one string.
  return tags.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
}

function tagsMutation(ctx: ResolverContext, args: { id: string; tags: string[] }, add: boolean) {
  const field = add ? 'tagsAdd' : 'tagsRemove';
  requireScope(ctx, 'write_customers', field);
  const target = customerByGid(ctx, args.id, 'id');
  // CHOSEN: a well-formed id of no customer is a userError on `id` (Shopify's message for a missing resource).
  if (target === undefined) return { node: null, userErrors: [{ field: ['id'], message: 'Customer does not exist' }] };
  if (target === 'not-customer') return { node: null, userErrors: [{ field: ['id'], message: 'The emulator supports tags on customers only' }] };
  const tags = splitTags(args.tags);
  const tooLong = tags.find((t) => t.length > MAX_TAG_LENGTH);
  if (tooLong) return { node: null, userErrors: [{ field: ['tags'], message: `Tag "${tooLong.slice(0, 20)}…" is too long (maximum is ${MAX_TAG_LENGTH} characters)` }] };
  const lower = new Set(target.tags.map((t) => t.toLowerCase()));
  let changed = false;
  if (add) {
    for (const t of tags) {
      if (lower.has(t.toLowerCase())) continue;
      if (target.tags.length >= MAX_TAGS) return { node: null, userErrors: [{ field: ['tags'], message: `Customers can have at most ${MAX_TAGS} tags` }] };
      target.tags.push(t);
      lower.add(t.toLowerCase());
      changed = true;
      ctx.state.tagChanges.push({ customerId: target.id, tag: t, change: 'added' });
    }
  } else {
    const drop = new Set(tags.map((t) => t.toLowerCase()));
    const kept = target.tags.filter((t) => !drop.has(t.toLowerCase()));
    for (const t of target.tags) if (drop.has(t.toLowerCase())) ctx.state.tagChanges.push({ customerId: target.id, tag: t, change: 'removed' });
    changed = kept.length !== target.tags.length;
    target.tags = kept;
  }
  // A tag change updates the customer (customers/update), so incremental pulls see our own writes.
  if (changed) ctx.state.touch(target);
  // Resolved on its own: a refused read of the customer does not undo the tag change.
  return { node: () => customerView(ctx, target), userErrors: [] };
}

/**
 * Why a value does not fit its metafield type (answered as userError code INVALID_VALUE, as in
 * metafieldsSet_user_errors_INVALID_VALUE.json). CHOSEN: the messages; Shopify's are not recorded.
 */
function validValue(type: string, value: string): string | undefined {
  switch (type) {
    case 'number_integer':
      return /^[-+]?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? undefined : 'Value must be an integer.';
    case 'number_decimal':
      // "A number with decimal places in the range of +/-9999999999999.999999999" (list of data types).
      if (!/^[-+]?\d+(\.\d+)?$/.test(value)) return 'Value must be a decimal number.';
      return DECIMAL_RANGE.test(value) ? undefined : 'Value must be in the range of +/-9999999999999.999999999.';
    case 'date':
      // "A date in ISO 8601 format without a presumed timezone", e.g. 2022-02-02; a real calendar date.
      return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(parseStrictDate(value)) ? undefined : 'Value must be a date in the format YYYY-MM-DD.';
    case 'single_line_text_field':
      return /[\r\n]/.test(value) ? 'Value must be a single line text string.' : value.length > 5000 ? 'Value has a maximum length of 5000.' : undefined;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'Value must be true or false.';
    case 'json':
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return 'Value must be valid JSON.';
      }
    default:
      return undefined;
  }
}

function namespaceProblem(ns: string): string | undefined {
  if (ns.length < 3) return 'Namespace is too short (minimum is 3 characters)';
  if (ns.length > 255) return 'Namespace is too long (maximum is 255 characters)';
  return HANDLE.test(ns) ? undefined : 'Namespace contains one or more invalid characters.';
}

function keyProblem(key: string): { message: string; code: string } | undefined {
  if (key.length < 2) return { message: 'Key is too short (minimum is 2 characters)', code: 'TOO_SHORT' };
  if (key.length > 64) return { message: 'Key is too long (maximum is 64 characters)', code: 'TOO_LONG' };
  return HANDLE.test(key) ? undefined : { message: 'Key contains one or more invalid characters.', code: 'INVALID' };
}

interface MetafieldsSetInput {
  ownerId: string;
  namespace?: string | null;
  key: string;
  type?: string | null;
  value: string;
  compareDigest?: string | null;
}

/** Atomic, as documented since 2023-01: any error and nothing is saved (`metafields: []`, as recorded). */
function metafieldsSet(ctx: ResolverContext, args: { metafields: MetafieldsSetInput[] }) {
  requireScope(ctx, 'write_customers', 'metafieldsSet');
  const errors: UserErrorOut[] = [];
  if (args.metafields.length > MAX_METAFIELDS_PER_CALL) {
    errors.push({ field: ['metafields'], message: `Exceeded the maximum metafields input limit of ${MAX_METAFIELDS_PER_CALL}.`, code: 'LESS_THAN_OR_EQUAL_TO', elementIndex: null });
    return { metafields: [], userErrors: errors };
  }
  const planned: Array<{ owner: CustomerRecord; namespace: string; key: string; type: string; value: string }> = [];
  args.metafields.forEach((input, i) => {
    const at = (f: string) => ['metafields', String(i), f];
    const push = (f: string, message: string, code: string) => errors.push({ field: at(f), message, code, elementIndex: i });
    const owner = customerByGid(ctx, input.ownerId, 'ownerId');
    if (owner === undefined || owner === 'not-customer') return push('ownerId', 'Owner does not exist.', 'INVALID');
    // CHOSEN: without a namespace Shopify uses the app-reserved one; the emulator names it app--segsync.
    const namespace = input.namespace ?? 'app--segsync';
    const nsProblem = namespaceProblem(namespace);
    if (nsProblem) return push('namespace', nsProblem, 'INVALID');
    const kp = keyProblem(input.key);
    if (kp) return push('key', kp.message, kp.code);
    const definition = ctx.state.definition('CUSTOMER', namespace, input.key);
    const existing = owner.metafields.get(`${namespace}.${input.key}`);
    const type = input.type ?? definition?.type ?? existing?.type;
    if (!type) return push('type', 'Type can\'t be blank.', 'BLANK');
    if (definition && definition.type !== type) return push('type', `Type must be the same as the definition's type: ${definition.type}.`, 'INVALID_TYPE');
    if (!SUPPORTED_TYPES.has(type)) return push('type', `Type "${type}" is not supported by the emulator.`, 'INVALID_TYPE');
    if (input.value === '') return push('value', 'Value can\'t be blank.', 'BLANK');
    const problem = validValue(type, input.value);
    if (problem) return push('value', problem, 'INVALID_VALUE');
    planned.push({ owner, namespace, key: input.key, type, value: input.value });
  });
  if (errors.length > 0) return { metafields: [], userErrors: errors };
  const now = ctx.now();
  const out = planned.map((p) => {
    const k = `${p.namespace}.${p.key}`;
    let m = p.owner.metafields.get(k);
    if (!m) {
      m = { id: ctx.state.nextMetafieldId++, namespace: p.namespace, key: p.key, type: p.type, value: p.value, createdMs: now, updatedMs: now };
      p.owner.metafields.set(k, m);
    } else if (m.value !== p.value || m.type !== p.type) {
      Object.assign(m, { value: p.value, type: p.type, updatedMs: now });
    }
    // CHOSEN: setting a metafield does not change the customer's updatedAt (undocumented either way).
    return metafieldView(ctx, m, p.owner);
  });
  return { metafields: out, userErrors: [] };
}

function metafieldsDelete(ctx: ResolverContext, args: { metafields: Array<{ ownerId: string; namespace: string; key: string }> }) {
  requireScope(ctx, 'write_customers', 'metafieldsDelete');
  if (args.metafields.length > MAX_METAFIELDS_PER_CALL) {
    return { deletedMetafields: null, userErrors: [{ field: ['metafields'], message: `Exceeded the maximum metafields input limit of ${MAX_METAFIELDS_PER_CALL}.` }] };
  }
  const deleted = args.metafields.map((input) => {
    const owner = customerByGid(ctx, input.ownerId, 'ownerId');
    if (owner === undefined || owner === 'not-customer') return null;
    const k = `${input.namespace}.${input.key}`;
    if (!owner.metafields.delete(k)) return null; // documented: null when the metafield is not found
    return { ownerId: input.ownerId, namespace: input.namespace, key: input.key };
  });
  return { deletedMetafields: deleted, userErrors: [] };
}

interface DefinitionInput {
  name: string;
  namespace?: string | null;
  key: string;
  description?: string | null;
  type: string;
  ownerType: string;
  pin?: boolean | null;
}

function metafieldDefinitionCreate(ctx: ResolverContext, args: { definition: DefinitionInput }) {
  requireScope(ctx, args.definition.ownerType === 'CUSTOMER' ? 'write_customers' : 'write_products', 'metafieldDefinitionCreate');
  const d = args.definition;
  const namespace = d.namespace ?? 'app--segsync';
  const fail = (field: string, message: string, code: string) => ({ createdDefinition: null, userErrors: [{ field: ['definition', field], message, code }] });
  if (d.name.trim() === '') return fail('name', 'Name can\'t be blank.', 'BLANK');
  const nsProblem = namespaceProblem(namespace);
  if (nsProblem) return fail('namespace', nsProblem, 'INVALID_CHARACTER');
  const kp = keyProblem(d.key);
  if (kp) return fail('key', kp.message, kp.code === 'INVALID' ? 'INVALID_CHARACTER' : kp.code);
  if (!SUPPORTED_TYPES.has(d.type)) return fail('type', 'Type is not included in the list.', 'INCLUSION');
  if (ctx.state.definition(d.ownerType, namespace, d.key)) {
    const owner = d.ownerType.charAt(0) + d.ownerType.slice(1).toLowerCase();
    // As recorded (metafieldDefinitionCreate_user_error_TAKEN.json).
    return fail('key', `Key is in use for ${owner} metafields on the '${namespace}' namespace.`, 'TAKEN');
  }
  const pinned = [...ctx.state.definitions.values()].filter((x) => x.ownerType === d.ownerType && x.pinned).length;
  if (d.pin && pinned >= PINNED_LIMIT) return fail('pin', `Limit of ${PINNED_LIMIT} pinned definitions reached for this owner type.`, 'PINNED_LIMIT_REACHED');
  const record: DefinitionRecord = {
    id: ctx.state.nextDefinitionId++,
    ownerType: d.ownerType,
    namespace,
    key: d.key,
    name: d.name,
    description: d.description ?? null,
    type: d.type,
    pinned: d.pin === true,
    createdMs: ctx.now(),
  };
  ctx.state.definitions.set(`${d.ownerType}|${namespace}|${d.key}`, record);
  return { createdDefinition: definitionView(record), userErrors: [] };
}

// ---------------------------------------------------------------------------------------------
// Root
// ---------------------------------------------------------------------------------------------

function nodeById(ctx: ResolverContext, id: string): unknown {
  const parsed = parseGid(id);
  if (!parsed) return null;
  if (parsed.type === 'Customer') {
    requireScope(ctx, 'read_customers', 'node');
    const c = ctx.state.customer(parsed.id);
    return c ? customerView(ctx, c) : null;
  }
  if (parsed.type === 'Order') {
    requireScope(ctx, 'read_orders', 'node');
    const o = ctx.state.order(parsed.id);
    return o && visibleOrder(ctx, o) ? orderView(ctx, o) : null;
  }
  if (parsed.type === 'BulkOperation') return ctx.bulk?.byId(ctx, id) ?? null;
  return null;
}

export function rootValue(ctx: ResolverContext) {
  return {
    // ---- queries
    customers: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => {
      requireScope(ctx, 'read_customers', 'customers');
      return customerConnection(ctx, args);
    },
    customer: (args: { id: string }) => {
      requireScope(ctx, 'read_customers', 'customer');
      const parsed = parseGid(args.id);
      const c = parsed?.type === 'Customer' ? ctx.state.customer(parsed.id) : undefined;
      return c ? customerView(ctx, c) : null;
    },
    customersCount: (args: { query?: string | null; limit?: number | null }) => {
      requireScope(ctx, 'read_customers', 'customersCount');
      const filter = searchFilter(args.query, CUSTOMER_FIELDS);
      const count = ctx.state.liveCustomers().filter(filter.test).length;
      const limit = args.limit ?? 10_000;
      return { count: Math.min(count, limit), precision: count > limit ? 'AT_LEAST' : 'EXACT' };
    },
    abandonedCheckouts: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => checkoutConnection(ctx, args),
    products: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => productConnection(ctx, args),
    orders: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => {
      requireScope(ctx, 'read_orders', 'orders');
      return orderConnection(ctx, ctx.state.orders, args, ['orders']);
    },
    order: (args: { id: string }) => {
      requireScope(ctx, 'read_orders', 'order');
      const parsed = parseGid(args.id);
      const o = parsed?.type === 'Order' ? ctx.state.order(parsed.id) : undefined;
      return o && visibleOrder(ctx, o) ? orderView(ctx, o) : null;
    },
    ordersCount: (args: { query?: string | null; limit?: number | null }) => {
      requireScope(ctx, 'read_orders', 'ordersCount');
      const filter = searchFilter(args.query, ORDER_FIELDS);
      const count = ctx.state.orders.filter((o) => visibleOrder(ctx, o) && filter.test(o)).length;
      const limit = args.limit ?? 10_000;
      return { count: Math.min(count, limit), precision: count > limit ? 'AT_LEAST' : 'EXACT' };
    },
    node: (args: { id: string }) => nodeById(ctx, args.id),
    nodes: (args: { ids: string[] }) => args.ids.map((id) => nodeById(ctx, id)),
    currentAppInstallation: () => ({
      __typename: 'AppInstallation',
      id: 'gid://shopify/AppInstallation/1',
      accessScopes: [...ctx.scopes].sort().map((handle) => ({ handle, description: `The ${handle} access scope.` })),
      launchUrl: 'https://admin.shopify.com/store/segsync-sandbox/apps/segsync',
      uninstallUrl: null,
    }),
    shop: () => ({
      __typename: 'Shop',
      id: 'gid://shopify/Shop/1',
      name: 'segsync sandbox',
      myshopifyDomain: 'segsync-sandbox.myshopify.com',
      email: 'owner@segsync-sandbox.example',
      contactEmail: 'owner@segsync-sandbox.example',
      currencyCode: 'USD',
      ianaTimezone: 'Etc/UTC',
      createdAt: iso(ctx.state.customers[0]?.createdMs ?? ctx.now()),
    }),
    metafieldDefinitions: (args: PageArgs & { ownerType: string; namespace?: string | null; key?: string | null }) => {
      requireScope(ctx, args.ownerType === 'CUSTOMER' ? 'read_customers' : 'read_products', 'metafieldDefinitions');
      const all = [...ctx.state.definitions.values()].filter(
        (d) => d.ownerType === args.ownerType && (!args.namespace || d.namespace === args.namespace) && (!args.key || d.key === args.key),
      );
      return mapConnection(paginate(all, args, (d) => ({ id: d.id, value: d.id }), { unpaged: ctx.unpaged }), definitionView);
    },
    // ---- bulk operations (emulator/bulk.ts)
    bulkOperation: (args: { id: string }) => ctx.bulk?.byId(ctx, args.id) ?? null,
    // Deprecated in 2026-07 (use bulkOperation(id:) or bulkOperations), still answered.
    currentBulkOperation: (args: { type?: string | null }) => ctx.bulk?.current(ctx, args.type) ?? null,
    bulkOperations: (args: PageArgs & { query?: string | null; sortKey?: string | null }) => ctx.bulk?.list(ctx, args) ?? null,
    bulkOperationRunQuery: (args: { query: string; groupObjects?: boolean | null }) => ctx.bulk?.run(ctx, args.query, args.groupObjects ?? false) ?? null,
    // Bulk mutations (bulk-mutation.ts): variables staged first (staged-uploads.ts).
    stagedUploadsCreate: (args: { input: StagedUploadInput[] }) => ctx.bulk?.uploads.create(ctx.baseUrl ?? '', args.input) ?? null,
    bulkOperationRunMutation: (args: { mutation: string; stagedUploadPath: string; clientIdentifier?: string | null }) =>
      ctx.bulk?.runMutation(ctx, args.mutation, args.stagedUploadPath) ?? null,
    bulkOperationCancel: (args: { id: string }) => ctx.bulk?.cancel(ctx, args.id) ?? null,
    // ---- mutations
    tagsAdd: (args: { id: string; tags: string[] }) => tagsMutation(ctx, args, true),
    tagsRemove: (args: { id: string; tags: string[] }) => tagsMutation(ctx, args, false),
    metafieldsSet: (args: { metafields: MetafieldsSetInput[] }) => metafieldsSet(ctx, args),
    metafieldsDelete: (args: { metafields: Array<{ ownerId: string; namespace: string; key: string }> }) => metafieldsDelete(ctx, args),
    metafieldDefinitionCreate: (args: { definition: DefinitionInput }) => metafieldDefinitionCreate(ctx, args),
    customerRequestDataErasure: (args: { customerId: string }) => customerRequestDataErasure(ctx, args),
  };
}

export { FIRST_CUSTOMER_ID };
