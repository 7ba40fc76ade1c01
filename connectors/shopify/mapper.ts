import { parseStrictDate } from '../../src/domain/dates.js';
/**
 * Shopify nodes → canonical records. The mapping file (mappings/shopify.yaml) names GraphQL paths
 * such as `defaultEmailAddress.emailAddress`; `valueAt` follows them through the node.
 */
import type { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { AttributeValue, ContactRecord, PurchaseItem, PurchaseRecord, PurchaseStatus, QuarantinedRecord, StreamName } from '../../src/domain/records.js';
import type { QuarantineKind } from '../../src/domain/quarantine-kinds.js';
import { CustomerNodeSchema, LineItemNodeSchema, LineItemsSchema, OrderNodeSchema } from './schemas.js';
import { TAG_PREFIX } from './destination.js';

const PLATFORM = 'shopify';
// Deliberately loose: Shopify validates addresses itself; we only refuse what cannot be one.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Mapped<T> = { ok: true; record: T } | { ok: false; quarantined: QuarantinedRecord };
/** Test orders are not purchases: the source counts and reports them instead of storing them. */
export type MappedOrder = Mapped<PurchaseRecord> | { ok: 'test'; externalId: string };

function reject(stream: StreamName, raw: unknown, externalId: string | null, reason: string, kind: QuarantineKind): { ok: false; quarantined: QuarantinedRecord } {
  return { ok: false, quarantined: { platform: PLATFORM, stream, externalId, reason, kind, raw } };
}

function rawId(raw: unknown): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** The value at a dotted path; null when the path meets a null (e.g. no default address) or is absent. */
export function valueAt(raw: unknown, path: string): unknown {
  let value: unknown = raw;
  for (const segment of path.split('.')) {
    if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[segment];
  }
  return value === undefined ? null : value;
}

class FieldProblem extends Error {
  constructor(message: string, readonly kind: QuarantineKind) {
    super(message);
  }
}

/** A text value at a path: trimmed, '' → null; an object there is a mapping mistake. */
function text(raw: unknown, path: string | undefined): string | null {
  if (!path) return null;
  const v = valueAt(raw, path);
  if (v === null) return null;
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FieldProblem(`${path}: expected a value, got ${Array.isArray(v) ? 'a list' : 'an object'}; map a field inside it (e.g. ${path}.<field>)`, 'malformed');
}

/**
 * A marketing consent state (defaultPhoneNumber.marketingState, smsMarketingConsent.marketingState,
 * defaultEmailAddress.marketingState) mapped as an attribute reads as segsync's consent words:
 * SUBSCRIBED → subscribed, UNSUBSCRIBED → unsubscribed; NOT_SUBSCRIBED, PENDING, INVALID,
 * REDACTED and no phone or address at all → unknown (as the email consent mapping treats them).
 */
function consentState(v: unknown): AttributeValue {
  return v === 'SUBSCRIBED' ? 'subscribed' : v === 'UNSUBSCRIBED' ? 'unsubscribed' : 'unknown';
}

function attribute(raw: unknown, path: string): AttributeValue {
  const v = valueAt(raw, path);
  if (path === 'marketingState' || path.endsWith('.marketingState')) return consentState(v);
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return typeof v === 'string' ? v.trim() : v;
  // Lists of values (tags) become one "; "-separated value (Shopify splits tags at commas, so a tag holds none); anything else is kept as JSON.
  // segsync's own segment tags (segsync:<key>) are its output, not the customer's data: reading them
  // back would change the contact at every push.
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    return v.filter((x) => !(typeof x === 'string' && x.startsWith(TAG_PREFIX))).join('; ');
  }
  return JSON.stringify(v);
}

function isoDate(value: string | null, path: string): string | null {
  if (value === null) return null;
  const ms = parseStrictDate(value);
  if (!Number.isFinite(ms)) throw new FieldProblem(`${path}: "${value}" is not a date`, 'invalid-date');
  return new Date(ms).toISOString();
}

