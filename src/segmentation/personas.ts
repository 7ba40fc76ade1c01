/**
 * Personas: each cluster described in words a marketer can write to, from its numbers alone.
 *
 * Traits are standardized differences from the clustered population, z = (cluster mean − population
 * mean) ÷ population sd, taken on log1p of the non-negative, right-skewed features (days, orders,
 * money), so one customer with a 50,000 order cannot make everyone else look alike; spend trend is
 * already bounded and is used as it is. Medians are in raw units (days, orders, money).
 *
 * The label is a deterministic function of the members (see `labelFor` and `honestLabel`), so the
 * same clusters always get the same names, and a persona's key (its list and token value) is the
 * slug of its label: a marketer's list keeps its meaning from run to run as long as the cluster does.
 *
 * Honesty rule: every word of a label, and every sentence of the narrative, states only what holds
 * for the share of members it claims. A label word must hold for at least CLAIM_SHARE (80%) of the
 * members ("one-time" = bought exactly once; "big"/"small" orders = above/below the clustered
 * population's median order value; "high"/"low" x = above/below the population's median x; a
 * category = that value). Where a narrative gives a percentage it is the share of members for whom
 * the statement holds (never a mean or median probability dressed as a share); medians are called
 * medians or "typical". The behaviour table below names buyers' clusters when the clustering is on
 * purchase behaviour and all its words hold; otherwise the label is built from the traits that set
 * the cluster apart most (standardized differences of the clustering's own features, attributes
 * and categories included), keeping only traits that hold for CLAIM_SHARE of the members.
 */
import type { FeatureSet, LifecycleStage, NumberFeature } from './features.js';
import { attributeNumber, featureLabel, interestNumber, NEW_CUSTOMER_DAYS } from './features.js';
import { rawSummaryFigures, roundFigures, summaryText, type SummaryFigures } from './persona-summary.js';

export const PERSONA_FEATURES = [
  'daysSinceLastPurchase', 'lifetimeFrequency', 'averageOrderValue', 'lifetimeMonetary',
  'meanDaysBetweenPurchases', 'tenureDays', 'daysSinceFirstPurchase', 'spendTrend', 'emailOpens',
] as const satisfies readonly NumberFeature[];
type PersonaFeature = (typeof PERSONA_FEATURES)[number];

/** What DBSCAN's noise group is called: people who resemble no cluster closely. */
export const NOISE_LABEL = 'Unusual customers';
/** The same group in a clustering other than customers (leads have not bought: they are no customers). */
export const NOISE_LABEL_PEOPLE = 'Unusual people';

/** A label word must hold for at least this share of the persona's members. */
export const CLAIM_SHARE = 0.8;
/** What a cluster is called when no trait both sets it apart and holds for CLAIM_SHARE of its members. */
export const MIXED_LABEL = 'Mixed group';
/** At most this many traits make a label ("High income, low age"); the next one disambiguates twins. */
const LABEL_TRAITS = 2;

/** |z| at which a difference is worth naming as a trait. */
export const TRAIT_THRESHOLD = 0.5;
/** A silence this long (with most of the cluster churned) makes the cluster lapsed. */
export const LAPSED_DAYS = 365;

export interface PersonaTrait {
  feature: string;
  label: string;
  z: number;
}

export interface Persona {
  key: string;
  label: string;
  cluster: number;
  size: number;
  share: number;
  /** DBSCAN's noise group: people who resemble no cluster, reported as noise, not as a cluster. */
  noise: boolean;
  /** Share of members who bought exactly once (the summary token says "bought once" only at CLAIM_SHARE). */
  onceShare: number;
  /** Share of members who bought more than once. */
  repeatShare: number;
  medians: Record<string, number | null>;
  /** Every persona feature's z, largest |z| first; `traits` are the ones worth naming. */
  differences: PersonaTrait[];
  traits: PersonaTrait[];
  narrative: string;
  /**
   * The typical (median) member in the clustering's own features when they are not the persona
   * features, e.g. "typical age 27 · annual income 72 · spending score 80"; '' when clustered on
   * purchase behaviour (the summary says it then).
   */
  typical: string;
  /** The token value (persona-summary.ts); `summaryFigures` are the rounded figures it shows. */
  summary: string;
  summaryFigures: SummaryFigures;
}

