/**
 * Feature preparation: raw numeric and categorical columns → one dense matrix for clustering and
 * PCA, with every decision written down (`steps`) and every fitted number kept (`fitted`), so a
 * person or a notebook can redo it.
 *
 * Order, per numeric column: impute → log → cap → scale; then one-hot for the categorical columns.
 * (Columns that are entirely missing are dropped first.)
 * - Impute first, so every later statistic sees the same n values the matrix will hold.
 * - Log before capping. Money columns are right-skewed, roughly log-normal. Tukey fences in
 *   raw units on such a column cap several percent of the best customers (log-normal σ = 1:
 *   about 8% lie above Q3 + 1.5·IQR), squashing exactly the "VIP" signal segmentation is after.
 *   In log units the same fences catch only real outliers (about 0.35% for σ = 1). Capping first
 *   would also remove most of the skewness that the auto rule uses to decide on the log.
 *   log1p is monotone, so a fence in log units is a fence in money units: the cap step prints
 *   both, expm1(fence) being the amount an admin reads. `fitted` keeps the fences in the units
 *   they were applied in (log1p units when `log` is true).
 * - Cap before scaling, so one extreme value cannot inflate the sd or the range.
 * - One-hot last, then weighted so that one categorical feature counts like one numeric feature
 *   (categoryWeight): with m indicator columns left at 0/1, a 10-category feature would weigh in
 *   distances like up to 10 numeric columns.
 *
 * Definitions:
 * - Missing: NaN (and ±Infinity) in numeric columns, null in categorical ones.
 * - Median and quartiles: linear interpolation between order statistics, h = (n − 1)·p
 *   (Hyndman–Fan type 7; numpy.quantile / pandas default).
 * - Skewness (auto log rule): the adjusted Fisher–Pearson G1 = g1·√(n(n−1))/(n−2), as pandas
 *   Series.skew() and Excel SKEW; 0 when n < 3 or the column is constant. Computed on the
 *   imputed raw values.
 * - sd: population sd (divide by n), both for z-score capping and z-score scaling.
 * - A constant column (min = max after capping) becomes all 0; `fitted` records center = that
 *   value and scale = 1 so (x − center) / scale redoes it.
 * - Mode ties go to the alphabetically first category (JavaScript string order, UTF-16 code
 *   units). With imputation off, a missing category gets 0 in every indicator column of its
 *   block and a missing number stays NaN.
 * - One-hot: the `maxCategories` most frequent categories (ties alphabetical) get a column
 *   "key=value" each, in that order; if any categories remain, they share one more column
 *   "key=other" (so a block has at most maxCategories + 1 columns).
 *
 * Output columns: the kept numeric columns in input order (named by their key), then the one-hot
 * blocks in input order. Steps: drops, then impute, log, cap, scale and one-hot steps, each
 * group in column order. Every step is recorded with its count even when nothing changed; an
 * option that switches a step off yields one step with column null saying so.
 *
 * Cost: per numeric column one sorted Float64Array copy (for the median, quantiles are read off
 * the same copy after imputation and log) and a few linear passes; no per-row objects.
 */
import { createMatrix, type Matrix } from './matrix.js';

export interface FeatureTable {
  rows: number;
  numeric: Array<{ key: string; values: Float64Array /* NaN = missing */; skewed?: boolean /* a non-negative, right-skewed kind (money, counts, days): candidate for the auto log */ }>;
  categorical: Array<{ key: string; values: Array<string | null> /* null = missing */ }>;
}

export type OutlierMethod = 'iqr' | 'zscore' | 'none';
export type ScalingMethod = 'zscore' | 'minmax' | 'none';

export interface PreparationOptions {
  /** Median for numbers, mode for categories (ties → alphabetically first). */
  impute: boolean;
  /** Values outside the fences are capped (winsorized) at the fence. */
  outliers: { method: OutlierMethod; factor: number };
  /** 'auto': log1p on `skewed` columns with skewness > 1 and min ≥ 0; or an explicit list of keys. */
  log: 'auto' | 'none' | string[];
  scaling: ScalingMethod;
  oneHot: { maxCategories: number };
}

