import { randomInt, seededRandom, type Random } from '../segmentation/random.js';

/**
 * Lift of a campaign: treatment against control, per measure, with a 95% interval and a p-value.
 * Pure functions of per-person outcomes; src/measure/lift-data.ts loads them from the store.
 *
 * Methods (stated in every result):
 * - proportions (conversion, moved to a worse RFM segment, unsubscribes): the two-proportion z
 *   test (pooled standard error) and Newcombe's hybrid score interval for the difference (from
 *   each group's Wilson interval). Not the Wald interval: with a small control group, or a rate
 *   near 0 or 1 (nobody unsubscribed in control), Wald's interval can exclude 0 while the test
 *   says p = 0.4, or include 0 while p = 0.007; Newcombe's agrees with the test and keeps its
 *   coverage there. The relative difference (ratio − 1) gets the log risk-ratio (Katz) interval.
 * - per-person means (orders, revenue) and the average order value of converters: a seeded
 *   percentile bootstrap, each group resampled on its own; the p-value is twice the share of
 *   resampled differences on the far side of zero.
 */

/** z for a two-sided 95% interval (the normal's 97.5th percentile) and for 80% power (its 80th). */
export const Z_95 = 1.959963984540054;
export const Z_POWER_80 = 0.8416212335729143;
export const BOOTSTRAP_RESAMPLES = 2000;
/** Below these the figures say more about chance than about the campaign. */
export const MIN_CONTROL_PEOPLE = 30;
export const MIN_CONVERTERS = 5;
/** The relative lift the "how many people" hint sizes for. */
export const TARGET_RELATIVE_LIFT = 0.1;

export type Interval = [number, number];

/** The standard normal CDF; erfc by the Numerical Recipes Chebyshev fit (relative error < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

export interface ProportionComparison {
  treatment: number;
  control: number;
  difference: number;
  /** 95%, Newcombe's hybrid score interval (method 10 of Newcombe 1998). */
  differenceCi: Interval;
  /** treatment / control − 1; null when control is 0. */
  relative: number | null;
  relativeCi: Interval | null;
  /** Two-sided, pooled standard error; null when nobody (or everybody) had the outcome. */
  pValue: number | null;
}

/** Two-proportion z: x successes of n in treatment (1) and control (0). */
export function compareProportions(x1: number, n1: number, x0: number, n0: number): ProportionComparison {
  const p1 = x1 / n1;
  const p0 = x0 / n0;
  const difference = p1 - p0;
  const [l1, u1] = wilsonInterval(x1, n1);
  const [l0, u0] = wilsonInterval(x0, n0);
  const differenceCi: Interval = [difference - Math.hypot(p1 - l1, u0 - p0), difference + Math.hypot(u1 - p1, p0 - l0)];
  const pooled = (x1 + x0) / (n1 + n0);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  const pValue = sePooled > 0 ? 2 * (1 - normalCdf(Math.abs(difference / sePooled))) : null;
  let relative: number | null = null;
  let relativeCi: Interval | null = null;
  if (x0 > 0) {
    relative = p1 / p0 - 1;
    if (x1 > 0) {
      const seLog = Math.sqrt((1 - p1) / x1 + (1 - p0) / x0);
      const log = Math.log(p1 / p0);
      relativeCi = [Math.exp(log - Z_95 * seLog) - 1, Math.exp(log + Z_95 * seLog) - 1];
    }
  }
  return { treatment: p1, control: p0, difference, differenceCi, relative, relativeCi, pValue };
}

/** The 95% Wilson score interval of x successes in n (a group's own rate, for charts). */
export function wilsonInterval(x: number, n: number): Interval {
  if (n === 0) return [0, 1];
  const p = x / n;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** One group's people as columns; a statistic reads the rows it is given (a resample). */
export interface Sample {
  values: Float64Array;
  /** Second column for ratio statistics (orders, for revenue per order); absent for means. */
  weights?: Float64Array;
}

type Statistic = (sample: Sample, rows: Int32Array | null) => number;

export const meanOf: Statistic = (s, rows) => {
  const n = rows ? rows.length : s.values.length;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += s.values[rows ? rows[k]! : k]!;
  return n === 0 ? Number.NaN : sum / n;
};

/** Σ values / Σ weights: the average order value of a group of people (revenue / orders). */
export const ratioOf: Statistic = (s, rows) => {
  const n = rows ? rows.length : s.values.length;
  let top = 0;
  let bottom = 0;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k]! : k;
    top += s.values[i]!;
    bottom += s.weights![i]!;
  }
  return bottom === 0 ? Number.NaN : top / bottom;
};