function transform(feature: PersonaFeature, v: number): number {
  return feature === 'spendTrend' ? v : Math.log1p(Math.max(0, v));
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Moments {
  mean: number;
  sd: number;
}

function moments(values: number[]): Moments {
  if (values.length === 0) return { mean: 0, sd: 0 };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / values.length);
  // Equal values can leave a rounding-level sd (1e-16): that is no spread, not a trait.
  return { mean, sd: sd > 1e-9 ? sd : 0 };
}

export interface ClusterProfile {
  medians: Record<PersonaFeature, number | null>;
  z: Record<PersonaFeature, number>;
  /** Share of the cluster in each lifecycle stage. */
  stages: Partial<Record<LifecycleStage, number>>;
}

/** The deterministic label: the first matching line of this table wins. */
export function labelFor(c: ClusterProfile): string {
  const m = c.medians;
  const z = c.z;
  const oneTime = (m.lifetimeFrequency ?? 0) <= 1;
  const isNew = m.daysSinceFirstPurchase !== null && m.daysSinceFirstPurchase <= NEW_CUSTOMER_DAYS;
  const lapsed = (c.stages.churned ?? 0) >= 0.5 && (m.daysSinceLastPurchase ?? 0) > LAPSED_DAYS;
  const bigOrders = z.averageOrderValue >= 0.75;
  const smallOrders = z.averageOrderValue <= -0.75;
  const frequent = z.lifetimeFrequency >= TRAIT_THRESHOLD;
  const highValue = z.lifetimeMonetary >= TRAIT_THRESHOLD;

  if (isNew) return bigOrders ? 'New big spenders' : oneTime ? 'New first-time buyers' : 'New repeat buyers';
  if (oneTime) {
    if (smallOrders) return 'Bargain one-timers';
    if (bigOrders) return 'Big-ticket one-timers';
    return lapsed ? 'Lapsed one-timers' : 'One-time buyers';
  }
  if (lapsed) return bigOrders ? 'Lapsed big spenders' : frequent ? 'Lapsed regulars' : 'Lapsed customers';
  if (frequent) {
    if (bigOrders) return 'High-value loyalists';
    if (z.averageOrderValue < 0) return 'Frequent small buyers';
    return highValue ? 'High-value loyalists' : 'Loyal regulars';
  }
  if (bigOrders) return 'Occasional big spenders';
  if (smallOrders) return 'Occasional bargain hunters';
  return 'Occasional buyers';
}

/** Persona keys and list names carry these prefixes; rule segments may not use them. */
export const PERSONA_KEY_PREFIX = 'persona_';
export const PERSONA_NAME_PREFIX = 'Persona: ';

export function personaKey(label: string): string {
  return `${PERSONA_KEY_PREFIX}${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

/**
 * Named clusterings (issue 13): the customers clustering keeps persona_<slug> and "Persona: "
 * (lists already on the platforms stay the same lists); another clustering's personas are
 * persona_<clustering>_<slug>, in lists named "Lead persona: …" for leads and
 * "<Clustering> persona: …" for the others (e.g. "Enterprise accounts persona: …").
 */
export const CUSTOMERS = 'customers';
export function clusteringPersonaKey(clustering: string, label: string): string {
  return clustering === CUSTOMERS ? personaKey(label) : `${PERSONA_KEY_PREFIX}${clustering}_${personaKey(label).slice(PERSONA_KEY_PREFIX.length)}`;
}
export function personaNamePrefix(clustering: string): string {
  if (clustering === CUSTOMERS) return PERSONA_NAME_PREFIX;
  if (clustering === 'leads') return 'Lead persona: ';
  const words = clustering.replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} persona: `;
}
/** A list name a rule segment may not take: it reads as a persona's list. */
export function looksLikePersonaName(name: string): boolean {
  return /^([a-z0-9 ]+ )?persona: /i.test(name);
}