/**
 * What prepareFeatures accepts: any part of PreparationOptions. The outlier factor may be left
 * out, in which case it defaults to 1.5 for 'iqr' and 3 for 'zscore'.
 */
export interface PreparationOverrides extends Partial<Omit<PreparationOptions, 'outliers'>> {
  outliers?: { method: OutlierMethod; factor?: number };
}

export interface PreparationStep {
  step: 'impute' | 'cap' | 'log' | 'scale' | 'one-hot' | 'weight' | 'drop';
  column: string | null;
  /** One readable line with the numbers. */
  detail: string;
  count?: number;
  parameters?: Record<string, number | string | null>;
}

export interface FittedColumn {
  key: string;
  column: string;
  /** The imputation value; null when imputation is off. */
  median: number | null;
  /** In the units the cap was applied in (log1p units if `log`); null when capping is off. */
  lowerFence: number | null;
  upperFence: number | null;
  log: boolean;
  /** Scaled value = (x − center) / scale. */
  center: number;
  scale: number;
}

export interface PreparedMatrix {
  matrix: Matrix;
  columns: string[];
  steps: PreparationStep[];
  /** Per kept numeric column, what was fitted, so a person (or a notebook) can redo it. */
  fitted: FittedColumn[];
}

export const DEFAULT_IQR_FACTOR = 1.5;
export const DEFAULT_ZSCORE_FACTOR = 3;

export const DEFAULT_PREPARATION: PreparationOptions = Object.freeze({
  impute: true,
  outliers: Object.freeze({ method: 'iqr' as const, factor: DEFAULT_IQR_FACTOR }),
  log: 'auto' as const,
  scaling: 'zscore' as const,
  oneHot: Object.freeze({ maxCategories: 10 }),
});

/**
 * Quantile p of an ascending array by linear interpolation (type 7): h = (n − 1)·p,
 * q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]). NaN for an empty array.
 */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  if (lo >= n - 1) return sorted[n - 1] as number;
  const frac = h - lo;
  return frac === 0 ? a : a + frac * ((sorted[lo + 1] as number) - a);
}

/** Adjusted Fisher–Pearson skewness G1 (pandas Series.skew()); 0 when n < 3 or constant. */
export function sampleSkewness(values: Float64Array): number {
  const n = values.length;
  if (n < 3) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
  }
  m2 /= n;
  m3 /= n;
  if (!(m2 > 0)) return 0;
  return ((m3 / Math.pow(m2, 1.5)) * Math.sqrt(n * (n - 1))) / (n - 2);
}

type Stage = PreparationStep['step'];
const STAGE_ORDER: readonly Stage[] = ['drop', 'impute', 'log', 'cap', 'scale', 'one-hot', 'weight'];

interface ResolvedOptions {
  impute: boolean;
  method: OutlierMethod;
  factor: number;
  log: 'auto' | 'none' | ReadonlySet<string>;
  scaling: ScalingMethod;
  maxCategories: number;
}

function resolveOptions(options: PreparationOverrides): ResolvedOptions {
  const method = options.outliers?.method ?? DEFAULT_PREPARATION.outliers.method;
  const factor =
    options.outliers?.factor ??
    (options.outliers === undefined ? DEFAULT_PREPARATION.outliers.factor : method === 'zscore' ? DEFAULT_ZSCORE_FACTOR : DEFAULT_IQR_FACTOR);
  if (method !== 'none' && !(Number.isFinite(factor) && factor >= 0)) {
    throw new RangeError(`prepareFeatures: outliers.factor must be a finite number ≥ 0, got ${factor}`);
  }
  const maxCategories = options.oneHot?.maxCategories ?? DEFAULT_PREPARATION.oneHot.maxCategories;
  if (!(Number.isInteger(maxCategories) && maxCategories >= 0)) {
    throw new RangeError(`prepareFeatures: oneHot.maxCategories must be an integer ≥ 0, got ${maxCategories}`);
  }
  const log = options.log ?? DEFAULT_PREPARATION.log;
  return {
    impute: options.impute ?? DEFAULT_PREPARATION.impute,
    method,
    factor,
    log: Array.isArray(log) ? new Set(log) : log,
    scaling: options.scaling ?? DEFAULT_PREPARATION.scaling,
    maxCategories,
  };
}

