/**
 * Did the forecasts come true: the purchase models fitted on the history up to a past cutoff
 * (reference − the predictions' holdout), their per-customer forecasts for the window after it
 * (cutoff, reference] set against what each customer did in that window, by decile of prediction.
 *
 * The window and the cutoff fit are the predictions' own holdout check (predict/holdout.ts): the
 * same skip rules, the same BG/NBD fit, so the purchase total here is its holdout total. What this
 * adds is the per-customer view: does a high forecast pick out the people who bought?
 *
 * Customers are the people who had bought by the cutoff; someone whose first purchase came in the
 * window is not forecast by these models (the first-purchase propensity model covers them).
 * Purchases are purchase days, as the models count them. Memory: typed arrays over customers only.
 */
import type { PurchasesByProfile } from '../segmentation/features.js';
import { conditionalExpectedPurchases, distinctTriples, ModelFitError, probabilityAlive, type BgNbdParams } from '../segmentation/predict/bgnbd.js';
import { expectedAverageOrderValue, fitGammaGamma } from '../segmentation/predict/gamma-gamma.js';
import type { PredictionOutcome } from '../segmentation/predict/predict.js';
import { SeriesDivergedError } from '../segmentation/predict/special.js';
import { epochDay, MS_PER_DAY, repeatDaysBetween, summarizeCustomers, type CustomerSummary } from '../segmentation/predict/summary.js';
import { auc } from '../segmentation/propensity/evaluation.js';

export interface DecileComparison {
  /** 1 = the tenth with the highest forecasts. */
  decile: number;
  customers: number;
  /** Mean forecast in the decile. */
  predicted: number;
  /** Mean of what happened (for P(alive): the share who bought again). */
  actual: number;
}

/** One forecast (expected purchases, expected spend) set against what happened, customer by customer. */
export interface ForecastComparison {
  customers: number;
  deciles: DecileComparison[];
  total: { predicted: number; actual: number };
  /** Total predicted ÷ total actual; null when nothing happened. */
  ratio: number | null;
  /** Calibration: mean over the deciles of |mean predicted − mean actual|. */
  decileMeanAbsoluteError: number;
  /** Normalised Gini of the forecast ranking what happened (1 = perfect order, 0 = no better than chance); null when everyone did the same. */
  gini: number | null;
}

export interface AliveComparison {
  /** Repeat buyers at the cutoff: one-time buyers have P(alive) = 1 by construction, which ranks nothing. */
  customers: number;
  /** How many of them bought again in the window: the stand-in for "was still alive" (a customer can be alive and not buy). */
  boughtAgain: number;
  /** Chance that one who bought again had a higher P(alive) than one who did not (ties half); null without both. */
  auc: number | null;
  /** 2·AUC − 1; null with the AUC. */
  gini: number | null;
  deciles: DecileComparison[];
}

export interface ForecastAccuracy {
  status: 'measured';
  /** Last day of the history the models saw (purchases on it count as before). */
  cutoff: string;
  /** Last day of the window (the reference date). */
  end: string;
  windowDays: number;
  /** People who had bought by the cutoff. */
  customers: number;
  pAlive: AliveComparison;
  purchases: ForecastComparison;
  /** Expected spend in the window (expected purchases × the Gamma-Gamma order value fitted at the cutoff, undiscounted) vs actual spend. */
  spend: ForecastComparison | null;
  /** Why there is no spend comparison, when spend is null. */
  spendSkipped?: string;
}

export type ForecastAccuracyOutcome = { status: 'skipped'; reason: string } | ForecastAccuracy;

const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Forecast accuracy at the cutoff the run's predictions checked themselves at, reusing their
 * holdout fit; the predictions' own reason when they or their holdout check were skipped.
 */