const whole = (v: number) => Math.round(v).toLocaleString('en-US');
const money = (v: number) => (v >= 100 ? whole(v) : v.toFixed(2).replace(/\.00$/, ''));
const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Against the typical (median) buyer: a few big spenders must not make everyone else look small. */
function timesOrShare(ratio: number): string {
  if (ratio >= 1.95) return `${ratio >= 9.5 ? whole(ratio) : ratio.toFixed(1).replace(/\.0$/, '')} times the typical buyer's`;
  // A ratio, not a percentage: in a narrative a percentage is always a share of members.
  if (ratio <= 0.55) return `${ratio.toFixed(ratio < 0.095 ? 2 : 1)} times the typical buyer's`;
  if (ratio >= 0.9 && ratio <= 1.1) return "about the typical buyer's";
  return ratio > 1 ? "above the typical buyer's" : "below the typical buyer's";
}

/** What the purchase models say about a cluster; null where predictions did not run. */
export interface PersonaOutlook {
  /** Median CLV of the members that have one. */
  clv: number | null;
  horizonMonths: number;
  /** Share of all members with P(alive) ≥ 0.5, and share with any P(alive) (one-time buyers have none). */
  aliveShare: number;
  scoredShare: number;
}

/** A third sentence from the purchase models: a median, called so, and a share of members, called so. */
function outlookSentence(o: PersonaOutlook, currency: string): string {
  const horizon = o.horizonMonths === 12 ? 'the next year' : `the next ${o.horizonMonths} months`;
  const clv = o.clv === null ? '' : ` A typical (median) member is expected to spend ${money(o.clv)}${currency ? ` ${currency}` : ''} over ${horizon}.`;
  // The share of members, never a mean or median probability: "98% likely" once described a persona where it held for 27%.
  const alive = o.scoredShare === 0
    ? ''
    : ` P(alive) ≥ 0.5 for ${percent(o.aliveShare)} of members${o.scoredShare < 1 ? ` (${percent(1 - o.scoredShare)} of members have no P(alive): the model cannot tell after one purchase day)` : ''}.`;
  return clv + alive;
}

/** Shares of the members who bought exactly once and more than once. */
interface PurchaseShares {
  once: number;
  repeat: number;
}

/** Two sentences with the cluster's real numbers: shares of members where a share is claimed, medians called typical. */
function narrate(size: number, share: number, bought: PurchaseShares, m: Record<PersonaFeature, number | null>, typicalAov: number, currency: string): string {
  // People who never bought (a clustering over prospects): no purchase numbers to tell.
  if (bought.once === 0 && bought.repeat === 0) return `${whole(size)} ${size === 1 ? 'person' : 'people'} (${percent(share)}) who have not bought yet.`;
  const who = `${whole(size)} ${size === 1 ? 'customer' : 'customers'} (${percent(share)})`;
  const aov = m.averageOrderValue ?? 0;
  const unit = currency ? ` ${currency}` : '';
  const spendPart = `${money(aov)}${unit} per order, ${timesOrShare(typicalAov > 0 ? aov / typicalAov : 1)}`;
  const since = m.daysSinceLastPurchase ?? 0;
  const orders = m.lifetimeFrequency ?? 0;
  if (bought.once >= CLAIM_SHARE) {
    const all = bought.once === 1 ? '' : ` (${percent(bought.once)} of them)`;
    return `${who} who bought once${all} and spent ${spendPart}. ` +
      `Their purchase was a median ${whole(since)} days ago; they have been customers for a median ${whole(m.tenureDays ?? 0)} days.`;
  }
  const first = bought.repeat >= CLAIM_SHARE
    ? `${who} who buy every ${whole(m.meanDaysBetweenPurchases ?? 0)} days (median)${bought.repeat === 1 ? '' : `, ${percent(bought.repeat)} of them more than once`} and spend ${spendPart}.`
    : `${who}: ${percent(bought.repeat)} bought more than once (every ${whole(m.meanDaysBetweenPurchases ?? 0)} days, median), ${percent(bought.once)} once; they spend ${spendPart}.`;
  return `${first} A typical member has placed ${whole(orders)} ${Math.round(orders) === 1 ? 'order' : 'orders'} worth ${money(m.lifetimeMonetary ?? 0)}${unit} in total, the last one ${whole(since)} days ago.`;
}

