/**
 * Interests and abandoned checkouts, per profile (issue 13 §2): what people buy, by product type,
 * and how lately they left a checkout unfinished.
 *
 * - `interests.<slug>`: the profile's share of won line-item spend (base currency, purchases up to
 *   the reference date, as RFM counts them) on each of the store's top INTEREST_PRODUCT_TYPES
 *   product types by total spend. The denominator is all the profile's line-item spend, lines
 *   without a product type included, so shares of one profile add up to at most 1. Missing for a
 *   profile with no line-item spend (nothing is known of its interests); 0 for a buyer who spent
 *   nothing on that type. Product types whose slugs are equal ("Coffee", "coffee") are one type.
 * - `topProductType` / `topProductTypeShare`: the product type the profile spent most on (any type,
 *   not only the top ones; ties by name) and its share.
 * - `daysSinceLastAbandonedCheckout` / `abandonedCheckouts90d`: from engagement events on channel
 *   `checkout_abandoned` up to the reference date. When the store holds no such event at all, no
 *   platform reports checkouts and both stay missing; otherwise a profile without one counts 0.
 */
import { MS_PER_DAY } from './rfm.js';

/** How many of the store's product types become `interests.<slug>` features. */
export const INTEREST_PRODUCT_TYPES = 8;
/** The window of `abandonedCheckouts90d`. */
export const ABANDONED_CHECKOUT_WINDOW_DAYS = 90;

/** What the features are computed from, one entry per item or checkout (profile rows as in the feature set). */
export interface InterestInputs {
  /** Lines of won purchases: profile row, purchase time, product type (null: none), line total in the base currency. */
  items: { profileIndex: Int32Array; atMs: Float64Array; productType: Array<string | null>; amount: Float64Array };
  /** Abandoned checkouts: profile row and when. */
  checkouts: { profileIndex: Int32Array; atMs: Float64Array };
}

export interface InterestFeatures {
  /** slug → share of the profile's line-item spend (NaN: no line-item spend), for the store's top types, biggest first. */
  shares: Map<string, Float64Array>;
  /** slug → the product type as the shop spells it (the spelling with the most spend). */
  names: Map<string, string>;
  topProductType: Array<string | null>;
  topProductTypeShare: Float64Array;
  daysSinceLastAbandonedCheckout: Float64Array;
  abandonedCheckouts90d: Float64Array;
}

export const EMPTY_INTEREST_INPUTS: InterestInputs = {
  items: { profileIndex: new Int32Array(0), atMs: new Float64Array(0), productType: [], amount: new Float64Array(0) },
  checkouts: { profileIndex: new Int32Array(0), atMs: new Float64Array(0) },
};

/**
 * A product type as a feature name: lower camel case of its words ("Coffee Beans" → coffeeBeans,
 * "T-Shirts" → tShirts), accents dropped; one that starts with a digit gets "type" in front
 * ("3D Prints" → type3dPrints). Null when nothing of it is a letter or digit.
 */
