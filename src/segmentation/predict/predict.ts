/**
 * Predictions for every customer, as of the reference date: BG/NBD for who is alive and how much
 * they will buy, Gamma-Gamma for what a purchase is worth, CLV from both. Refuses (with a reason)
 * rather than produce numbers the history cannot support.
 */
import type { FeatureSet, PurchasesByProfile } from '../features.js';
import { conditionalExpectedPurchases, distinctTriples, fitBgNbd, medianTimeToNextPurchase, ModelFitError, probabilityAlive, type BgNbdParams, type SummaryTriples } from './bgnbd.js';
import { SeriesDivergedError } from './special.js';
import { expectedAverageOrderValue, fitGammaGamma, spendFrequencyCorrelation, type GammaGammaParams } from './gamma-gamma.js';
import { DAYS_PER_MONTH, discountedExpectedPurchases } from './clv.js';
import { holdoutCheck, type HoldoutCheck } from './holdout.js';
import { earliestFirstDay, MS_PER_DAY, summarizeCustomers, type CustomerSummary } from './summary.js';
import { unitDaysOf, type PredictionSettings } from './settings.js';
import { plural } from '../../domain/text.js';

export const EXPECTED_PURCHASES_DAYS = 90;
/** A holdout shorter than this many days says nothing about the model. */
const MIN_HOLDOUT_DAYS = 28;

/** Per profile row; NaN for profiles with no purchase (prospects) or when a model was not fitted. */
export interface PredictionColumns {
  /** NaN for one-time buyers too: BG/NBD gives them 1 by construction (no repeat purchase, so no chance yet to have seen them leave), which reads as "certainly active". */
  pAlive: Float64Array;
  expectedPurchases90d: Float64Array;
  expectedOrderValue: Float64Array;
  clv: Float64Array;
  /** Median days from the reference date to the next purchase, if the customer is still active; NaN beyond the CLV horizon. */
  daysToNextPurchase: Float64Array;
}

export interface FittedPredictions {
  status: 'fitted';
  timeUnit: PredictionSettings['timeUnit'];
  horizonMonths: number;
  monthlyDiscountRate: number;
  historyDays: number;
  bgnbd: { params: BgNbdParams; logLikelihood: number; customers: number; repeatBuyers: number };
  gammaGamma: { params: GammaGammaParams; logLikelihood: number; customers: number } | null;
  /** Why there is no spend model (and so no CLV), when gammaGamma is null. */
  gammaGammaSkipped?: string;
  spendFrequencyCorrelation: number | null;
  warnings: string[];
  holdout: HoldoutCheck | null;
  holdoutSkipped?: string;
  columns: PredictionColumns;
}

export type PredictionOutcome = { status: 'skipped'; reason: string } | FittedPredictions;

const SETTING = 'segmentation.predictions';

/** Why this summary cannot carry a fit, or null when it can. */
function historyShortfall(summary: CustomerSummary, settings: PredictionSettings, what: string): string | null {
  if (summary.row.length === 0) return `${what} has no purchases yet.`;
  const firstDay = earliestFirstDay(summary);
  const days = summary.endDay - firstDay;
  if (days < settings.minHistoryDays) {
    return `${what} spans ${days} days of purchases (from ${new Date(firstDay * MS_PER_DAY).toISOString().slice(0, 10)}); ` +
      `predictions need at least ${settings.minHistoryDays} (${SETTING}.minHistoryDays).`;
  }
  let repeat = 0;
  for (const x of summary.x) if (x > 0) repeat++;
  if (repeat < settings.minRepeatBuyers) {
    return `${what} has ${plural(repeat, 'customer')} who bought on more than one day; predictions need at least ${settings.minRepeatBuyers} ` +
      `(${SETTING}.minRepeatBuyers) to estimate how often people come back.`;
  }
  return null;
}