function outlookOf(features: FeatureSet, members: readonly number[], horizonMonths: number): PersonaOutlook {
  const clv: number[] = [];
  let alive = 0;
  let scored = 0;
  for (const i of members) {
    const v = features.numbers.clv[i]!;
    if (!Number.isNaN(v)) clv.push(v);
    const a = features.numbers.pAlive[i]!;
    if (Number.isNaN(a)) continue;
    scored++;
    if (a >= 0.5) alive++;
  }
  const size = members.length;
  return { clv: medianOf(clv), horizonMonths, aliveShare: size > 0 ? alive / size : 0, scoredShare: size > 0 ? scored / size : 0 };
}

/** The words of the behaviour table's labels, each a test on one member. */
type BehaviourWord = 'bought' | 'once' | 'repeat' | 'new' | 'lapsed' | 'bigOrders' | 'smallOrders' | 'frequent' | 'occasional' | 'highValue';

/** What each label of `labelFor` claims about every member it names (each must hold for CLAIM_SHARE). */
export const LABEL_CLAIMS: Record<string, readonly BehaviourWord[]> = {
  'New big spenders': ['new', 'bigOrders'],
  'New first-time buyers': ['new', 'once'],
  'New repeat buyers': ['new', 'repeat'],
  'Bargain one-timers': ['once', 'smallOrders'],
  'Big-ticket one-timers': ['once', 'bigOrders'],
  'Lapsed one-timers': ['once', 'lapsed'],
  'One-time buyers': ['once'],
  'Lapsed big spenders': ['lapsed', 'bigOrders'],
  'Lapsed regulars': ['lapsed', 'repeat'],
  'Lapsed customers': ['lapsed', 'bought'],
  'High-value loyalists': ['repeat', 'highValue'],
  'Frequent small buyers': ['frequent', 'smallOrders'],
  'Loyal regulars': ['repeat', 'frequent'],
  'Occasional big spenders': ['occasional', 'bigOrders'],
  'Occasional bargain hunters': ['occasional', 'smallOrders'],
  'Occasional buyers': ['occasional', 'bought'],
  // Plainer labels a table label falls back to when one of its words does not hold (LABEL_BACKOFF).
  'New customers': ['new'],
  'Repeat buyers': ['repeat'],
  'Frequent buyers': ['frequent'],
  'Big spenders': ['bigOrders'],
  'Bargain hunters': ['smallOrders'],
};

/** When a table label's words do not all hold: the plainer labels to try, in order, before traits. */
const LABEL_BACKOFF: Record<string, readonly string[]> = {
  'New big spenders': ['New customers'],
  'New first-time buyers': ['New customers', 'One-time buyers'],
  'New repeat buyers': ['New customers', 'Repeat buyers'],
  'Bargain one-timers': ['One-time buyers', 'Bargain hunters'],
  'Big-ticket one-timers': ['One-time buyers', 'Big spenders'],
  'Lapsed one-timers': ['One-time buyers', 'Lapsed customers'],
  'Lapsed big spenders': ['Lapsed customers', 'Big spenders'],
  'Lapsed regulars': ['Lapsed customers', 'Repeat buyers'],
  'High-value loyalists': ['Repeat buyers'],
  'Frequent small buyers': ['Frequent buyers', 'Bargain hunters'],
  'Loyal regulars': ['Frequent buyers', 'Repeat buyers'],
  'Occasional big spenders': ['Big spenders', 'Occasional buyers'],
  'Occasional bargain hunters': ['Bargain hunters', 'Occasional buyers'],
};

/** Medians of the clustered population that "big", "small", "frequent", "occasional", "high-value" compare against. */
export interface PopulationMedians {
  averageOrderValue: number;
  lifetimeFrequency: number;
  lifetimeMonetary: number;
}