function valid<S extends z.ZodType>(schema: S, stream: StreamName, raw: unknown): { ok: true; node: z.output<S> } | { ok: false; quarantined: QuarantinedRecord } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, node: parsed.data };
  const issue = parsed.error.issues[0];
  return reject(stream, raw, rawId(raw), `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`, 'malformed');
}

export function mapCustomer(raw: unknown, mapping: Mapping): Mapped<ContactRecord> {
  const checked = valid(CustomerNodeSchema, 'contacts', raw);
  if (!checked.ok) return checked;
  const node = checked.node;
  const f = mapping.contacts.fields;
  try {
    const typed = text(raw, f.email);
    // People type emails with stray capitals and spaces; Shopify keeps them as typed.
    const email = typed === null ? null : typed.replace(/\s+/g, '').toLowerCase();
    if (email !== null && !EMAIL.test(email)) throw new FieldProblem(`${f.email}: "${typed}" is not an email address`, 'invalid-email');
    const consentMap = mapping.contacts.consent;
    const consentRaw = consentMap ? text(raw, consentMap.field) : null;
    const emailConsent = consentMap ? (consentRaw !== null ? consentMap.values[consentRaw] : undefined) ?? consentMap.default : 'unknown';
    const attributes: Record<string, AttributeValue> = {};
    for (const [name, path] of Object.entries(mapping.contacts.attributes)) attributes[name] = attribute(raw, path);
    return {
      ok: true,
      record: {
        platform: PLATFORM,
        externalId: node.id,
        email,
        phone: text(raw, f.phone),
        firstName: text(raw, f.firstName),
        lastName: text(raw, f.lastName),
        country: text(raw, f.country),
        city: text(raw, f.city),
        createdAt: f.createdAt ? isoDate(text(raw, f.createdAt), f.createdAt) : null,
        updatedAt: new Date(parseStrictDate(node.updatedAt)).toISOString(),
        emailConsent,
        // Shopify deletes customers outright (and merges by deleting one): nothing to flag here.
        archived: false,
        mergedInto: null,
        mergedFrom: [],
        attributes,
        raw,
      },
    };
  } catch (error) {
    if (error instanceof FieldProblem) return reject('contacts', raw, node.id, error.message, error.kind);
    throw error;
  }
}

/** The customer an order names, read leniently: the order itself may be malformed. */
function rawCustomerId(raw: unknown): string | null {
  const id = valueAt(raw, 'customer.id');
  return typeof id === 'string' && /^gid:\/\/shopify\/Customer\/\d+$/.test(id) ? id : null;
}

/** Shopify keeps an unset product type or vendor as "". */
function blankToNull(v: string | null | undefined): string | null {
  return v === null || v === undefined || v.trim() === '' ? null : v.trim();
}

/** A product's collection titles by its id (read apart from the orders, see documents.ts); none known: []. */
export type CollectionsOf = (productId: string) => readonly string[] | undefined;

/**
 * The order's lines: undefined when the answer did not carry them all (no lineItems selected, or
 * a page that holds only the first LINE_ITEMS_PER_ORDER lines), so the stored ones are kept.
 * Without read_products no product is selected: the vendor is the line's own, the product type unknown.
 */