export function predictCustomers(purchases: PurchasesByProfile, referenceMs: number, settings: PredictionSettings): PredictionOutcome {
  if (!settings.enabled) return { status: 'skipped', reason: `switched off (${SETTING}.enabled: false).` };
  const unitDays = unitDaysOf(settings);
  const summary = summarizeCustomers(purchases, referenceMs, unitDays);
  const shortfall = historyShortfall(summary, settings, 'the history');
  if (shortfall) return { status: 'skipped', reason: shortfall };
  const triples = distinctTriples(summary);
  let bgnbd;
  try {
    bgnbd = fitBgNbd(triples);
  } catch (error) {
    if (error instanceof ModelFitError) return { status: 'skipped', reason: error.message };
    throw error;
  }
  try {
    return fittedPredictions(purchases, referenceMs, settings, summary, triples, bgnbd);
  } catch (error) {
    // Expectations that cannot be computed (a fit at an extreme, e.g. α near 0) must not stop the segmentation.
    if (error instanceof SeriesDivergedError) {
      return { status: 'skipped', reason: `the fitted model (r=${bgnbd.params.r.toPrecision(3)}, α=${bgnbd.params.alpha.toPrecision(3)}, a=${bgnbd.params.a.toPrecision(3)}, b=${bgnbd.params.b.toPrecision(3)}) is too extreme to compute expectations from (${error.message}); check the purchase dates, or try ${SETTING}.timeUnit: days.` };
    }
    throw error;
  }
}

function fittedPredictions(
  purchases: PurchasesByProfile,
  referenceMs: number,
  settings: PredictionSettings,
  summary: CustomerSummary,
  triples: SummaryTriples,
  bgnbd: ReturnType<typeof fitBgNbd>,
): FittedPredictions {
  const unitDays = summary.unitDays;
  const { params } = bgnbd;
  const warnings: string[] = [];
  if (bgnbd.atBound.length > 0) {
    warnings.push(
      `BG/NBD's ${bgnbd.atBound.join(' and ')} reached the edge of the search (10^±6): ` +
        (bgnbd.atBound.includes('a+b')
          ? `customers show no measurable difference in how likely they are to drop out, so everyone gets the same drop-out chance after a purchase (${((params.a / (params.a + params.b)) * 100).toFixed(1)}%).`
          : 'the estimate is unreliable; check the purchase dates.'),
    );
  }

  const correlation = spendFrequencyCorrelation(summary.x, summary.zbar);
  let gammaGamma: FittedPredictions['gammaGamma'] = null;
  let gammaGammaSkipped: string | undefined;
  try {
    const fit = fitGammaGamma(summary.x, summary.zbar);
    if (fit.atBound.length > 0) {
      warnings.push(`Gamma-Gamma's ${fit.atBound.join(' and ')} reached the edge of the search (10^±6)` +
        (fit.atBound.includes('p') ? ': each customer spends almost the same on every purchase, so their own average is taken as it is.' : '; treat expected order values with caution.'));
    }
    if (fit.params.q > 1 && fit.params.q < 2) {
      const mean = (fit.params.p * fit.params.gamma) / (fit.params.q - 1);
      warnings.push(`the spend model's q is ${fit.params.q.toFixed(2)} (below 2): spend per purchase differs so much between customers that its average, ${mean.toFixed(2)}, ` +
        "is dominated by a few big spenders; expected order values lean almost entirely on each customer's own purchases.");
    }
    if (fit.params.q <= 1) gammaGammaSkipped = `the spend model's q is ${fit.params.q.toFixed(3)} (≤ 1): spend per purchase varies too wildly for a finite average, so there is no CLV.`;
    else gammaGamma = fit;
  } catch (error) {
    if (!(error instanceof ModelFitError)) throw error;
    gammaGammaSkipped = `${error.message} Predictions other than order values and CLV are unaffected.`;
  }
  if (Number.isFinite(correlation) && Math.abs(correlation) > settings.spendCorrelationWarning) {
    warnings.push(
      `spend per purchase and number of purchases are correlated (r = ${correlation.toFixed(2)}, above ${settings.spendCorrelationWarning}); ` +
        'the Gamma-Gamma spend model assumes they are not, so treat expected order values and CLV with caution.',
    );
  }

  const columns = scoreCustomers(params, gammaGamma?.params ?? null, summary, triples, purchases.offsets.length - 1, settings);

  let holdout: HoldoutCheck | null = null;
  let holdoutSkipped: string | undefined;
  const historyDays = summary.endDay - earliestFirstDay(summary);
  const holdoutDays = settings.holdoutDays === 'auto' ? Math.floor(historyDays / 3) : settings.holdoutDays;
  if (holdoutDays < MIN_HOLDOUT_DAYS || holdoutDays >= historyDays) {
    holdoutSkipped = `the history (${historyDays} days) is too short to hold out ${holdoutDays} days for a model check (at least ${MIN_HOLDOUT_DAYS}, and less than the history; ${SETTING}.holdoutDays).`;
  } else {
    const calibration = summarizeCustomers(purchases, referenceMs - holdoutDays * MS_PER_DAY, unitDays);
    const reason = historyShortfall(calibration, settings, `the history before the ${holdoutDays}-day holdout`);
    if (reason) holdoutSkipped = reason;
    else {
      try {
        holdout = holdoutCheck(purchases, calibration, referenceMs);
      } catch (error) {
        if (!(error instanceof ModelFitError || error instanceof SeriesDivergedError)) throw error;
        holdoutSkipped = `the model refitted before the ${holdoutDays}-day holdout: ${error.message}`;
      }
    }
  }

  return {
    status: 'fitted',
    timeUnit: settings.timeUnit,
    horizonMonths: settings.horizonMonths,
    monthlyDiscountRate: settings.monthlyDiscountRate,
    historyDays,
    bgnbd: { params, logLikelihood: bgnbd.logLikelihood, customers: bgnbd.customers, repeatBuyers: bgnbd.repeatBuyers },
    gammaGamma,
    ...(gammaGammaSkipped ? { gammaGammaSkipped } : {}),
    spendFrequencyCorrelation: Number.isFinite(correlation) ? correlation : null,
    warnings,
    holdout,
    ...(holdoutSkipped ? { holdoutSkipped } : {}),
    columns,
  };
}


