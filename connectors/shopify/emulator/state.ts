/**
 * In-memory shop of the Shopify emulator: customers with tags and metafields, their orders, and
 * customer metafield definitions. No GraphQL here. Built deterministically from the synthetic
 * population as Shopify sees it (`populationOn(people, 'shopify')`): one order per purchase, and
 * a few test orders; the hidden customer type is never copied.
 */
import type { SyntheticLineItem, SyntheticPerson } from '../../../src/sandbox/population-types.js';
import { stableUnit } from '../../../src/domain/stable-hash.js';

export const FIRST_CUSTOMER_ID = 1001;
export const FIRST_ORDER_ID = 50_001;
export const FIRST_ORDER_NUMBER = 1001;
export const FIRST_CHECKOUT_ID = 70_001;
const DAY_MS = 86_400_000;

export type MarketingState = 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NOT_SUBSCRIBED' | 'PENDING' | 'INVALID';
/** CustomerSmsMarketingState (2026-07). */
export type SmsMarketingState = 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NOT_SUBSCRIBED' | 'PENDING' | 'REDACTED';
export type FinancialStatus = 'PAID' | 'PENDING' | 'AUTHORIZED' | 'PARTIALLY_PAID' | 'PARTIALLY_REFUNDED' | 'REFUNDED' | 'VOIDED' | 'EXPIRED';

export interface MetafieldRecord {
  id: number;
  namespace: string;
  key: string;
  type: string;
  value: string;
  createdMs: number;
  updatedMs: number;
}

export class CustomerRecord {
  tags: string[] = [];
  /** SMS marketing consent of the default phone number (served only with a phone). */
  smsMarketingState: SmsMarketingState = 'NOT_SUBSCRIBED';
  readonly metafields = new Map<string, MetafieldRecord>();
  readonly orderIds: number[] = [];

  constructor(
    readonly id: number,
    public firstName: string | null,
    public lastName: string | null,
    /** As the customer typed it: stray capitals and spaces included. */
    public email: string | null,
    public marketingState: MarketingState,
    public phone: string | null,
    public city: string | null,
    public countryCode: string | null,
    public createdMs: number,
    public updatedMs: number,
  ) {}
}

export class OrderRecord {
  constructor(
    readonly id: number,
    readonly number: number,
    public customerId: number | null,
    readonly createdMs: number,
    readonly processedMs: number,
    public updatedMs: number,
    public cancelledMs: number | null,
    public financialStatus: FinancialStatus,
    readonly amount: string,
    readonly currency: string,
    readonly test: boolean,
    /** The order's lines (none where the population gives none). */
    readonly items: readonly SyntheticLineItem[] = [],
  ) {}

  get name(): string {
    return `#${this.number}`;
  }
}

/**
 * A product: the population names none, only what each line was, so there is one per product
 * type and vendor (CHOSEN), with the collections of the first line that names it (the sandbox
 * catalogue gives every line of a product type the same).
 */
export interface ProductRecord {
  id: number;
  productType: string;
  vendor: string;
  collections: readonly string[];
}

/** The product a line was: its id from its product type and vendor. */
export function productIdOf(item: SyntheticLineItem): number {
  return 1 + Math.floor(unit(`${item.productType}|${item.vendor}`) * 1e9);
}

/** A checkout a customer left unfinished (AbandonedCheckout); only ones with a customer are kept. */
export interface CheckoutRecord {
  id: number;
  customerId: number;
  createdMs: number;
  updatedMs: number;
  amount: string;
  currency: string;
}

export interface DefinitionRecord {
  id: number;
  ownerType: string;
  namespace: string;
  key: string;
  name: string;
  description: string | null;
  type: string;
  pinned: boolean;
  createdMs: number;
}

/** A stable number in [0, 1) per key (as presence.ts draws). */
export const unit = stableUnit;

export class ShopState {
  readonly customers: CustomerRecord[] = [];
  readonly orders: OrderRecord[] = [];
  readonly checkouts: CheckoutRecord[] = [];
  /** The products the orders' lines name, by id, in the order they first appear. */
  readonly products = new Map<number, ProductRecord>();
  /** `${ownerType}|${namespace}|${key}` → definition. */
  readonly definitions = new Map<string, DefinitionRecord>();
  /** Normalized email → customer id. */
  readonly emailIndex = new Map<string, number>();
  /** Population person index → customer id (the sandbox's world clock finds its people by it). */
  readonly personIndex = new Map<number, number>();
  nextMetafieldId = 1;
  nextDefinitionId = 1;
  /** Effective tag changes by tagsAdd/tagsRemove, oldest first (a tag already there, or already gone, is none). */
  readonly tagChanges: Array<{ customerId: number; tag: string; change: 'added' | 'removed' }> = [];

  constructor(readonly now: () => number) {}

  /** Customers whose personal data was erased (customerRequestDataErasure): no longer served. */
  readonly erased = new Set<number>();

  customer(id: number): CustomerRecord | undefined {
    return Number.isInteger(id) && !this.erased.has(id) ? this.customers[id - FIRST_CUSTOMER_ID] : undefined;
  }

  /** Every customer the shop still has, id ascending. */
  liveCustomers(): CustomerRecord[] {
    return this.erased.size === 0 ? this.customers : this.customers.filter((c) => !this.erased.has(c.id));
  }

  order(id: number): OrderRecord | undefined {
    return Number.isInteger(id) ? this.orders[id - FIRST_ORDER_ID] : undefined;
  }

  definition(ownerType: string, namespace: string, key: string): DefinitionRecord | undefined {
    return this.definitions.get(`${ownerType}|${namespace}|${key}`);
  }