export function productTypeSlug(productType: string): string | null {
  const words = productType.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  if (words.length === 0) return null;
  const slug = words.map((w, n) => (n === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[0-9]/.test(slug) ? `type${slug[0]!.toUpperCase()}${slug.slice(1)}` : slug;
}

/** Whether `key` names an interest feature (`interests.<slug>`). */
export const INTEREST_KEY = /^interests\.[a-z][a-zA-Z0-9]*$/;

export function computeInterests(rows: number, inputs: InterestInputs, referenceMs: number): InterestFeatures {
  const { items, checkouts } = inputs;
  // Slugs as small integers; spend per slug across the store, and per spelling (to name the slug).
  const slugs: string[] = [];
  const codeOfSlug = new Map<string, number>();
  const codeOfType = new Map<string, number>();
  const slugCode = (type: string): number => {
    let code = codeOfType.get(type);
    if (code === undefined) {
      const slug = productTypeSlug(type);
      code = slug === null ? -1 : codeOfSlug.get(slug) ?? -1;
      if (slug !== null && code < 0) {
        code = slugs.push(slug) - 1;
        codeOfSlug.set(slug, code);
      }
      codeOfType.set(type, code);
    }
    return code;
  };
  const n = items.profileIndex.length;
  const itemSlug = new Int32Array(n).fill(-1);
  const total = new Float64Array(rows);
  const storeSpend: number[] = [];
  const spellings: Array<Map<string, number>> = [];
  for (let k = 0; k < n; k++) {
    const amount = items.amount[k]!;
    if (!(items.atMs[k]! <= referenceMs && Number.isFinite(amount) && amount >= 0)) continue;
    total[items.profileIndex[k]!]! += amount;
    const type = items.productType[k] ?? null;
    if (type === null) continue;
    const code = slugCode(type);
    if (code < 0) continue;
    itemSlug[k] = code;
    storeSpend[code] = (storeSpend[code] ?? 0) + amount;
    const names = (spellings[code] ??= new Map());
    names.set(type.trim(), (names.get(type.trim()) ?? 0) + amount);
  }
  const byName = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const nameOf = slugs.map((_, code) => [...spellings[code]!].sort(byName)[0]![0]);
  const names = new Map(slugs.map((slug, code) => [slug, nameOf[code]!]));
  const top = slugs.map((slug, code): [string, number] => [slug, storeSpend[code]!]).filter(([, spend]) => spend > 0).sort(byName)
    .slice(0, INTEREST_PRODUCT_TYPES).map(([slug]) => codeOfSlug.get(slug)!);

  // The counted items with a slug, grouped by profile (counting sort, item order kept within a profile).
  const offsets = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) if (itemSlug[k]! >= 0) offsets[items.profileIndex[k]! + 1]!++;
  for (let i = 0; i < rows; i++) offsets[i + 1]! += offsets[i]!;
  const byProfile = new Int32Array(offsets[rows]!);
  const fill = offsets.slice(0, rows);
  for (let k = 0; k < n; k++) if (itemSlug[k]! >= 0) byProfile[fill[items.profileIndex[k]!]!++] = k;

  const shares = new Map<string, Float64Array>(top.map((code) => [slugs[code]!, new Float64Array(rows).fill(Number.NaN)]));
  const topColumns = top.map((code) => shares.get(slugs[code]!)!);
  const topProductType = new Array<string | null>(rows).fill(null);
  const topProductTypeShare = new Float64Array(rows).fill(Number.NaN);
  const spend = new Float64Array(slugs.length);
  const touched: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (!(total[i]! > 0)) continue;
    for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
      const k = byProfile[j]!;
      const code = itemSlug[k]!;
      if (spend[code] === 0) touched.push(code);
      spend[code]! += items.amount[k]!;
    }
    for (let t = 0; t < top.length; t++) topColumns[t]![i] = spend[top[t]!]! / total[i]!;
    let best: [string, number] | undefined;
    for (const code of touched) {
      const candidate: [string, number] = [nameOf[code]!, spend[code]!];
      if (best === undefined || byName(candidate, best) < 0) best = candidate;
      spend[code] = 0;
    }
    touched.length = 0;
    if (!best || !(best[1] > 0)) continue;
    topProductType[i] = best[0];
    topProductTypeShare[i] = best[1] / total[i]!;
  }

  const tracked = checkouts.profileIndex.length > 0;
  const daysSinceLastAbandonedCheckout = new Float64Array(rows).fill(Number.NaN);
  const abandonedCheckouts90d = new Float64Array(rows).fill(tracked ? 0 : Number.NaN);
  const windowStart = referenceMs - ABANDONED_CHECKOUT_WINDOW_DAYS * MS_PER_DAY;
  const last = new Float64Array(rows).fill(Number.NaN);
  for (let k = 0; k < checkouts.profileIndex.length; k++) {
    const at = checkouts.atMs[k]!;
    if (!(at <= referenceMs)) continue;
    const i = checkouts.profileIndex[k]!;
    if (!(last[i]! >= at)) last[i] = at;
    if (at > windowStart) abandonedCheckouts90d[i]!++;
  }
  for (let i = 0; i < rows; i++) if (!Number.isNaN(last[i]!)) daysSinceLastAbandonedCheckout[i] = Math.floor((referenceMs - last[i]!) / MS_PER_DAY);
  return { shares, names, topProductType, topProductTypeShare, daysSinceLastAbandonedCheckout, abandonedCheckouts90d };
}