/** A short readable number: integers as they are, others to 6 significant digits. */
function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

function hasValue(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return true;
  return false;
}

interface CategoricalPlan {
  key: string;
  values: ReadonlyArray<string | null>;
  missing: number;
  mode: string;
  /** Category → position within the block; categories not in it go to `otherIndex`. */
  index: Map<string, number>;
  otherIndex: number;
  columns: string[];
  distinct: number;
  otherCategories: number;
  otherRows: number;
}

function planCategorical(
  column: FeatureTable['categorical'][number],
  opts: ResolvedOptions,
  bucket: Record<Stage, PreparationStep[]>,
): CategoricalPlan | null {
  const { key, values } = column;
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (counts.size === 0) {
    bucket.drop.push({ step: 'drop', column: key, detail: `dropped: all ${values.length} values are missing`, count: values.length });
    return null;
  }
  const byFrequency = (a: [string, number], b: [string, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const mode = [...counts].sort(byFrequency)[0]![0];
  if (opts.impute) {
    counts.set(mode, counts.get(mode)! + missing);
    bucket.impute.push({
      step: 'impute',
      column: key,
      detail: missing > 0 ? `imputed ${plural(missing, 'missing value')} with the mode "${mode}"` : `no missing values (mode "${mode}")`,
      count: missing,
      parameters: { mode },
    });
  } else {
    bucket.impute.push({
      step: 'impute',
      column: key,
      detail: `imputation off: ${plural(missing, 'missing value')} get 0 in every ${key}= column`,
      count: 0,
      parameters: { missing },
    });
  }
  const ranked = [...counts].sort(byFrequency);
  const kept = ranked.slice(0, opts.maxCategories);
  const rest = ranked.slice(opts.maxCategories);
  const index = new Map<string, number>();
  const columns: string[] = [];
  kept.forEach(([category], j) => {
    index.set(category, j);
    columns.push(`${key}=${category}`);
  });
  let otherRows = 0;
  for (const [, count] of rest) otherRows += count;
  if (rest.length > 0) columns.push(index.has('other') ? `${key}=(other)` : `${key}=other`);
  const otherName = columns[columns.length - 1];
  bucket['one-hot'].push({
    step: 'one-hot',
    column: key,
    detail:
      `${plural(kept.length, 'indicator column')} for the most frequent of ${plural(ranked.length, 'category', 'categories')}` +
      (rest.length > 0 ? `; the other ${plural(rest.length, 'category', 'categories')} (${plural(otherRows, 'row')}) share "${otherName}"` : '; no "other" column needed'),
    count: otherRows,
    parameters: { categories: ranked.length, columns: columns.length, otherCategories: rest.length, otherRows },
  });
  return {
    key,
    values,
    missing,
    mode,
    index,
    otherIndex: kept.length,
    columns,
    distinct: ranked.length,
    otherCategories: rest.length,
    otherRows,
  };
}

/** `sorted` with `count` copies of `value` inserted where they belong. */
function insertRepeated(sorted: Float64Array, value: number, count: number): Float64Array {
  if (count === 0) return sorted;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  const out = new Float64Array(sorted.length + count);
  out.set(sorted.subarray(0, lo), 0);
  out.fill(value, lo, lo + count);
  out.set(sorted.subarray(lo), lo + count);
  return out;
}

function prepareNumeric(
  column: FeatureTable['numeric'][number],
  target: { data: Float64Array; cols: number; col: number },
  opts: ResolvedOptions,
  bucket: Record<Stage, PreparationStep[]>,
): FittedColumn {
  const { key, values } = column;
  const n = values.length;

  let missing = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) missing++;
  const present = new Float64Array(n - missing);
  for (let i = 0, k = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isFinite(x)) present[k++] = x;
  }
  present.sort();

  // Impute. `work` holds the column as it goes through the steps; `sorted` is the same multiset
  // of present values, ascending (log1p is monotone, so it stays sorted after the log).
  const work = new Float64Array(n);
  let sorted: Float64Array;
  let median: number | null = null;
  if (opts.impute) {
    const med = quantileSorted(present, 0.5);
    median = med;
    for (let i = 0; i < n; i++) {
      const x = values[i] as number;
      work[i] = Number.isFinite(x) ? x : med;
    }
    sorted = insertRepeated(present, med, missing);
    bucket.impute.push({
      step: 'impute',
      column: key,
      detail: missing > 0 ? `imputed ${plural(missing, 'missing value')} with the median ${fmt(med)}` : `no missing values (median ${fmt(med)})`,
      count: missing,
      parameters: { median: med },
    });
  } else {
    for (let i = 0; i < n; i++) {
      const x = values[i] as number;
      work[i] = Number.isFinite(x) ? x : NaN;
    }
    sorted = present;
    bucket.impute.push({
      step: 'impute',
      column: key,
      detail: `imputation off: ${plural(missing, 'missing value')} left as NaN`,
      count: 0,
      parameters: { missing },
    });
  }
  const m = sorted.length; // values that are not NaN from here on

  // Log.
  let log = false;
  if (opts.log !== 'none') {
    const min = sorted[0] as number;
    let detail: string;
    const parameters: Record<string, number | string | null> = { min };
    if (opts.log === 'auto') {
      if (!column.skewed) {
        detail = 'not log-transformed: not a money, count or days column';
      } else {
        const skewness = sampleSkewness(sorted);
        parameters.skewness = skewness;
        if (min < 0) detail = `not log-transformed: column with negative values (min ${fmt(min)})`;
        else if (skewness > 1) {
          log = true;
          detail = `log1p applied to ${plural(m, 'value')}: skewness ${fmt(skewness)} > 1 and min ${fmt(min)} ≥ 0`;
        } else detail = `not log-transformed: skewness ${fmt(skewness)} ≤ 1`;
      }
    } else if (opts.log.has(key)) {
      if (min > -1) {
        log = true;
        detail = `log1p applied to ${plural(m, 'value')}: listed in options.log`;
      } else detail = `not log-transformed: listed in options.log, but min ${fmt(min)} ≤ −1 is outside log1p's domain`;
    } else {
      detail = 'not log-transformed: not listed in options.log';
    }
    if (log) {
      for (let i = 0; i < n; i++) work[i] = Math.log1p(work[i] as number);
      for (let i = 0; i < m; i++) sorted[i] = Math.log1p(sorted[i] as number);
    }
    bucket.log.push({ step: 'log', column: key, detail, count: log ? m : 0, parameters });
  }

  // Cap.
  let lowerFence: number | null = null;
  let upperFence: number | null = null;
  if (opts.method !== 'none') {
    const f = opts.factor;
    let how: string;
    const parameters: Record<string, number | string | null> = { method: opts.method, factor: f };
    if (opts.method === 'iqr') {
      const q1 = quantileSorted(sorted, 0.25);
      const q3 = quantileSorted(sorted, 0.75);
      const iqr = q3 - q1;
      lowerFence = q1 - f * iqr;
      upperFence = q3 + f * iqr;
      Object.assign(parameters, { q1, q3, iqr });
      how = `Tukey fences Q1 − ${f}·IQR, Q3 + ${f}·IQR with Q1 ${fmt(q1)}, Q3 ${fmt(q3)}, IQR ${fmt(iqr)}`;
    } else {
      const { mean, sd } = meanAndSd(sorted);
      lowerFence = mean - f * sd;
      upperFence = mean + f * sd;
      Object.assign(parameters, { mean, sd });
      how = `mean ${fmt(mean)} ± ${f}·sd ${fmt(sd)}`;
    }
    const lo = lowerFence;
    const hi = upperFence;
    let below = 0;
    let above = 0;
    for (let i = 0; i < n; i++) {
      const x = work[i] as number;
      if (x < lo) {
        work[i] = lo;
        below++;
      } else if (x > hi) {
        work[i] = hi;
        above++;
      }
    }
    Object.assign(parameters, { lowerFence: lo, upperFence: hi, below, above });
    let detail = `capped ${plural(below, 'value')} below ${fmt(lo)} and ${above} above ${fmt(hi)} (${how})`;
    if (log) {
      const rawLo = Math.expm1(lo);
      const rawHi = Math.expm1(hi);
      Object.assign(parameters, { lowerFenceOriginal: rawLo, upperFenceOriginal: rawHi });
      detail += `; in log1p units, i.e. ${fmt(rawLo)} and ${fmt(rawHi)} in original units`;
    }
    bucket.cap.push({ step: 'cap', column: key, detail, count: below + above, parameters });
  }

  // Scale, writing straight into the matrix column.
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = work[i] as number;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  let center = 0;
  let scale = 1;
  if (opts.scaling !== 'none') {
    let detail: string;
    const constant = min === max;
    if (constant) {
      center = min;
      detail = `constant column (every value is ${fmt(min)}): set to 0`;
    } else if (opts.scaling === 'zscore') {
      const { mean, sd } = meanAndSd(work);
      center = mean;
      scale = sd;
      detail = `standardized as (x − mean ${fmt(mean)}) / sd ${fmt(sd)} (population sd)`;
    } else {
      center = min;
      scale = max - min;
      detail = `rescaled to [0, 1] as (x − min ${fmt(min)}) / range ${fmt(scale)}`;
    }
    bucket.scale.push({
      step: 'scale',
      column: key,
      detail,
      count: m,
      parameters: { method: opts.scaling, center, scale, constant: constant ? 'yes' : 'no' },
    });
  }
  const { data, cols, col } = target;
  if (center === 0 && scale === 1) {
    for (let i = 0, p = col; i < n; i++, p += cols) data[p] = work[i] as number;
  } else {
    const inv = 1 / scale;
    for (let i = 0, p = col; i < n; i++, p += cols) data[p] = ((work[i] as number) - center) * inv;
  }
  // A constant column: every present value equals `center`, so (x − center) · 1 is exactly 0.

  return { key, column: key, median, lowerFence, upperFence, log, center, scale };
}