function behaviourHolds(word: BehaviourWord, features: FeatureSet, i: number, pop: PopulationMedians): boolean {
  const n = features.numbers;
  const orders = n.lifetimeFrequency[i]!;
  switch (word) {
    case 'bought': return orders >= 1;
    case 'once': return orders >= 1 && orders < 2;
    case 'repeat': return orders >= 2;
    case 'new': return n.daysSinceFirstPurchase[i]! <= NEW_CUSTOMER_DAYS;
    case 'lapsed': return n.daysSinceLastPurchase[i]! > LAPSED_DAYS;
    case 'bigOrders': return n.averageOrderValue[i]! > pop.averageOrderValue;
    case 'smallOrders': return n.averageOrderValue[i]! < pop.averageOrderValue;
    case 'frequent': return orders > pop.lifetimeFrequency;
    case 'occasional': return orders >= 1 && orders <= pop.lifetimeFrequency;
    case 'highValue': return n.lifetimeMonetary[i]! > pop.lifetimeMonetary;
  }
}

/** Features about purchases: a clustering on none of them is not about behaviour, so the behaviour table does not name it. */
const PURCHASE_FEATURES = new Set<string>([
  'recencyDays', 'frequency', 'monetary', 'r', 'f', 'm', 'daysSinceLastPurchase', 'daysSinceFirstPurchase', 'lifetimeFrequency',
  'lifetimeMonetary', 'averageOrderValue', 'meanDaysBetweenPurchases', 'spendTrend',
]);

/** A trait that can name a cluster: its text, how far the cluster stands from the population, and the share of members it holds for. */
export interface TraitCandidate {
  text: string;
  z: number;
  share: number;
}

/** How a number trait reads in a label; "high x" / "low x" unless a plainer phrase exists. */
const TRAIT_PHRASES: Record<string, { high: string; low: string }> = {
  daysSinceLastPurchase: { high: 'long since the last purchase', low: 'recent purchase' },
  daysSinceFirstPurchase: { high: 'long-standing', low: 'recent first purchase' },
  lifetimeFrequency: { high: 'many purchases', low: 'few purchases' },
  averageOrderValue: { high: 'big orders', low: 'small orders' },
  lifetimeMonetary: { high: 'high lifetime spend', low: 'low lifetime spend' },
  tenureDays: { high: 'long tenure', low: 'short tenure' },
  'attributes.age': { high: 'older', low: 'younger' },
  // Leads (issue 13): the same above/below-the-median claims, in the words a marketer uses.
  webVisits: { high: 'frequent site visitors', low: 'rare site visitors' },
  daysSinceLastVisit: { high: 'long since the last site visit', low: 'recent site visit' },
  companyEmployees: { high: 'larger companies', low: 'smaller companies' },
  emailOpens90d: { high: 'regular email readers', low: 'few email opens lately' },
  emailOpenRate: { high: 'open most emails', low: 'open few emails' },
  emailClickRate: { high: 'click through emails', low: 'rarely click emails' },
  pageViews: { high: 'many pages viewed', low: 'few pages viewed' },
  formFills: { high: 'fill in forms', low: 'few form fills' },
  daysSinceLastEngagement: { high: 'inactive for long', low: 'recently active' },
};

/** The text of a number trait: above (`high`) or below the clustered population's median of `key`. */
export function traitText(key: string, high: boolean): string {
  const phrase = TRAIT_PHRASES[key];
  return phrase ? (high ? phrase.high : phrase.low) : `${high ? 'high' : 'low'} ${featureLabel(key)}`;
}

/** A median as people read it: whole numbers from 10 up, two significant digits below. */
function readable(v: number): string {
  return Math.abs(v) >= 10 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(2)).toLocaleString('en-US');
}

/** "typical age 27 · annual income 72": the members' medians of the clustering's features that are not persona features. */
function typicalMember(features: FeatureSet, members: readonly number[], numeric: readonly string[]): string {
  const own = numeric.filter((key) => !(PERSONA_FEATURES as readonly string[]).includes(key));
  const parts = own.flatMap((key) => {
    const median = medianOf(members.map((i) => numberAt(features, key, i)).filter((v) => !Number.isNaN(v)));
    return median === null ? [] : [`${featureLabel(key)} ${readable(median)}`];
  });
  if (parts.length === 0) return '';
  return `typical ${parts.join(' · ')}${expectedFirstPurchases(features, members)}`;
}

