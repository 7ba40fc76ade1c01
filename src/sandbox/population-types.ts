import type { EngagementChannel } from '../domain/records.js';

/**
 * The synthetic population shared by every emulator. A person's `trueType` is the generator's
 * ground truth for tests; emulators never serve it.
 */

export const CUSTOMER_TYPES = [
  'frequent_small_buyer',
  'rare_big_spender',
  'lapsed_regular',
  'recent_first_timer',
  'one_off_bargain_buyer',
  'prospect',
] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export type SyntheticPurchaseStatus = 'won' | 'lost' | 'open';

export interface SyntheticPurchase {
  /** Stable within the population: `${personIndex}-${n}`. */
  key: string;
  /** Major currency units with two decimals; null models a won deal whose amount nobody entered. */
  amount: number | null;
  currency: string;
  /** ISO 8601 UTC. For won/lost deals the close date, for open deals the expected close date. */
  occurredAt: string;
  status: SyntheticPurchaseStatus;
  /** A short human name, e.g. "Order 1042 — Ada Lovelace". */
  name: string;
  /** What the order held (Shopify line items); optional so a hand-built purchase needs none. */
  items?: SyntheticLineItem[];
}

/** One line of an order: what a shop keeps per product. */
export interface SyntheticLineItem {
  productType: string;
  vendor: string;
  /** Collections the product belongs to (titles). */
  collections: string[];
  quantity: number;
  /** Line total in major units; the lines of an order add up to its amount. */
  amount: number;
}

/**
 * Who a person who never bought is: the planted truth for lead segmentation. Emulators never
 * serve it; tests compare clusters and personas with it.
 */
export const LEAD_TYPES = ['engaged_evaluator', 'enterprise_researcher', 'newsletter_reader', 'cold_lead'] as const;
export type LeadType = (typeof LEAD_TYPES)[number];

/** One dated thing a person did (Marketo serves them as activities; HubSpot keeps their totals). */
export interface SyntheticEvent {
  channel: EngagementChannel;
  /** ISO 8601 UTC, at or before the anchor. */
  at: string;
}

/** Marketing-email engagement since sign-up, as HubSpot keeps it per contact: totals of the person's events. */
export interface SyntheticEngagement {
  /** Marketing emails opened (0 when none were sent: opted out at sign-up, or too new). */
  emailsOpened: number;
  emailsClicked: number;
  /** ISO 8601 UTC, or null if never opened. */
  lastOpenedAt: string | null;
}

/**
 * What HubSpot keeps per contact beyond opens and clicks: email delivery, web analytics, form
 * submissions, sales replies, lead status and job title. Null where the platform would leave the
 * property empty (a visitor never tracked, an email never clicked).
 */
export interface SyntheticActivity {
  /** Marketing emails delivered (sent minus bounced); never below the opens. */
  emailsDelivered: number;
  emailsBounced: number;
  /** ISO 8601 UTC, at or before the last open; null if never clicked. */
  lastClickedAt: string | null;
  /**
   * Website sessions and page views; null if the visitor was never identified (no cookie tied
   * at sign-up, and no email click or form since: either identifies a visitor).
   */
  webVisits: number | null;
  pageViews: number | null;
  /** ISO 8601 UTC; null with no visits. */
  lastVisitAt: string | null;
  /** Form submissions (HubSpot's conversion events). */
  formSubmissions: number;
  /** ISO 8601 UTC of the last reply to a sales email, or null. */
  lastSalesReplyAt: string | null;
  /** HubSpot lead status option value, or null (customers usually have none). */
  leadStatus: string | null;
  jobTitle: string | null;
}

/** The company a person works at, as HubSpot's company record holds it. */
export interface SyntheticCompany {
  name: string;
  /** HubSpot `industry` option value, e.g. COMPUTER_SOFTWARE. */
  industry: string;
  employees: number;
  /** Whole currency units a year. */
  annualRevenue: number;
}

export interface SyntheticPerson {
  /** 0-based position in the population; stable for a given seed. */
  index: number;
  trueType: CustomerType;
  firstName: string;
  lastName: string;
  /** Lower-case, valid, unique within the population. */
  email: string;
  /** E.164, e.g. "+14155550123". */
  phone: string;
  city: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  emailConsent: 'subscribed' | 'unsubscribed';
  /** ISO 8601 UTC; never after the population's anchor date. */
  createdAt: string;
  /** Ordered by occurredAt ascending. */
  purchases: SyntheticPurchase[];
  engagement: SyntheticEngagement;
  /** Optional so that a hand-built person (tests) needs none; the generator always sets both. */
  activity?: SyntheticActivity;
  /** Null for people with no company on record. */
  company?: SyntheticCompany | null;
  /**
   * Everything the person did, oldest first (the generator sets it; a hand-built person may not).
   * The totals in `engagement` and `activity` are counts of these events.
   */
  events?: SyntheticEvent[];
  /** Planted truth for people with no won purchase by the anchor (null for buyers); never served. */
  leadType?: LeadType | null;
  /**
   * Hidden future: when a person who has not bought by the anchor makes a first purchase in the
   * 90 days after it (null: does not). Never served; the propensity test scores against it.
   */
  futureFirstPurchaseAt?: string | null;
}

export interface PopulationOptions {
  seed: number;
  size: number;
  /** "Today" for the population: every date is at or before it. */
  anchor: Date;
}

/** What one person did in a span of the world clock (src/sandbox/population-future.ts). */
export interface PersonAdvance {
  person: SyntheticPerson;
  /** Won purchases in the span, oldest first (with the planted campaign effect). */
  purchases: SyntheticPurchase[];
  /** Email and web events in the span, oldest first. */
  events: SyntheticEvent[];
  /** ISO 8601 UTC when the person unsubscribed from email in the span, or null. */
  unsubscribedAt: string | null;
}

/**
 * The world moving forward: what happened in [from, to) to the people who did anything. The
 * sandbox hands each emulator its platform's share (presence.ts: `advanceOn`).
 */
export interface WorldAdvance {
  /** ISO 8601 UTC: the world clock before and after. */
  from: string;
  to: string;
  people: PersonAdvance[];
}