/**
 * The weight of a one-hot block, so that a categorical feature counts like one numeric feature.
 * - zscore: a z-scored numeric column has variance 1, so it adds 2 on average to the squared
 *   distance between two random people. The block's columns together have variance
 *   V = Σ p_j(1 − p_j) (p_j: the share of rows with a 1 in column j, missing rows counted as 0);
 *   scaling every column of the block by 1/√V gives the block variance 1: the same expected
 *   contribution as one numeric column, whatever the number of categories.
 * - minmax: a numeric column spans [0, 1], so two people are at most 1 apart in it; two people in
 *   different categories are √2 apart in 0/1 indicators, so the block is scaled by 1/√2.
 * - none: weight 1, the plain 0/1 indicators (preparation off means off).
 * A block with no spread (one category for everyone) keeps weight 1: it adds nothing either way.
 */
export function categoryWeight(data: Float64Array, rows: number, cols: number, first: number, width: number, scaling: ScalingMethod): { weight: number; blockVariance: number; detail: string } {
  let blockVariance = 0;
  for (let c = 0; c < width; c++) {
    let ones = 0;
    for (let i = 0, p = first + c; i < rows; i++, p += cols) ones += data[p]!;
    const share = rows > 0 ? ones / rows : 0;
    blockVariance += share * (1 - share);
  }
  if (scaling === 'none') return { weight: 1, blockVariance, detail: 'not weighted (scaling off): each indicator column is 0 or 1' };
  if (scaling === 'minmax') {
    return { weight: Math.SQRT1_2, blockVariance, detail: `weighted by 1/√2 (${fmt(Math.SQRT1_2)}): two people in different categories are as far apart as the two ends of a [0, 1] numeric column` };
  }
  if (!(blockVariance > 1e-12)) return { weight: 1, blockVariance, detail: 'not weighted: every row is in the same category' };
  const weight = 1 / Math.sqrt(blockVariance);
  return {
    weight,
    blockVariance,
    detail: `weighted by 1/√${fmt(blockVariance)} = ${fmt(weight)} (the block's variance Σ p(1 − p)), so the feature counts like one standardized numeric column (variance 1)`,
  };
}