/**
 * " · expected to buy within 90 days: about 40 of them": the sum of the first-purchase propensities
 * of the members the model scored (an expected number, so no percentage that reads as a share of
 * members for whom something holds), when it scored most of them.
 */
function expectedFirstPurchases(features: FeatureSet, members: readonly number[]): string {
  const column = features.numbers.purchasePropensity90d;
  let sum = 0;
  let scored = 0;
  for (const i of members) {
    const v = column[i]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    scored++;
  }
  if (scored === 0 || scored < members.length / 2) return '';
  const expected = sum >= 10 ? Number(sum.toPrecision(2)) : Math.round(sum);
  return ` · expected to buy within 90 days: about ${expected.toLocaleString('en-US')} of them`;
}

function numberAt(features: FeatureSet, key: string, i: number): number {
  if (key.startsWith('attributes.')) return attributeNumber(features.attributes.get(key.slice('attributes.'.length))?.[i]);
  if (key.startsWith('interests.')) return interestNumber(features, key, i);
  const column = features.numbers[key as NumberFeature] as Float64Array | undefined;
  return column ? column[i]! : Number.NaN;
}

function categoryAt(features: FeatureSet, key: string, i: number): string | null {
  const column = key.startsWith('attributes.')
    ? features.attributes.get(key.slice('attributes.'.length))
    : (features.categories as Record<string, ReadonlyArray<string | null> | undefined>)[key];
  const v = column?.[i];
  return v === undefined || v === null || v === '' ? null : String(v);
}

/**
 * Every trait that could name each cluster, most distinctive first. Numbers: "high x" / "low x" by
 * the sign of the standardized difference of the cluster mean (log1p for the persona features, as
 * above), holding for a member above / below the population median. Categories: "x v" for the value
 * most over-represented, by (cluster share − population share) ÷ √(p(1 − p)), holding for members with v.
 */
function traitCandidates(features: FeatureSet, rows: Int32Array, members: number[][], numeric: readonly string[], categorical: readonly string[]): TraitCandidate[][] {
  const out: TraitCandidate[][] = members.map(() => []);
  for (const key of numeric) {
    const logged = (PERSONA_FEATURES as readonly string[]).includes(key) && key !== 'spendTrend';
    const t = (v: number) => (logged ? Math.log1p(Math.max(0, v)) : v);
    const all: number[] = [];
    const raw: number[] = [];
    for (const i of rows) {
      const v = numberAt(features, key, i);
      if (Number.isNaN(v)) continue;
      raw.push(v);
      all.push(t(v));
    }
    const pop = moments(all);
    const median = medianOf(raw);
    if (pop.sd === 0 || median === null) continue;
    members.forEach((list, c) => {
      let sum = 0;
      let count = 0;
      for (const i of list) {
        const v = numberAt(features, key, i);
        if (Number.isNaN(v)) continue;
        sum += t(v);
        count++;
      }
      if (count === 0 || list.length === 0) return;
      const z = (sum / count - pop.mean) / pop.sd;
      const high = z > 0;
      let holds = 0;
      for (const i of list) {
        const v = numberAt(features, key, i);
        if (high ? v > median : v < median) holds++;
      }
      out[c]!.push({ text: traitText(key, high), z, share: holds / list.length });
    });
  }
  for (const key of categorical) {
    const counts = new Map<string, number>();
    for (const i of rows) {
      const v = categoryAt(features, key, i);
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    members.forEach((list, c) => {
      if (list.length === 0) return;
      const inCluster = new Map<string, number>();
      for (const i of list) {
        const v = categoryAt(features, key, i);
        if (v !== null) inCluster.set(v, (inCluster.get(v) ?? 0) + 1);
      }
      let best: TraitCandidate | null = null;
      for (const [value, count] of inCluster) {
        const p = (counts.get(value) ?? 0) / rows.length;
        if (p <= 0 || p >= 1) continue;
        const share = count / list.length;
        const z = (share - p) / Math.sqrt(p * (1 - p));
        if (!best || z > best.z || (z === best.z && value < best.text)) best = { text: `${featureLabel(key)} ${value}`, z, share };
      }
      if (best) out[c]!.push(best);
    });
  }
  for (const list of out) list.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.text.localeCompare(b.text));
  return out;
}