/**
 * Every customer's predictions from the fitted models, as columns over `rows` profile rows. Each
 * depends only on (x, t_x, T), so it is computed once per distinct triple; the expected order
 * value (and so CLV) needs the customer's own spend. `gammaGamma` null: no order value, no CLV.
 */
export function scoreCustomers(
  params: BgNbdParams,
  gammaGamma: GammaGammaParams | null,
  summary: CustomerSummary,
  triples: SummaryTriples,
  rows: number,
  settings: Pick<PredictionSettings, 'horizonMonths' | 'monthlyDiscountRate'>,
): PredictionColumns {
  const unitDays = summary.unitDays;
  const t90 = EXPECTED_PURCHASES_DAYS / unitDays;
  const clvOptions = { horizonMonths: settings.horizonMonths, monthlyDiscountRate: settings.monthlyDiscountRate, unitDays };
  const horizonDays = settings.horizonMonths * DAYS_PER_MONTH;
  const n = triples.x.length;
  const alive = new Float64Array(n);
  const purchases90 = new Float64Array(n);
  const discounted = new Float64Array(n);
  const nextDays = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = triples.x[k]!;
    const tx = triples.tx[k]!;
    const T = triples.T[k]!;
    alive[k] = x > 0 ? probabilityAlive(params, x, tx, T) : Number.NaN;
    purchases90[k] = conditionalExpectedPurchases(params, t90, x, tx, T);
    discounted[k] = gammaGamma ? discountedExpectedPurchases(params, x, tx, T, clvOptions) : Number.NaN;
    // With a small r a one-time buyer's median wait runs to millions of days: beyond the horizon it is "not expected", not a date.
    const next = medianTimeToNextPurchase(params, x, T) * unitDays;
    nextDays[k] = next <= horizonDays ? next : Number.NaN;
  }
  const columns: PredictionColumns = {
    pAlive: new Float64Array(rows).fill(Number.NaN),
    expectedPurchases90d: new Float64Array(rows).fill(Number.NaN),
    expectedOrderValue: new Float64Array(rows).fill(Number.NaN),
    clv: new Float64Array(rows).fill(Number.NaN),
    daysToNextPurchase: new Float64Array(rows).fill(Number.NaN),
  };
  for (let c = 0; c < summary.row.length; c++) {
    const i = summary.row[c]!;
    const k = triples.of[c]!;
    columns.pAlive[i] = alive[k]!;
    columns.expectedPurchases90d[i] = purchases90[k]!;
    columns.daysToNextPurchase[i] = nextDays[k]!;
    if (gammaGamma) {
      const aov = expectedAverageOrderValue(gammaGamma, summary.x[c]!, summary.zbar[c]!, summary.firstSpend[c]!);
      columns.expectedOrderValue[i] = aov;
      columns.clv[i] = aov * discounted[k]!;
    }
  }
  return columns;
}