  /**
   * One customer per person; one order per purchase: won → PAID, lost → cancelled and VOIDED,
   * open → PENDING (an expected date in the future becomes today). About 4% of customers also
   * have one recent test order. About 15% carry a tag of their own (vip, newsletter) that segsync
   * must leave alone.
   */
  load(people: Iterable<SyntheticPerson>): void {
    const nowMs = this.now();
    for (const person of people) {
      const createdMs = Math.min(Date.parse(person.createdAt), nowMs);
      const customer = new CustomerRecord(
        FIRST_CUSTOMER_ID + this.customers.length,
        person.firstName,
        person.lastName,
        person.email,
        person.emailConsent === 'subscribed' ? 'SUBSCRIBED' : 'UNSUBSCRIBED',
        person.phone,
        person.city,
        person.country,
        createdMs,
        createdMs,
      );
      const key = person.email.trim().toLowerCase();
      const tagRoll = unit(`${key}|tags`);
      if (tagRoll < 0.05) customer.tags = ['vip'];
      else if (tagRoll < 0.15) customer.tags = ['newsletter'];
      // SMS consent, deterministic per person (CHOSEN shares): 30% subscribed, 15% unsubscribed, the rest never asked.
      const smsRoll = unit(`${key}|sms`);
      customer.smsMarketingState = smsRoll < 0.3 ? 'SUBSCRIBED' : smsRoll < 0.45 ? 'UNSUBSCRIBED' : 'NOT_SUBSCRIBED';
      this.customers.push(customer);
      this.emailIndex.set(key, customer.id);
      this.personIndex.set(person.index, customer.id);

      for (const p of person.purchases) {
        const processedMs = Math.max(createdMs, Math.min(Date.parse(p.occurredAt), nowMs));
        const amount = (p.amount ?? 0).toFixed(2);
        if (p.status === 'lost') {
          const cancelledMs = Math.min(processedMs + DAY_MS, nowMs);
          this.addOrder(customer, processedMs, cancelledMs, cancelledMs, 'VOIDED', amount, p.currency, false);
        } else if (p.status === 'won') {
          // Fulfilment touches an order about a day after it was placed.
          this.addOrder(customer, processedMs, Math.min(processedMs + DAY_MS, nowMs), null, 'PAID', amount, p.currency, false, p.items);
        } else {
          this.addOrder(customer, processedMs, processedMs, null, 'PENDING', amount, p.currency, false, p.items);
        }
      }
      if (unit(`${key}|test-order`) < 0.04) {
        const at = Math.max(createdMs, nowMs - Math.floor(unit(`${key}|test-day`) * 20 * DAY_MS));
        this.addOrder(customer, at, at, null, 'PAID', '1.00', person.purchases[0]?.currency ?? 'USD', true);
      }
      for (const id of customer.orderIds) customer.updatedMs = Math.max(customer.updatedMs, this.order(id)!.updatedMs);
      this.addCheckouts(customer, person, key, createdMs, nowMs);
    }
  }

  /**
   * Abandoned checkouts: the person's `checkout_abandoned` events where the population gives
   * events (none if it gives events but no such one); otherwise (CHOSEN) about one person in
   * five left one or two in the half year before now, from their own hash. The amount is the
   * person's typical order, or 50.00. Shopify touches a checkout when its reminder goes out
   * (CHOSEN: an hour after it was left).
   */
  private addCheckouts(customer: CustomerRecord, person: SyntheticPerson, key: string, createdMs: number, nowMs: number): void {
    const times = person.events
      ? person.events.filter((e) => e.channel === 'checkout_abandoned').map((e) => Date.parse(e.at))
      : unit(`${key}|checkouts`) < 0.2
        ? Array.from({ length: unit(`${key}|checkout-count`) < 0.7 ? 1 : 2 }, (_, n) => nowMs - Math.floor(unit(`${key}|checkout-${n}`) * 180 * DAY_MS))
        : [];
    const typical = person.purchases.find((p) => p.amount !== null);
    for (const at of times) {
      if (!Number.isFinite(at)) continue;
      const createdAt = Math.min(Math.max(at, createdMs), nowMs);
      this.checkouts.push({
        id: FIRST_CHECKOUT_ID + this.checkouts.length,
        customerId: customer.id,
        createdMs: createdAt,
        updatedMs: Math.min(createdAt + 3_600_000, nowMs),
        amount: (typical?.amount ?? 50).toFixed(2),
        currency: typical?.currency ?? 'USD',
      });
    }
  }

  /** Adds an order for `customer` (load, and the emulator's concurrent writer). */
  addOrder(
    customer: CustomerRecord,
    processedMs: number,
    updatedMs: number,
    cancelledMs: number | null,
    status: FinancialStatus,
    amount: string,
    currency: string,
    test: boolean,
    items: readonly SyntheticLineItem[] = [],
  ): OrderRecord {
    const order = new OrderRecord(
      FIRST_ORDER_ID + this.orders.length,
      FIRST_ORDER_NUMBER + this.orders.length,
      customer.id,
      processedMs,
      processedMs,
      Math.max(updatedMs, processedMs),
      cancelledMs,
      status,
      amount,
      currency,
      test,
      items,
    );
    this.orders.push(order);
    customer.orderIds.push(order.id);
    for (const item of items) {
      const id = productIdOf(item);
      if (!this.products.has(id)) this.products.set(id, { id, productType: item.productType, vendor: item.vendor, collections: [...item.collections] });
    }
    return order;
  }

  touch(customer: CustomerRecord): void {
    customer.updatedMs = Math.max(this.now(), customer.updatedMs + 1);
  }
}