export function forecastAccuracyOf(purchases: PurchasesByProfile, referenceMs: number, predictions: PredictionOutcome): ForecastAccuracyOutcome {
  if (predictions.status === 'skipped') return { status: 'skipped', reason: `no purchase models: ${predictions.reason}` };
  const holdout = predictions.holdout;
  if (!holdout) return { status: 'skipped', reason: predictions.holdoutSkipped ?? 'no holdout check was made.' };
  const unitDays = predictions.timeUnit === 'weeks' ? 7 : 1;
  const calibration = summarizeCustomers(purchases, referenceMs - holdout.holdoutDays * MS_PER_DAY, unitDays);
  try {
    return forecastAccuracy(purchases, calibration, referenceMs, holdout.params);
  } catch (error) {
    // A fit at an extreme whose expectations cannot be computed must not stop the segmentation (as in predict.ts).
    if (error instanceof SeriesDivergedError) return { status: 'skipped', reason: `the model fitted at ${holdout.calibrationEnd} is too extreme to compute forecasts from (${error.message}).` };
    throw error;
  }
}

/** `calibration` is the summary at the cutoff, `bgnbd` the model fitted on it; the window runs to `endMs`. */
export function forecastAccuracy(purchases: PurchasesByProfile, calibration: CustomerSummary, endMs: number, bgnbd: BgNbdParams): ForecastAccuracy {
  const n = calibration.row.length;
  const cutoffDay = calibration.endDay;
  const endDay = epochDay(endMs);
  const windowUnits = (endDay - cutoffDay) / calibration.unitDays;

  const boughtDays = repeatDaysBetween(purchases, calibration, cutoffDay, endDay);
  const spent = spendBetween(purchases, calibration, cutoffDay, endDay);
  // Both forecasts depend only on (x, t_x, T): computed once per distinct triple, as predict.ts does.
  const triples = distinctTriples(calibration);
  const expectedOf = new Float64Array(triples.x.length);
  const aliveOf = new Float64Array(triples.x.length);
  for (let k = 0; k < triples.x.length; k++) {
    expectedOf[k] = conditionalExpectedPurchases(bgnbd, windowUnits, triples.x[k]!, triples.tx[k]!, triples.T[k]!);
    aliveOf[k] = triples.x[k]! > 0 ? probabilityAlive(bgnbd, triples.x[k]!, triples.tx[k]!, triples.T[k]!) : 1;
  }
  const expected = new Float64Array(n);
  for (let c = 0; c < n; c++) expected[c] = expectedOf[triples.of[c]!]!;

  let repeatBuyers = 0;
  for (let c = 0; c < n; c++) if (calibration.x[c]! > 0) repeatBuyers++;
  const alive = new Float64Array(repeatBuyers);
  const cameBack = new Float64Array(repeatBuyers);
  for (let c = 0, k = 0; c < n; c++) {
    if (calibration.x[c]! === 0) continue;
    alive[k] = aliveOf[triples.of[c]!]!;
    cameBack[k] = boughtDays[c]! > 0 ? 1 : 0;
    k++;
  }
  const aliveAuc = finiteOrNull(auc(alive, Uint8Array.from(cameBack)));
  let boughtAgain = 0;
  for (const v of cameBack) boughtAgain += v;

  let spend: ForecastComparison | null = null;
  let spendSkipped: string | undefined;
  try {
    const fit = fitGammaGamma(calibration.x, calibration.zbar);
    if (fit.params.q <= 1) spendSkipped = `the spend model fitted at the cutoff has q = ${fit.params.q.toFixed(3)} (≤ 1): spend per purchase varies too wildly for a finite average.`;
    else {
      const expectedSpend = new Float64Array(n);
      for (let c = 0; c < n; c++) {
        expectedSpend[c] = expected[c]! * expectedAverageOrderValue(fit.params, calibration.x[c]!, calibration.zbar[c]!, calibration.firstSpend[c]!);
      }
      spend = compare(expectedSpend, spent);
    }
  } catch (error) {
    if (!(error instanceof ModelFitError)) throw error;
    spendSkipped = `the spend model could not be fitted at the cutoff: ${error.message}`;
  }

  return {
    status: 'measured',
    cutoff: isoDay(cutoffDay),
    end: isoDay(endDay),
    windowDays: endDay - cutoffDay,
    customers: n,
    pAlive: { customers: repeatBuyers, boughtAgain, auc: aliveAuc, gini: aliveAuc === null ? null : 2 * aliveAuc - 1, deciles: decileTable(alive, cameBack) },
    purchases: compare(expected, boughtDays),
    spend,
    ...(spendSkipped ? { spendSkipped } : {}),
  };
}

