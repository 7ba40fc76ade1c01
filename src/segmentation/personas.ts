/**
 * Personas: each cluster described in words a marketer can write to, from its numbers alone.
 *
 * Traits are standardized differences from the clustered population, z = (cluster mean − population
 * mean) ÷ population sd, taken on log1p of the non-negative, right-skewed features (days, orders,
 * money), so one customer with a 50,000 order cannot make everyone else look alike; spend trend is
 * already bounded and is used as it is. Medians are in raw units (days, orders, money).
 *
 * The label is a deterministic function of the medians and traits (see `labelFor`), so the same
 * clusters always get the same names, and a persona's key (its list and token value) is the slug of
 * its label: a marketer's list keeps its meaning from run to run as long as the cluster does.
 */
import type { FeatureSet, LifecycleStage, NumberFeature } from './features.js';
import { featureLabel, NEW_CUSTOMER_DAYS } from './features.js';
import { rawSummaryFigures, roundFigures, summaryText, type SummaryFigures } from './persona-summary.js';

export const PERSONA_FEATURES = [
  'daysSinceLastPurchase', 'lifetimeFrequency', 'averageOrderValue', 'lifetimeMonetary',
  'meanDaysBetweenPurchases', 'tenureDays', 'daysSinceFirstPurchase', 'spendTrend', 'emailOpens',
] as const satisfies readonly NumberFeature[];
type PersonaFeature = (typeof PERSONA_FEATURES)[number];

/** What DBSCAN's noise group is called: people who resemble no cluster closely. */
export const NOISE_LABEL = 'Unusual customers';

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
  medians: Record<string, number | null>;
  /** Every persona feature's z, largest |z| first; `traits` are the ones worth naming. */
  differences: PersonaTrait[];
  traits: PersonaTrait[];
  narrative: string;
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

const whole = (v: number) => Math.round(v).toLocaleString('en-US');
const money = (v: number) => (v >= 100 ? whole(v) : v.toFixed(2).replace(/\.00$/, ''));
const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Against the typical (median) buyer: a few big spenders must not make everyone else look small. */
function timesOrShare(ratio: number): string {
  if (ratio >= 1.95) return `${ratio >= 9.5 ? whole(ratio) : ratio.toFixed(1).replace(/\.0$/, '')} times the typical buyer's`;
  if (ratio <= 0.55) return `${percent(ratio)} of the typical buyer's`;
  if (ratio >= 0.9 && ratio <= 1.1) return "about the typical buyer's";
  return ratio > 1 ? "above the typical buyer's" : "below the typical buyer's";
}

/** Medians of the predictions within a cluster; null where predictions did not run. */
export interface PersonaOutlook {
  clv: number | null;
  pAlive: number | null;
  horizonMonths: number;
  /** Most members bought on one day only: the model has no P(alive) for them. */
  oneTime: boolean;
}

/** A third sentence from the purchase models: what a typical member is expected to be worth. */
function outlookSentence(o: PersonaOutlook, currency: string): string {
  const parts: string[] = [];
  const horizon = o.horizonMonths === 12 ? 'the next year' : `the next ${o.horizonMonths} months`;
  if (o.clv !== null) parts.push(`expected to spend ${money(o.clv)}${currency ? ` ${currency}` : ''} over ${horizon}`);
  // One purchase day tells the model nothing yet about leaving: say nothing rather than a median of the few who bought again.
  if (o.pAlive !== null && !o.oneTime) parts.push(`${percent(o.pAlive)} likely to still be a customer`);
  return parts.length === 0 ? '' : ` A typical member is ${parts.join(' and ')}.`;
}

/** Two sentences with the cluster's real numbers. */
function narrate(label: string, size: number, share: number, m: Record<PersonaFeature, number | null>, typicalAov: number, currency: string): string {
  const who = `${whole(size)} ${size === 1 ? 'customer' : 'customers'} (${percent(share)})`;
  const aov = m.averageOrderValue ?? 0;
  const unit = currency ? ` ${currency}` : '';
  const spendPart = `${money(aov)}${unit} per order, ${timesOrShare(typicalAov > 0 ? aov / typicalAov : 1)}`;
  const orders = m.lifetimeFrequency ?? 0;
  const first = orders <= 1
    ? `${who} who bought once and spent ${spendPart}.`
    : `${who} who buy every ${whole(m.meanDaysBetweenPurchases ?? 0)} days and spend ${spendPart}.`;
  const since = m.daysSinceLastPurchase ?? 0;
  const second = orders <= 1
    ? `Their purchase was a median ${whole(since)} days ago; they have been customers for ${whole(m.tenureDays ?? 0)} days.`
    : `A typical ${label.toLowerCase().replace(/s$/, '')} has placed ${whole(orders)} orders worth ${money(m.lifetimeMonetary ?? 0)}${unit} in total, the last one ${whole(since)} days ago.`;
  return `${first} ${second}`;
}


