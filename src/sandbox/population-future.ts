/**
 * What the synthetic population does after "today": for one person and one span of the world
 * clock, the purchases, email and web events and unsubscribes that happen in it. A function of
 * (seed, person, span) only: the same advance of the same sandbox always yields the same world.
 *
 * CHOSEN rates (per person, a Poisson process over the span), following each type's past:
 *   frequent_small_buyer  keeps buying at the pace of their own history (one order every 8–30 days)
 *   rare_big_spender      one order in ~150 days          lapsed_regular     one in ~900 days (mostly not)
 *   recent_first_timer    one in ~100 days (repeat)       one_off_bargain    one in ~1,200 days
 *   prospect              the planted first purchase (`futureFirstPurchaseAt`) when it falls in the
 *                         span; after the 90 days it covers, one in ~2,000 days
 * Purchases are won, dated inside the span, with an amount near the person's typical order and
 * lines from the same catalogue as their past orders. Subscribed people get a weekly newsletter
 * (delivered, opened and clicked at their type's rates), visit the site at their type's pace, and
 * about 0.4% a month unsubscribe (no email after that).
 */
import { futureItemsFor } from './population.js';
import type { CustomerType, PopulationOptions, SyntheticEvent, SyntheticPerson, SyntheticPurchase } from './population-types.js';
import { stableHash32 } from '../domain/stable-hash.js';

export const DAY_MS = 86_400_000;
/** The horizon `futureFirstPurchaseAt` covers after the anchor (population.ts FUTURE_DAYS). */
const PLANTED_FIRST_PURCHASE_DAYS = 90;

/** A half-open span of the world clock, [fromMs, toMs). */
export interface WorldSpan {
  fromMs: number;
  toMs: number;
  /**
   * Where the span lies on the world's own timeline, e.g. "d30+60" (60 days after the first 30
   * advanced). The draws are keyed on it rather than on the wall-clock times, so a sandbox advanced
   * the same way draws the same world whenever it runs (the times shift with the start, the
   * choices do not). Absent: the span's times are the key.
   */
  key?: string;
}

/** What the span's draws are keyed on. */
export function spanKey(span: WorldSpan): string {
  return span.key ?? `${span.fromMs}|${span.toMs}`;
}

/** What one person did in a span. */
export interface FutureActivity {
  personIndex: number;
  /** Won purchases, oldest first. */
  purchases: SyntheticPurchase[];
  /** Email and web events, oldest first (an unsubscribe is among them). */
  events: SyntheticEvent[];
  /** ISO 8601 UTC when the person unsubscribed in the span, or null. */
  unsubscribedAt: string | null;
}

/** Orders per day, by type, for people whose own history says nothing more precise. */
const PURCHASE_RATE: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 1 / 17,
  rare_big_spender: 1 / 150,
  lapsed_regular: 1 / 900,
  recent_first_timer: 1 / 100,
  one_off_bargain_buyer: 1 / 1200,
  prospect: 1 / 2000,
});
const OPEN_RATE: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 0.45,
  rare_big_spender: 0.3,
  lapsed_regular: 0.1,
  recent_first_timer: 0.35,
  one_off_bargain_buyer: 0.15,
  prospect: 0.2,
});
const VISITS_PER_DAY: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 2 / 30,
  rare_big_spender: 1 / 30,
  lapsed_regular: 0.2 / 30,
  recent_first_timer: 1.5 / 30,
  one_off_bargain_buyer: 0.3 / 30,
  prospect: 0.5 / 30,
});
const CLICK_RATE = 0.2;
const BOUNCE_RATE = 0.02;
const UNSUBSCRIBE_PER_DAY = 0.004 / 30;
const NEWSLETTER_EVERY_DAYS = 7;

// ---------------------------------------------------------------------------------------------
// A small PRNG keyed by text: every draw of a person in a span comes from its own stream
// ---------------------------------------------------------------------------------------------

export type Rng = () => number;

const hash32 = stableHash32;

