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
}

/** Marketing-email engagement over the year before the anchor, as HubSpot keeps it per contact. */
export interface SyntheticEngagement {
  /** Marketing emails opened (0 when none were sent: unsubscribed, or too new). */
  emailsOpened: number;
  emailsClicked: number;
  /** ISO 8601 UTC, or null if never opened. */
  lastOpenedAt: string | null;
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
}

export interface PopulationOptions {
  seed: number;
  size: number;
  /** "Today" for the population: every date is at or before it. */
  anchor: Date;
}