/** Writes the predictions into the feature columns (rules, personas, explain and export read them there). */
export function applyPredictions(features: FeatureSet, outcome: PredictionOutcome): void {
  if (outcome.status !== 'fitted') return;
  const { columns } = outcome;
  const { numbers, dates } = features;
  for (let i = 0; i < features.rows; i++) {
    if (Number.isNaN(columns.expectedPurchases90d[i]!)) continue; // not a customer
    const alive = columns.pAlive[i]!;
    numbers.pAlive[i] = alive;
    numbers.churnRisk[i] = 1 - alive;
    numbers.expectedPurchases90d[i] = columns.expectedPurchases90d[i]!;
    numbers.expectedOrderValue[i] = columns.expectedOrderValue[i]!;
    numbers.clv[i] = columns.clv[i]!;
    numbers.daysToNextPurchase[i] = columns.daysToNextPurchase[i]!;
    dates.nextPurchaseAt[i] = features.referenceMs + columns.daysToNextPurchase[i]! * MS_PER_DAY;
  }
}

/** The prediction tokens, empty when predictions are off or skipped (so switching them off clears the platforms). */
export const PREDICTION_TOKEN_KEYS = ['clv', 'p_alive', 'expected_purchases_90d', 'next_purchase_date'] as const;

export function emptyPredictionTokens(): Record<string, string> {
  return Object.fromEntries(PREDICTION_TOKEN_KEYS.map((k) => [k, '']));
}

/**
 * One profile's prediction tokens, rounded to what a marketer reads off a forecast, so that the
 * models' drift (a day passing, a refit after a few new orders moves every estimate by a fraction
 * of a percent) does not rewrite every contact on every run:
 * - CLV to two significant digits in whole currency units (1,272 → 1,300; 473 → 470; 8.4 → 8),
 *   as the persona summary shows money: a 12-month forecast is not known to the unit (to the unit,
 *   5 new orders rewrote more than half the contacts, e.g. 375 → 376);
 * - expected purchases in 90 days to 1 decimal (4.7), the precision of a count forecast;
 * - P(alive) to 2 decimals (a whole percent; still 0-1, as the platforms' fields were made);
 * - the next purchase to the Monday of its week (the median wait grows a little every day without
 *   a purchase).
 * No value is held back once its rounding changes: these describe one person, and a change past a
 * rounding edge is real. Empty where the feature is missing: prospects; P(alive) of one-time
 * buyers; a next purchase not expected within the CLV horizon.
 */
export function predictionTokens(features: FeatureSet, i: number): Record<string, string> {
  const n = features.numbers;
  const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '');
  return {
    clv: forecastMoney(n.clv[i]!),
    p_alive: fixed(n.pAlive[i]!, 2),
    expected_purchases_90d: fixed(n.expectedPurchases90d[i]!, 1),
    next_purchase_date: weekOf(features.dates.nextPurchaseAt[i]!),
  };
}

/** Two significant digits, in whole currency units: 1,272 → "1300", 473 → "470", 8.4 → "8"; empty for NaN. */
export function forecastMoney(value: number): string {
  if (!Number.isFinite(value)) return '';
  return Math.round(Number(value.toPrecision(2))).toFixed(0);
}

/** The Monday (UTC) of the week holding `ms`, as YYYY-MM-DD; empty for NaN. */
export function weekOf(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const day = Math.floor(ms / MS_PER_DAY);
  const monday = day - ((day + 3) % 7); // 1970-01-01 was a Thursday
  return new Date(monday * MS_PER_DAY).toISOString().slice(0, 10);
}