export function orderItems(raw: unknown, collectionsOf?: CollectionsOf): PurchaseItem[] | undefined {
  const parsed = LineItemsSchema.safeParse((raw as { lineItems?: unknown } | null)?.lineItems);
  if (!parsed.success || parsed.data.pageInfo?.hasNextPage === true) return undefined;
  return parsed.data.nodes.flatMap((node) => {
    const line = LineItemNodeSchema.safeParse(node);
    if (!line.success) return [];
    const amount = line.data.discountedTotalSet ? Number(line.data.discountedTotalSet.shopMoney.amount) : Number.NaN;
    // `product` not selected (no read_products) is not the null of a deleted product: what was not
    // asked is marked unread, and the store keeps what an earlier read found.
    const productAsked = line.data.product !== undefined;
    const unread: NonNullable<PurchaseItem['unread']> = productAsked ? (collectionsOf ? [] : ['collections']) : ['productType', 'collections'];
    return [{
      productType: blankToNull(line.data.product?.productType),
      vendor: blankToNull(line.data.product?.vendor ?? line.data.vendor),
      // Read by a bulk query of their own (a third level of nesting below orders is refused): see documents.ts LINE_ITEM_FIELDS.
      collections: line.data.product?.id && collectionsOf ? [...(collectionsOf(line.data.product.id) ?? [])] : [],
      quantity: line.data.quantity,
      amount: Number.isFinite(amount) ? amount : null,
      ...(unread.length > 0 ? { unread } : {}),
    }];
  });
}

export function mapOrder(raw: unknown, mapping: Mapping, collectionsOf?: CollectionsOf): MappedOrder {
  const checked = valid(OrderNodeSchema, 'purchases', raw);
  if (!checked.ok) {
    // A quarantined order names its customer: forgetting them erases it too.
    const customer = rawCustomerId(raw);
    return customer ? { ok: false, quarantined: { ...checked.quarantined, contactExternalIds: [customer] } } : checked;
  }
  const node = checked.node;
  if (node.test === true) return { ok: 'test', externalId: node.id };
  const f = mapping.purchases.fields;
  try {
    const label = text(raw, f.name);
    const named = label ? ` (order ${label})` : '';
    const financial = text(raw, mapping.purchases.status.field);
    // A cancelled order is cancelled whatever its payment state says (usually VOIDED or REFUNDED).
    const mappedStatus = financial !== null ? mapping.purchases.status.values[financial] : undefined;
    const statusDefaulted = !node.cancelledAt && mappedStatus === undefined;
    const status: PurchaseStatus = node.cancelledAt ? 'cancelled' : mappedStatus ?? mapping.purchases.status.default;
    const amountText = text(raw, f.amount);
    const amount = amountText === null ? null : Number(amountText);
    if (amount !== null && !Number.isFinite(amount)) throw new FieldProblem(`${f.amount}: "${amountText}" is not a number${named}`, 'invalid-number');
    const occurredAt = isoDate(text(raw, f.occurredAt), f.occurredAt) ?? isoDate(node.createdAt ?? null, 'createdAt');
    const customerId = node.customer?.id ?? null;
    const items = orderItems(raw, collectionsOf);
    if (status === 'won') {
      if (amount === null) throw new FieldProblem(`${f.amount}: missing on a paid order${named}`, 'missing-value');
      if (amount < 0) throw new FieldProblem(`${f.amount}: negative (${amount}) on a paid order${named}`, 'negative-amount');
      if (occurredAt === null) throw new FieldProblem(`${f.occurredAt}: missing on a paid order${named}`, 'missing-value');
    }
    return {
      ok: true,
      record: {
        platform: PLATFORM,
        externalId: node.id,
        // A guest checkout has no customer: the order is kept but counts for nobody.
        contactExternalIds: customerId ? [customerId] : [],
        amount,
        currency: f.currency ? text(raw, f.currency) : null,
        occurredAt,
        status,
        ...(statusDefaulted ? { statusDefaulted } : {}),
        archived: false,
        updatedAt: new Date(parseStrictDate(node.updatedAt)).toISOString(),
        raw,
        ...(items !== undefined ? { items } : {}),
      },
    };
  } catch (error) {
    if (error instanceof FieldProblem) {
      const rejected = reject('purchases', raw, node.id, error.message, error.kind);
      const customer = node.customer?.id;
      return customer ? { ok: false, quarantined: { ...rejected.quarantined, contactExternalIds: [customer] } } : rejected;
    }
    throw error;
  }
}