export interface BootstrapComparison {
  treatment: number;
  control: number;
  difference: number;
  differenceCi: Interval | null;
  relative: number | null;
  relativeCi: Interval | null;
  pValue: number | null;
}

function resample(n: number, random: Random, into: Int32Array): Int32Array {
  for (let k = 0; k < n; k++) into[k] = randomInt(random, n);
  return into;
}

/** The q-th quantile (0–1) of sorted values, by linear interpolation (as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Percentile bootstrap of statistic(treatment) − statistic(control), each group resampled on its own. */
export function bootstrapDifference(
  treatment: Sample, control: Sample, statistic: Statistic, seed: number, resamples = BOOTSTRAP_RESAMPLES,
): BootstrapComparison {
  const t = statistic(treatment, null);
  const c = statistic(control, null);
  const relative = c !== 0 && Number.isFinite(c) ? t / c - 1 : null;
  const nT = treatment.values.length;
  const nC = control.values.length;
  if (nT === 0 || nC === 0) return { treatment: t, control: c, difference: t - c, differenceCi: null, relative, relativeCi: null, pValue: null };
  const random = seededRandom(seed);
  const rowsT = new Int32Array(nT);
  const rowsC = new Int32Array(nC);
  const differences: number[] = [];
  const ratios: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const bt = statistic(treatment, resample(nT, random, rowsT));
    const bc = statistic(control, resample(nC, random, rowsC));
    if (!Number.isFinite(bt) || !Number.isFinite(bc)) continue;
    differences.push(bt - bc);
    if (bc !== 0) ratios.push(bt / bc - 1);
  }
  if (differences.length === 0) return { treatment: t, control: c, difference: t - c, differenceCi: null, relative, relativeCi: null, pValue: null };
  differences.sort((a, b) => a - b);
  ratios.sort((a, b) => a - b);
  const below = differences.filter((d) => d <= 0).length;
  const above = differences.filter((d) => d >= 0).length;
  // The share on the far side of zero, doubled; (k + 1) / (B + 1) so that it is never exactly 0.
  const pValue = Math.min(1, (2 * (Math.min(below, above) + 1)) / (differences.length + 1));
  return {
    treatment: t,
    control: c,
    difference: t - c,
    differenceCi: [quantileSorted(differences, 0.025), quantileSorted(differences, 0.975)],
    relative,
    // Only when (nearly) every resample had a control above 0; otherwise the ratio is not defined often enough to trust.
    relativeCi: relative !== null && ratios.length >= differences.length * 0.99 ? [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)] : null,
    pValue,
  };
}

/**
 * The minimum detectable effect on a proportion at these sizes (two-sided α 0.05, 80% power):
 * (z₀.₉₇₅ + z₀.₈) · √(p(1 − p)(1/n₁ + 1/n₀)), with p the baseline rate; relative = absolute / p.
 */
export function minimumDetectableEffect(baseline: number, nTreatment: number, nControl: number): { absolute: number; relative: number | null } {
  const absolute = (Z_95 + Z_POWER_80) * Math.sqrt(baseline * (1 - baseline) * (1 / nTreatment + 1 / nControl));
  return { absolute, relative: baseline > 0 ? absolute / baseline : null };
}

/** Control people needed to detect `relativeLift` at the baseline, keeping the treatment:control ratio. */
export function controlSizeNeeded(baseline: number, treatmentPerControl: number, relativeLift = TARGET_RELATIVE_LIFT): number {
  const delta = baseline * relativeLift;
  return Math.ceil(((Z_95 + Z_POWER_80) ** 2 * baseline * (1 - baseline) * (1 + 1 / treatmentPerControl)) / (delta * delta));
}