function compare(predicted: Float64Array, actual: Float64Array): ForecastComparison {
  // One sort of a million customers takes a second or so: the deciles and the Gini share it.
  const order = rankedByForecast(predicted);
  const deciles = decileTable(predicted, actual, order);
  let p = 0;
  let a = 0;
  for (let i = 0; i < predicted.length; i++) {
    p += predicted[i]!;
    a += actual[i]!;
  }
  const errors = deciles.map((d) => Math.abs(d.predicted - d.actual));
  return {
    customers: predicted.length,
    deciles,
    total: { predicted: p, actual: a },
    ratio: a > 0 ? p / a : null,
    decileMeanAbsoluteError: errors.length > 0 ? errors.reduce((s, e) => s + e, 0) / errors.length : 0,
    gini: finiteOrNull(giniOfOrder(predicted, actual, order) / giniOfOrder(actual, actual)),
  };
}

/** Row indices by forecast, highest first; equal forecasts keep their row order (a stable, deterministic split). */
function rankedByForecast(predicted: Float64Array): Uint32Array {
  const order = new Uint32Array(predicted.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => predicted[b]! - predicted[a]! || a - b);
}

/**
 * Ten groups as equal as possible by forecast, highest first (the k-th ranked customer is in
 * group ⌊10k/n⌋, as the propensity deciles are cut), each with its mean forecast and mean outcome.
 * Empty groups (fewer than ten customers) are left out.
 */
export function decileTable(predicted: Float64Array, actual: Float64Array, order = rankedByForecast(predicted)): DecileComparison[] {
  const n = predicted.length;
  const count = new Float64Array(10);
  const sumPredicted = new Float64Array(10);
  const sumActual = new Float64Array(10);
  for (let k = 0; k < n; k++) {
    const g = Math.floor((10 * k) / n);
    const i = order[k]!;
    count[g]!++;
    sumPredicted[g]! += predicted[i]!;
    sumActual[g]! += actual[i]!;
  }
  const out: DecileComparison[] = [];
  for (let g = 0; g < 10; g++) {
    if (count[g]! > 0) out.push({ decile: g + 1, customers: count[g]!, predicted: sumPredicted[g]! / count[g]!, actual: sumActual[g]! / count[g]! });
  }
  return out;
}

/**
 * Normalised Gini: the area between the cumulative-share-of-actual curve (customers taken by
 * forecast, highest first) and the diagonal, divided by the same for the perfect order (by actual).
 * Customers with equal forecasts are taken together (the curve is straight across them: the mean
 * over their possible orders), so the row order of ties does not move the result. NaN when every
 * actual is 0.
 */
export function normalizedGini(predicted: Float64Array, actual: Float64Array): number {
  return giniOfOrder(predicted, actual) / giniOfOrder(actual, actual);
}

function giniOfOrder(ranking: Float64Array, actual: Float64Array, order?: Uint32Array): number {
  const n = ranking.length;
  let total = 0;
  for (const v of actual) total += v;
  if (n === 0 || total <= 0) return Number.NaN;
  order ??= rankedByForecast(ranking);
  let area = 0;
  let before = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    let group = 0;
    while (end < n && ranking[order[end]!] === ranking[order[start]!]) group += actual[order[end++]!]!;
    const after = before + group;
    area += ((end - start) / n) * ((before + after) / 2 / total);
    before = after;
    start = end;
  }
  return 2 * area - 1;
}

/** Each customer's spend on purchases in (fromDay, toDay]. */
function spendBetween(purchases: PurchasesByProfile, summary: CustomerSummary, fromDay: number, toDay: number): Float64Array {
  const out = new Float64Array(summary.row.length);
  for (let c = 0; c < summary.row.length; c++) {
    const i = summary.row[c]!;
    let sum = 0;
    for (let j = purchases.offsets[i]!; j < purchases.offsets[i + 1]!; j++) {
      const day = epochDay(purchases.atMs[j]!);
      if (day > toDay) break;
      if (day > fromDay) sum += purchases.amount[j]!;
    }
    out[c] = sum;
  }
  return out;
}