function outlookOf(features: FeatureSet, rows: Int32Array, labels: Int32Array, cluster: number, size: number, horizonMonths: number): PersonaOutlook {
  const clv: number[] = [];
  const alive: number[] = [];
  for (let j = 0; j < rows.length; j++) {
    if (labels[j] !== cluster) continue;
    const v = features.numbers.clv[rows[j]!]!;
    if (!Number.isNaN(v)) clv.push(v);
    const a = features.numbers.pAlive[rows[j]!]!;
    if (!Number.isNaN(a)) alive.push(a);
  }
  return { clv: medianOf(clv), pAlive: medianOf(alive), horizonMonths, oneTime: alive.length * 2 < size };
}

/**
 * One persona per cluster. `rows[j]` is the profile row of the j-th clustered profile and
 * `labels[j]` its cluster (0..k-1). Labels that two clusters share get " (2)", " (3)" by size.
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
  },
): Persona[] {
  const n = rows.length;
  const population = {} as Record<PersonaFeature, Moments>;
  const perCluster: Array<Record<PersonaFeature, number[]>> = Array.from({ length: k }, () =>
    Object.fromEntries(PERSONA_FEATURES.map((f) => [f, [] as number[]])) as unknown as Record<PersonaFeature, number[]>);
  const stageCounts: Array<Map<string, number>> = Array.from({ length: k }, () => new Map());
  const sizes = new Int32Array(k);
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
    sizes[c]!++;
    const stage = features.categories.lifecycleStage[rows[j]!] ?? 'unknown';
    stageCounts[c]!.set(stage, (stageCounts[c]!.get(stage) ?? 0) + 1);
  }
  const aovs: number[] = [];
  for (let j = 0; j < n; j++) {
    const v = features.numbers.averageOrderValue[rows[j]!]!;
    if (!Number.isNaN(v)) aovs.push(v);
  }
  const typicalAov = medianOf(aovs) ?? 0;

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
    const size = sizes[c]!;
    const stages = Object.fromEntries([...stageCounts[c]!].map(([s, count]) => [s, size > 0 ? count / size : 0])) as Partial<Record<LifecycleStage, number>>;
    const label = c === options.noiseLabel ? NOISE_LABEL : labelFor({ medians, z, stages });
    const differences = PERSONA_FEATURES.map((f) => ({ feature: f, label: featureLabel(f), z: Math.round(z[f] * 100) / 100 }))
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.feature.localeCompare(b.feature));
    const share = n > 0 ? size / n : 0;
    const outlook = options.horizonMonths === undefined ? null : outlookOf(features, rows, labels, c, size, options.horizonMonths);
    const summaryFigures = roundFigures(rawSummaryFigures(medians));
    personas.push({
      key: '',
      label,
      cluster: c,
      size,
      share,
      // The outlook's medians sit beside the behaviour's, for the report and explain.
      medians: outlook ? { ...medians, clv: outlook.clv, pAlive: outlook.pAlive } : medians,
      differences,
      traits: differences.filter((d) => Math.abs(d.z) >= TRAIT_THRESHOLD).slice(0, 4),
      narrative: narrate(label, size, share, medians, typicalAov, options.currency) + (outlook ? outlookSentence(outlook, options.currency) : ''),
      summary: summaryText(summaryFigures),
      summaryFigures,
    });
  }
  // Same label twice: the larger cluster keeps it, the others are numbered, deterministically.
  const byLabel = new Map<string, Persona[]>();
  for (const p of personas) byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), p]);
  for (const group of byLabel.values()) {
    group.sort((a, b) => b.size - a.size || a.cluster - b.cluster);
    group.forEach((p, i) => {
      if (i > 0) p.label = `${p.label} (${i + 1})`;
    });
  }
  for (const p of personas) p.key = personaKey(p.label);
  return personas;
}