/** What one person did in the campaign window. */
export interface PersonOutcome {
  /** Won, non-archived purchases in the window. */
  orders: number;
  /** Their amount in the base currency. */
  revenue: number;
  /** Moved to a worse RFM segment between the start and the latest later run; null when unknown. */
  movedWorse: boolean | null;
  unsubscribed: boolean;
}

export type MeasureKey = 'conversion' | 'ordersPerPerson' | 'revenuePerPerson' | 'averageOrderValue' | 'movedToWorseRfm' | 'unsubscribes';

export const MEASURE_LABELS: Record<MeasureKey, string> = {
  conversion: 'conversion (≥1 purchase)',
  ordersPerPerson: 'orders per person',
  revenuePerPerson: 'revenue per person',
  averageOrderValue: 'average order value (converters)',
  movedToWorseRfm: 'moved to a worse RFM segment',
  unsubscribes: 'unsubscribed',
};

export const METHOD_Z = 'two-proportion z test (pooled SE), Newcombe hybrid score interval for the difference';
export const METHOD_BOOTSTRAP = `percentile bootstrap (${BOOTSTRAP_RESAMPLES.toLocaleString('en-US')} resamples, seeded)`;

export interface Measure extends BootstrapComparison {
  key: MeasureKey;
  label: string;
  method: string;
  /** People the measure is over, per group (converters for AOV; people with a known RFM move). */
  n: { treatment: number; control: number };
}

export interface GroupCounts {
  people: number;
  converters: number;
  orders: number;
  revenue: number;
  movedWorse: number;
  /** People whose RFM move is known (in an RFM segment at the start and in a later run). */
  rfmKnown: number;
  unsubscribed: number;
}

export interface LiftAssessment {
  treatment: GroupCounts;
  control: GroupCounts;
  /** null when there is not enough data: see `notEnoughData`. */
  measures: Measure[] | null;
  /** Conversion's minimum detectable effect at the current sizes (null while nobody converted). */
  mde: { absolute: number; relative: number | null; baseline: number } | null;
  notEnoughData: { reasons: string[]; fixes: string[] } | null;
}

export interface WindowProgress {
  started: boolean;
  /** Days of the window elapsed so far (0 before it starts). */
  elapsedDays: number;
  /** The window's full length in days (to its planned end or its stop). */
  lengthDays: number;
}

function counts(people: readonly PersonOutcome[]): GroupCounts {
  const out: GroupCounts = { people: people.length, converters: 0, orders: 0, revenue: 0, movedWorse: 0, rfmKnown: 0, unsubscribed: 0 };
  for (const p of people) {
    if (p.orders > 0) out.converters++;
    out.orders += p.orders;
    out.revenue += p.revenue;
    if (p.movedWorse !== null) out.rfmKnown++;
    if (p.movedWorse === true) out.movedWorse++;
    if (p.unsubscribed) out.unsubscribed++;
  }
  return out;
}

const column = (people: readonly PersonOutcome[], f: (p: PersonOutcome) => number) => Float64Array.from(people, f);

function proportionMeasure(key: MeasureKey, x1: number, n1: number, x0: number, n0: number): Measure {
  return { key, label: MEASURE_LABELS[key], method: METHOD_Z, n: { treatment: n1, control: n0 }, ...compareProportions(x1, n1, x0, n0) };
}