/** mulberry32 seeded from the key's hash. */
export function keyedRng(key: string): Rng {
  let a = hash32(key);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Event times of a Poisson process with `ratePerDay` over the span, ascending. */
function poissonTimes(rng: Rng, ratePerDay: number, span: WorldSpan): number[] {
  const out: number[] = [];
  if (!(ratePerDay > 0)) return out;
  let t = span.fromMs;
  for (;;) {
    t += (-Math.log(1 - rng()) / ratePerDay) * DAY_MS;
    if (t >= span.toMs) return out;
    out.push(Math.floor(t));
  }
}

function standardNormal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

// ---------------------------------------------------------------------------------------------

/** The person's own pace where they have a history of it (frequent buyers), else their type's. */
export function purchaseRatePerDay(person: SyntheticPerson, anchorMs: number): number {
  const base = PURCHASE_RATE[person.trueType];
  if (person.trueType !== 'frequent_small_buyer') return base;
  const won = person.purchases.filter((p) => p.status === 'won').map((p) => Date.parse(p.occurredAt));
  if (won.length < 3) return base;
  const days = (anchorMs - Math.min(...won)) / DAY_MS;
  return days > 0 ? Math.min(1 / 8, Math.max(1 / 30, won.length / days)) : base;
}

/** Near the person's typical (median) won order, else a prospect-sized basket. */
function amountFor(rng: Rng, person: SyntheticPerson): number {
  const amounts = person.purchases.filter((p) => p.status === 'won' && p.amount !== null).map((p) => p.amount as number).sort((a, b) => a - b);
  const typical = amounts.length > 0 ? amounts[Math.floor(amounts.length / 2)]! : 80;
  return Math.max(1, Math.round(typical * Math.exp(0.25 * standardNormal(rng)) * 100) / 100);
}

/** Stable key of the span's n-th purchase (segsync's ids on every platform derive from it). */
function purchaseKey(person: SyntheticPerson, span: WorldSpan, tag: string): string {
  return `${person.index}-w${span.key ?? Math.floor(span.fromMs / 1000).toString(36)}-${tag}`;
}

/** A won purchase at `atMs`, with its lines. */
export function futurePurchase(options: PopulationOptions, person: SyntheticPerson, span: WorldSpan, tag: string, atMs: number, rng: Rng): SyntheticPurchase {
  const amount = amountFor(rng, person);
  const key = purchaseKey(person, span, tag);
  return {
    key,
    amount,
    currency: person.purchases[0]?.currency ?? 'USD',
    occurredAt: new Date(atMs).toISOString(),
    status: 'won',
    name: `Order #${100_000 + Math.floor(rng() * 900_000)} — ${person.firstName} ${person.lastName}`,
    items: futureItemsFor(options.seed, person.index, person.trueType, amount, hash32(key)),
  };
}

/**
 * What `person` does in `span`. `subscribed`: whether they still take email at the span's start
 * (an earlier advance may have unsubscribed them); defaults to their consent at the anchor.
 */
export function futureActivity(options: PopulationOptions, person: SyntheticPerson, span: WorldSpan, subscribed = person.emailConsent === 'subscribed'): FutureActivity {
  const anchorMs = options.anchor.getTime();
  const key = `${options.seed}|${person.index}|${spanKey(span)}`;
  const buyRng = keyedRng(`${key}|buy`);
  const times = poissonTimes(buyRng, purchaseRatePerDay(person, anchorMs), span);
  if (person.trueType === 'prospect') {
    // The planted first purchase covers the 90 days after the anchor; the base rate only after it.
    const horizon = anchorMs + PLANTED_FIRST_PURCHASE_DAYS * DAY_MS;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! < horizon) times.splice(i, 1);
  }
  const planted = person.futureFirstPurchaseAt ? Date.parse(person.futureFirstPurchaseAt) : Number.NaN;
  if (planted >= span.fromMs && planted < span.toMs) times.push(planted);
  times.sort((a, b) => a - b);
  const purchases = times.map((at, n) => futurePurchase(options, person, span, String(n), at, buyRng));

  const events: SyntheticEvent[] = [];
  const mailRng = keyedRng(`${key}|mail`);
  let unsubscribedAt: string | null = null;
  if (subscribed) {
    const unsubMs = poissonTimes(mailRng, UNSUBSCRIBE_PER_DAY, span)[0];
    const mailUntil = unsubMs ?? span.toMs;
    // The newsletter goes out weekly, on a weekday of the person's own (their list's send slot).
    const firstSend = span.fromMs + Math.floor(mailRng() * NEWSLETTER_EVERY_DAYS * DAY_MS);
    for (let t = firstSend; t < mailUntil; t += NEWSLETTER_EVERY_DAYS * DAY_MS) {
      if (mailRng() < BOUNCE_RATE) {
        events.push({ channel: 'email_bounce', at: new Date(t).toISOString() });
        continue;
      }
      events.push({ channel: 'email_delivered', at: new Date(t).toISOString() });
      if (mailRng() >= OPEN_RATE[person.trueType]) continue;
      const openMs = Math.min(mailUntil - 1, t + Math.floor(mailRng() * 2 * DAY_MS));
      if (openMs <= t) continue;
      events.push({ channel: 'email_open', at: new Date(openMs).toISOString() });
      // A click follows the open by a minute, still inside the span (and before an unsubscribe).
      if (mailRng() < CLICK_RATE && openMs + 60_000 < mailUntil) events.push({ channel: 'email_click', at: new Date(openMs + 60_000).toISOString() });
    }
    if (unsubMs !== undefined) {
      unsubscribedAt = new Date(unsubMs).toISOString();
      events.push({ channel: 'unsubscribe', at: unsubscribedAt });
    }
  }
  for (const at of poissonTimes(keyedRng(`${key}|web`), VISITS_PER_DAY[person.trueType], span)) events.push({ channel: 'web_visit', at: new Date(at).toISOString() });
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { personIndex: person.index, purchases, events, unsubscribedAt };
}
