/** Canonical records: what every connector's source produces, whatever the platform. */
import type { QuarantineKind } from './quarantine-kinds.js';

export type EmailConsent = 'subscribed' | 'unsubscribed' | 'unknown';
export type AttributeValue = string | number | boolean | null;

export interface ContactRecord {
  platform: string;
  externalId: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  country: string | null;
  city: string | null;
  /** ISO 8601 UTC. */
  createdAt: string | null;
  /** ISO 8601 UTC: the platform's last modification. */
  updatedAt: string;
  emailConsent: EmailConsent;
  archived: boolean;
  /** Set when the platform merged this contact into another one (its external id). */
  mergedInto: string | null;
  /** External ids of contacts the platform merged into this one. */
  mergedFrom: string[];
  /** Extra fields mapped in mappings/<platform>.yaml. */
  attributes: Record<string, AttributeValue>;
  raw: unknown;
  /**
   * Set when the source carries only some fields (a file without a name column, an orders file
   * that knows only the customer id): the store keeps what it holds for every other field and
   * attribute. Absent: the record carries every field, and an empty value clears the stored one.
   */
  carried?: CarriedFields;
}

/** Canonical contact fields a partial record may leave out. */
export const CONTACT_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'country', 'city', 'createdAt', 'emailConsent'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export interface CarriedFields {
  fields: readonly ContactField[];
  /** Attribute names the record carries; the stored values of the others are kept. */
  attributes: readonly string[];
}

export const PURCHASE_STATUSES = ['won', 'lost', 'open', 'cancelled', 'refunded'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

export interface PurchaseRecord {
  platform: string;
  externalId: string;
  /** The contacts (external ids on the same platform) this purchase belongs to. */
  contactExternalIds: string[];
  amount: number | null;
  currency: string | null;
  /** When the purchase happened (close date, order date), ISO 8601 UTC. */
  occurredAt: string | null;
  status: PurchaseStatus;
  /**
   * True when `status` is the mapping's default because the record's status value was missing or
   * none of the mapped ones: what a misspelt status value produces, so the status guard watches it.
   * A status the platform states (a cancelled Shopify order, an open Marketo opportunity) is not.
   */
  statusDefaulted?: boolean;
  archived: boolean;
  updatedAt: string;
  raw: unknown;
  /**
   * What the purchase held (Shopify line items). Absent: this read did not carry items, and the
   * stored ones (if any) are kept; an empty list: the purchase has none.
   */
  items?: PurchaseItem[];
}

/** One line of a purchase: what it tells about the buyer's interests. */
export interface PurchaseItem {
  productType: string | null;
  vendor: string | null;
  /** Titles of the collections the product belongs to (empty where not read). */
  collections: string[];
  quantity: number;
  /** The line's total in the purchase's currency, after line discounts; null if unknown. */
  amount: number | null;
  /**
   * Fields this read could not ask for (a scope missing, a read that failed): the stored line at the
   * same position, if it is the same vendor's, keeps its values instead of being blanked.
   */
  unread?: Array<'productType' | 'collections'>;
}

/**
 * engagement: what people do, as dated events (a Marketo activity, an abandoned checkout, a row of
 * an events file, a rise of a HubSpot counter in its property history). Stored one row per event,
 * so features can count any window before any date (30/90/365 days, a propensity cutoff).
 */
export type StreamName = 'contacts' | 'purchases' | 'engagement';

/** What a person did, whatever the platform calls it. */
export const ENGAGEMENT_CHANNELS = [
  'email_delivered', 'email_open', 'email_click', 'email_bounce', 'unsubscribe',
  'web_visit', 'page_view', 'form_fill', 'sales_email_reply', 'checkout_abandoned',
] as const;
export type EngagementChannel = (typeof ENGAGEMENT_CHANNELS)[number];

export interface EngagementEvent {
  platform: string;
  /**
   * Unique per platform and stable across reads (Marketo's activity id, a Shopify checkout id, a
   * hash of an events-file row): reading an event again replaces it, never counts it twice.
   */
  key: string;
  /** The contact (external id on the same platform) who did it. */
  contactExternalId: string;
  channel: EngagementChannel;
  /** ISO 8601 UTC. */
  occurredAt: string;
  /** How many events this row stands for (1 for one activity; a counter's rise between two dates). */
  count: number;
}

export interface QuarantinedRecord {
  platform: string;
  stream: StreamName;
  externalId: string | null;
  /** Names the field and what was wrong with it. */
  reason: string;
  /** The reason as a kind (src/domain/quarantine-kinds.ts); 'other' when the source gives none. */
  kind?: QuarantineKind;
  /**
   * A quarantined purchase: the contacts (external ids on the same platform) it names, when the
   * source could read them (deal associations, opportunity roles, the order's customer). `forget`
   * erases it with them, and a pull drops it when it names a forgotten person.
   */
  contactExternalIds?: string[];
  raw: unknown;
}