/** The traits that may name a cluster: they set it apart (|z| ≥ TRAIT_THRESHOLD) and hold for CLAIM_SHARE of its members. */
function honestTraits(candidates: readonly TraitCandidate[]): TraitCandidate[] {
  return candidates.filter((t) => Math.abs(t.z) >= TRAIT_THRESHOLD && t.share >= CLAIM_SHARE);
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The label: the behaviour table's when the clustering is on purchase behaviour and every word of
 * it holds for CLAIM_SHARE of the members (or a plainer one of LABEL_BACKOFF whose words do); otherwise the (at most two) most distinctive honest
 * traits, e.g. "High income, low age"; otherwise MIXED_LABEL, which claims nothing.
 */
export function honestLabel(tableLabel: string | null, claimShares: (word: BehaviourWord) => number, traits: readonly TraitCandidate[]): string {
  if (tableLabel !== null) {
    const honest = [tableLabel, ...(LABEL_BACKOFF[tableLabel] ?? [])].find((l) => (LABEL_CLAIMS[l] ?? []).every((w) => claimShares(w) >= CLAIM_SHARE));
    if (honest !== undefined) return honest;
  }
  const named = honestTraits(traits).slice(0, LABEL_TRAITS);
  return named.length === 0 ? MIXED_LABEL : capitalized(named.map((t) => t.text).join(', '));
}

/**
 * One persona per cluster. `rows[j]` is the profile row of the j-th clustered profile and
 * `labels[j]` its cluster (0..k-1). A label two clusters share stays with the larger one; each
 * other gets its next most distinctive honest trait ("Mixed group, high income"), or " (2)", " (3)"
 * by size when it has none left.
 */
export function describePersonas(
  features: FeatureSet,
  rows: Int32Array,
  labels: Int32Array,
  k: number,
  options: {
    currency: string;
    /** DBSCAN's noise group: not a persona of its own kind, labelled as such. */
    noiseLabel?: number | null;
    /** The CLV horizon when predictions ran: narratives then say what a member is expected to be worth. */
    horizonMonths?: number;
    /** The clustering's features: labels come from what sets a cluster apart in these (default: the persona features). */
    clusteredOn?: { numeric: readonly string[]; categorical: readonly string[] };
  },
): Persona[] {
  const n = rows.length;
  const population = {} as Record<PersonaFeature, Moments>;
  const perCluster: Array<Record<PersonaFeature, number[]>> = Array.from({ length: k }, () =>
    Object.fromEntries(PERSONA_FEATURES.map((f) => [f, [] as number[]])) as unknown as Record<PersonaFeature, number[]>);
  const stageCounts: Array<Map<string, number>> = Array.from({ length: k }, () => new Map());
  const members: number[][] = Array.from({ length: k }, () => []);
  for (const f of PERSONA_FEATURES) {
    const column = features.numbers[f];
    const all: number[] = [];
    for (let j = 0; j < n; j++) {
      const v = column[rows[j]!]!;
      if (Number.isNaN(v)) continue;
      all.push(transform(f, v));
      perCluster[labels[j]!]![f].push(v);
    }
    population[f] = moments(all);
  }
  for (let j = 0; j < n; j++) {
    const c = labels[j]!;
    members[c]!.push(rows[j]!);
    const stage = features.categories.lifecycleStage[rows[j]!] ?? 'unknown';
    stageCounts[c]!.set(stage, (stageCounts[c]!.get(stage) ?? 0) + 1);
  }
  const populationMedian = (f: PersonaFeature) => medianOf(Array.from(rows, (i) => features.numbers[f][i]!).filter((v) => !Number.isNaN(v))) ?? 0;
  const typicalAov = populationMedian('averageOrderValue');
  const pop: PopulationMedians = { averageOrderValue: typicalAov, lifetimeFrequency: populationMedian('lifetimeFrequency'), lifetimeMonetary: populationMedian('lifetimeMonetary') };
  const clusteredOn = options.clusteredOn ?? { numeric: PERSONA_FEATURES, categorical: [] };
  // The behaviour table names clusters found in behaviour only: on attributes alone every cluster of
  // people with one invented recent purchase was "New first-time buyers", true of all and telling none apart.
  const onBehaviour = clusteredOn.numeric.some((f) => PURCHASE_FEATURES.has(f));
  const candidates = traitCandidates(features, rows, members, [...new Set([...clusteredOn.numeric, ...PERSONA_FEATURES])], clusteredOn.categorical);

  const personas: Persona[] = [];
  for (let c = 0; c < k; c++) {
    const medians = {} as Record<PersonaFeature, number | null>;
    const z = {} as Record<PersonaFeature, number>;
    for (const f of PERSONA_FEATURES) {
      const values = perCluster[c]![f];
      medians[f] = medianOf(values);
      const mean = values.length > 0 ? values.reduce((s, v) => s + transform(f, v), 0) / values.length : population[f].mean;
      z[f] = population[f].sd > 0 ? (mean - population[f].mean) / population[f].sd : 0;
    }
    const list = members[c]!;
    const size = list.length;
    const shareOf = (word: BehaviourWord) => (size === 0 ? 0 : list.filter((i) => behaviourHolds(word, features, i, pop)).length / size);
    const stages = Object.fromEntries([...stageCounts[c]!].map(([s, count]) => [s, size > 0 ? count / size : 0])) as Partial<Record<LifecycleStage, number>>;
    const noise = c === options.noiseLabel;
    const label = noise ? NOISE_LABEL : honestLabel(onBehaviour ? labelFor({ medians, z, stages }) : null, shareOf, candidates[c]!);
    const differences = PERSONA_FEATURES.map((f) => ({ feature: f, label: featureLabel(f), z: Math.round(z[f] * 100) / 100 }))
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.feature.localeCompare(b.feature));
    const share = n > 0 ? size / n : 0;
    const bought = { once: shareOf('once'), repeat: shareOf('repeat') };
    const outlook = options.horizonMonths === undefined ? null : outlookOf(features, list, options.horizonMonths);
    const summaryFigures = roundFigures(rawSummaryFigures(medians, bought));
    personas.push({
      key: '',
      label,
      cluster: c,
      size,
      share,
      noise,
      onceShare: bought.once,
      repeatShare: bought.repeat,
      // The outlook's medians sit beside the behaviour's, for the report and explain.
      medians: outlook ? { ...medians, clv: outlook.clv, pAlive: medianOf(list.map((i) => features.numbers.pAlive[i]!).filter((v) => !Number.isNaN(v))) } : medians,
      differences,
      traits: differences.filter((d) => Math.abs(d.z) >= TRAIT_THRESHOLD).slice(0, 4),
      narrative: narrate(size, share, bought, medians, typicalAov, options.currency) + (outlook ? outlookSentence(outlook, options.currency) : ''),
      typical: typicalMember(features, list, clusteredOn.numeric),
      summary: summaryText(summaryFigures),
      summaryFigures,
    });
  }
  // Same label twice: the larger cluster keeps it; the others add their next honest trait, or a number.
  const taken = new Set(personas.map((p) => p.label));
  const byLabel = new Map<string, Persona[]>();
  for (const p of personas) byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), p]);
  for (const [label, group] of byLabel) {
    group.sort((a, b) => b.size - a.size || a.cluster - b.cluster);
    group.forEach((p, i) => {
      if (i === 0) return;
      const next = p.noise ? undefined : honestTraits(candidates[p.cluster]!).find((t) => !label.toLowerCase().includes(t.text) && !taken.has(`${label}, ${t.text}`));
      p.label = next ? `${label}, ${next.text}` : `${label} (${i + 1})`;
      taken.add(p.label);
    });
  }
  for (const p of personas) p.key = personaKey(p.label);
  return personas;
}
