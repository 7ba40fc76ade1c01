/**
 * Predictions for every customer, as of the reference date: BG/NBD for who is alive and how much
 * they will buy, Gamma-Gamma for what a purchase is worth, CLV from both. Refuses (with a reason)
 * rather than produce numbers the history cannot support.
 */
import type { PurchasesByProfile } from '../features.js';
import { conditionalExpectedPurchases, distinctTriples, fitBgNbd, medianTimeToNextPurchase, ModelFitError, probabilityAlive, type BgNbdParams } from './bgnbd.js';
import { expectedAverageOrderValue, fitGammaGamma, spendFrequencyCorrelation, type GammaGammaParams } from './gamma-gamma.js';
import { discountedExpectedPurchases } from './clv.js';
import { holdoutCheck, type HoldoutCheck } from './holdout.js';
import { MS_PER_DAY, summarizeCustomers, type CustomerSummary } from './summary.js';
import { unitDaysOf, type PredictionSettings } from './settings.js';

export const EXPECTED_PURCHASES_DAYS = 90;
/** A holdout shorter than this many days says nothing about the model. */
const MIN_HOLDOUT_DAYS = 28;

/** Per profile row; NaN for profiles with no purchase (prospects) or when a model was not fitted. */
export interface PredictionColumns {
  pAlive: Float64Array;
  expectedPurchases90d: Float64Array;
  expectedOrderValue: Float64Array;
  clv: Float64Array;
  /** Median days from the reference date to the next purchase, if the customer is still active. */
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
  let firstDay = Number.POSITIVE_INFINITY;
  for (const d of summary.firstDay) firstDay = Math.min(firstDay, d);
  const days = summary.endDay - firstDay;
  if (days < settings.minHistoryDays) {
    return `${what} spans ${days} days of purchases (from ${new Date(firstDay * MS_PER_DAY).toISOString().slice(0, 10)}); ` +
      `predictions need at least ${settings.minHistoryDays} (${SETTING}.minHistoryDays).`;
  }
  let repeat = 0;
  for (const x of summary.x) if (x > 0) repeat++;
  if (repeat < settings.minRepeatBuyers) {
    return `${what} has ${repeat} customers who bought on more than one day; predictions need at least ${settings.minRepeatBuyers} ` +
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
  const { params } = bgnbd;
  const warnings: string[] = [];

  const correlation = spendFrequencyCorrelation(summary.x, summary.zbar);
  let gammaGamma: FittedPredictions['gammaGamma'] = null;
  let gammaGammaSkipped: string | undefined;
  try {
    const fit = fitGammaGamma(summary.x, summary.zbar);
    if (fit.params.q <= 1) gammaGammaSkipped = `the spend model's q is ${fit.params.q.toFixed(3)} (≤ 1): spend per purchase varies too wildly for a finite average, so there is no CLV.`;
    else gammaGamma = fit;
  } catch (error) {
    if (!(error instanceof ModelFitError)) throw error;
    gammaGammaSkipped = error.message;
  }
  if (Number.isFinite(correlation) && Math.abs(correlation) > settings.spendCorrelationWarning) {
    warnings.push(
      `spend per purchase and number of purchases are correlated (r = ${correlation.toFixed(2)}, above ${settings.spendCorrelationWarning}); ` +
        'the Gamma-Gamma spend model assumes they are not, so treat expected order values and CLV with caution.',
    );
  }

  // Every prediction depends only on (x, t_x, T): compute once per distinct triple.
  const t90 = EXPECTED_PURCHASES_DAYS / unitDays;
  const clvOptions = { horizonMonths: settings.horizonMonths, monthlyDiscountRate: settings.monthlyDiscountRate, unitDays };
  const n = triples.x.length;
  const alive = new Float64Array(n);
  const purchases90 = new Float64Array(n);
  const discounted = new Float64Array(n);
  const nextDays = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = triples.x[k]!;
    const tx = triples.tx[k]!;
    const T = triples.T[k]!;
    alive[k] = probabilityAlive(params, x, tx, T);
    purchases90[k] = conditionalExpectedPurchases(params, t90, x, tx, T);
    discounted[k] = gammaGamma ? discountedExpectedPurchases(params, x, tx, T, clvOptions) : Number.NaN;
    nextDays[k] = medianTimeToNextPurchase(params, x, T) * unitDays;
  }
  const rows = purchases.offsets.length - 1;
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
      const aov = expectedAverageOrderValue(gammaGamma.params, summary.x[c]!, summary.zbar[c]!);
      columns.expectedOrderValue[i] = aov;
      columns.clv[i] = aov * discounted[k]!;
    }
  }

  let holdout: HoldoutCheck | null = null;
  let holdoutSkipped: string | undefined;
  let firstDay = Number.POSITIVE_INFINITY;
  for (const d of summary.firstDay) firstDay = Math.min(firstDay, d);
  const historyDays = summary.endDay - firstDay;
  const holdoutDays = settings.holdoutDays === 'auto' ? Math.floor(historyDays / 3) : settings.holdoutDays;
  if (holdoutDays < MIN_HOLDOUT_DAYS || holdoutDays >= historyDays) {
    holdoutSkipped = `the history (${historyDays} days) is too short to hold out ${holdoutDays} days for a model check (at least ${MIN_HOLDOUT_DAYS}, and less than the history).`;
  } else {
    const calibration = summarizeCustomers(purchases, referenceMs - holdoutDays * MS_PER_DAY, unitDays);
    const reason = historyShortfall(calibration, settings, `the history before the ${holdoutDays}-day holdout`);
    if (reason) holdoutSkipped = reason;
    else {
      try {
        holdout = holdoutCheck(purchases, calibration, referenceMs);
      } catch (error) {
        if (!(error instanceof ModelFitError)) throw error;
        holdoutSkipped = error.message;
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