function bootstrapMeasure(key: MeasureKey, t: readonly PersonOutcome[], c: readonly PersonOutcome[], seed: number, ratio: boolean): Measure {
  const sample = (people: readonly PersonOutcome[]): Sample => (ratio
    ? { values: column(people, (p) => p.revenue), weights: column(people, (p) => p.orders) }
    : { values: column(people, key === 'ordersPerPerson' ? (p) => p.orders : (p) => p.revenue) });
  return {
    key, label: MEASURE_LABELS[key], method: METHOD_BOOTSTRAP, n: { treatment: t.length, control: c.length },
    ...bootstrapDifference(sample(t), sample(c), ratio ? ratioOf : meanOf, seed),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * Treatment against control on every measure, or "not enough data yet" with the reasons and what
 * would fix them: a control group under 30 people, fewer than 5 converters in either group, or a
 * window that has not started. The raw counts are there either way.
 */
export function assessLift(
  treatment: readonly PersonOutcome[], control: readonly PersonOutcome[], window: WindowProgress, seed: number,
  /** 'conversion': only the conversion measure (status, which skips the bootstraps). */
  which: 'all' | 'conversion' = 'all',
): LiftAssessment {
  const t = counts(treatment);
  const c = counts(control);
  const baseline = c.people > 0 && c.converters > 0 ? c.converters / c.people : (t.converters + c.converters) / Math.max(1, t.people + c.people);
  const mde = t.people > 0 && c.people > 0 && baseline > 0 ? { ...minimumDetectableEffect(baseline, t.people, c.people), baseline } : null;

  const reasons: string[] = [];
  const fixes: string[] = [];
  if (!window.started) {
    reasons.push('the campaign window has not started yet');
    fixes.push('wait for the start date, then pull new purchases');
  }
  if (c.people < MIN_CONTROL_PEOPLE) {
    reasons.push(`the control group has ${plural(c.people, 'person', 'people')} (at least ${MIN_CONTROL_PEOPLE} are needed)`);
    const share = c.people / Math.max(1, t.people + c.people);
    fixes.push(share > 0
      ? `a cohort of about ${plural(Math.ceil(MIN_CONTROL_PEOPLE / share), 'person', 'people')} at this control share, or a larger share for this segment (controlGroups.segments), for a new campaign`
      : 'turn on a control share for this segment (controlGroups.share or controlGroups.segments) and start a new campaign');
  }
  const fewest = Math.min(t.converters, c.converters);
  if (window.started && fewest < MIN_CONVERTERS) {
    const which = t.converters <= c.converters ? 'treatment' : 'control';
    reasons.push(`the ${which} group has ${plural(fewest, 'converter')} (at least ${MIN_CONVERTERS} per group are needed)`);
    if (fewest > 0 && window.elapsedDays > 0) {
      // Converters pile up about in proportion to the days elapsed.
      const daysNeeded = Math.ceil((window.elapsedDays * MIN_CONVERTERS) / fewest);
      const more = Math.max(1, daysNeeded - Math.floor(window.elapsedDays));
      fixes.push(daysNeeded <= window.lengthDays
        ? `about ${plural(more, 'more day')} at the current pace`
        : `about ${plural(more, 'more day')} at the current pace, past the window's end (day ${window.lengthDays}): a longer window (--days) on a new campaign`);
    } else {
      fixes.push(`no one in the ${which} group has bought in ${plural(Math.floor(window.elapsedDays), 'day')}: wait, and pull new purchases`);
    }
  }
  if (mde && c.people > 0) {
    const needed = controlSizeNeeded(baseline, t.people / c.people);
    if (needed > c.people) fixes.push(`at these sizes only a conversion lift of ${(mde.absolute * 100).toFixed(1)} points${mde.relative === null ? '' : ` (${(mde.relative * 100).toFixed(0)}% relative)`} would show; a ${(TARGET_RELATIVE_LIFT * 100).toFixed(0)}% lift needs about ${plural(needed, 'person', 'people')} in control`);
  }
  if (reasons.length > 0) return { treatment: t, control: c, measures: null, mde, notEnoughData: { reasons, fixes } };

  if (which === 'conversion') return { treatment: t, control: c, measures: [proportionMeasure('conversion', t.converters, t.people, c.converters, c.people)], mde, notEnoughData: null };
  const knownT = treatment.filter((p) => p.movedWorse !== null);
  const knownC = control.filter((p) => p.movedWorse !== null);
  const measures: Measure[] = [
    proportionMeasure('conversion', t.converters, t.people, c.converters, c.people),
    bootstrapMeasure('ordersPerPerson', treatment, control, seed, false),
    bootstrapMeasure('revenuePerPerson', treatment, control, seed + 1, false),
    bootstrapMeasure('averageOrderValue', treatment.filter((p) => p.orders > 0), control.filter((p) => p.orders > 0), seed + 2, true),
  ];
  if (knownT.length > 0 && knownC.length > 0) measures.push(proportionMeasure('movedToWorseRfm', t.movedWorse, knownT.length, c.movedWorse, knownC.length));
  measures.push(proportionMeasure('unsubscribes', t.unsubscribed, t.people, c.unsubscribed, c.people));
  return { treatment: t, control: c, measures, mde, notEnoughData: null };
}