/** Mean and population sd over the non-NaN values. */
function meanAndSd(values: Float64Array): { mean: number; sd: number } {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x === x) {
      sum += x;
      count++;
    }
  }
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x === x) ss += (x - mean) * (x - mean);
  }
  return { mean, sd: Math.sqrt(ss / count) };
}

export function prepareFeatures(table: FeatureTable, options: PreparationOverrides = {}): PreparedMatrix {
  const opts = resolveOptions(options);
  const n = table.rows;
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`prepareFeatures: rows must be an integer ≥ 0, got ${n}`);
  const keys = new Set<string>();
  for (const { key, values } of [...table.numeric, ...table.categorical]) {
    if (keys.has(key)) throw new RangeError(`prepareFeatures: duplicate column key "${key}"`);
    keys.add(key);
    if (values.length !== n) throw new RangeError(`prepareFeatures: column "${key}" has ${values.length} values, expected ${n}`);
  }
  if (typeof opts.log === 'object') {
    const numericKeys = new Set(table.numeric.map((c) => c.key));
    for (const key of opts.log) {
      if (!numericKeys.has(key)) throw new RangeError(`prepareFeatures: options.log lists "${key}", which is not a numeric column`);
    }
  }

  const emptyBucket = (): Record<Stage, PreparationStep[]> => ({ drop: [], impute: [], log: [], cap: [], scale: [], 'one-hot': [], weight: [] });
  // Numeric steps, then categorical steps, within each stage.
  const bucket = emptyBucket();
  const categoricalBucket = emptyBucket();

  const numeric = table.numeric.filter((column) => {
    if (hasValue(column.values)) return true;
    bucket.drop.push({ step: 'drop', column: column.key, detail: `dropped: all ${n} values are missing`, count: n });
    return false;
  });
  if (opts.log === 'none') bucket.log.push({ step: 'log', column: null, detail: 'log transform off', count: 0 });
  if (opts.method === 'none') bucket.cap.push({ step: 'cap', column: null, detail: 'outlier capping off', count: 0 });
  if (opts.scaling === 'none') bucket.scale.push({ step: 'scale', column: null, detail: 'scaling off', count: 0 });

  const plans: CategoricalPlan[] = [];
  for (const column of table.categorical) {
    const plan = planCategorical(column, opts, categoricalBucket);
    if (plan) plans.push(plan);
  }

  const columns = [...numeric.map((c) => c.key), ...plans.flatMap((p) => p.columns)];
  const cols = columns.length;
  const data = new Float64Array(n * cols);

  const fitted = numeric.map((column, col) => prepareNumeric(column, { data, cols, col }, opts, bucket));

  let base = numeric.length;
  for (const plan of plans) {
    const { values, index, otherIndex } = plan;
    const fill = opts.impute ? plan.mode : null;
    for (let i = 0, row = base; i < n; i++, row += cols) {
      const v = values[i] ?? fill;
      if (v === null) continue;
      data[row + (index.get(v) ?? otherIndex)] = 1;
    }
    const weighted = categoryWeight(data, n, cols, base, plan.columns.length, opts.scaling);
    if (weighted.weight !== 1) {
      for (let i = 0, row = base; i < n; i++, row += cols) {
        for (let c = 0; c < plan.columns.length; c++) data[row + c]! *= weighted.weight;
      }
    }
    categoricalBucket.weight.push({ step: 'weight', column: plan.key, detail: weighted.detail, count: plan.columns.length, parameters: { weight: weighted.weight, blockVariance: weighted.blockVariance } });
    base += plan.columns.length;
  }

  const steps = STAGE_ORDER.flatMap((stage) => [...bucket[stage], ...categoricalBucket[stage]]);
  return { matrix: createMatrix(n, cols, data), columns, steps, fitted };
}
