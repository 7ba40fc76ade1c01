/**
 * Did the forecasts come true: on purchases drawn from the BG/NBD and Gamma-Gamma processes
 * themselves (so the models are right and only chance separates forecast from outcome), and on
 * CDNOW at the paper's 39 + 39-week split.
 */
import { describe, expect, it } from 'vitest';
import { decileTable, forecastAccuracy, forecastAccuracyOf, normalizedGini, type ForecastAccuracy } from '../../src/measure/forecast-accuracy.js';
import { forecastAccuracyRecord, forecastAccuracySummary } from '../../src/pipeline/forecast-accuracy-record.js';
import { groupPurchases, type PurchasesByProfile } from '../../src/segmentation/features.js';
import { holdoutCheck } from '../../src/segmentation/predict/holdout.js';
import { predictCustomers } from '../../src/segmentation/predict/predict.js';
import { PredictionSettingsSchema } from '../../src/segmentation/predict/settings.js';
import { MS_PER_DAY, summarizeCustomers } from '../../src/segmentation/predict/summary.js';
import { betaVariate, gammaVariate, seededRandom } from '../../src/segmentation/random.js';
import { CDNOW_CALIBRATION_END, CDNOW_END, loadCdnowSample } from '../helpers/cdnow.js';

const START = Date.UTC(2024, 0, 1);

/**
 * `customers` people, first purchase on a day in the first 12 weeks; then purchases at the
 * arrivals of a Poisson process (rate λ ~ Gamma(r = 0.8, α = 6) a week), and after each repeat
 * purchase the customer leaves for good with probability p ~ Beta(a = 1.2, b = 4). Each purchase
 * is worth z ~ Gamma(4, ν), ν ~ Gamma(5, 20) per customer (mean 20).
 */
function simulate(customers: number, days: number, seed: number): PurchasesByProfile {
  const random = seededRandom(seed);
  const profileIndex: number[] = [];
  const occurredAtMs: number[] = [];
  const amount: number[] = [];
  for (let c = 0; c < customers; c++) {
    const lambda = gammaVariate(random, 0.8, 6);
    const p = betaVariate(random, 1.2, 4);
    const nu = gammaVariate(random, 5, 20);
    const firstDay = Math.floor(random() * 84);
    let weeks = 0;
    const buy = () => {
      profileIndex.push(c);
      occurredAtMs.push(START + Math.floor(firstDay + weeks * 7) * MS_PER_DAY);
      amount.push(gammaVariate(random, 4, nu));
    };
    buy();
    for (;;) {
      weeks += -Math.log(1 - random()) / lambda;
      if (firstDay + weeks * 7 >= days) break;
      buy();
      if (random() < p) break;
    }
  }
  const end = START + days * MS_PER_DAY;
  return groupPurchases(customers, { profileIndex: Int32Array.from(profileIndex), occurredAtMs: Float64Array.from(occurredAtMs), amount: Float64Array.from(amount) }, end);
}

// 78 weeks of history; the models see the first 52, the last 26 (182 days) are what happened.
const HISTORY_DAYS = 546;
const REFERENCE = START + (HISTORY_DAYS - 1) * MS_PER_DAY;
const SETTINGS = PredictionSettingsSchema.parse({ holdoutDays: 182 });

describe('forecast accuracy on customers drawn from the models themselves (4,000 customers, seed 5)', () => {
  const purchases = simulate(4000, HISTORY_DAYS, 5);
  const predictions = predictCustomers(purchases, REFERENCE, SETTINGS);
  const outcome = forecastAccuracyOf(purchases, REFERENCE, predictions);
  const measured = (): ForecastAccuracy => {
    if (outcome.status !== 'measured') throw new Error(`not measured: ${outcome.reason}`);
    return outcome;
  };

  it('measures at reference − the holdout: cutoff, window and the customers who had bought by then', () => {
    const m = measured();
    expect(m.windowDays).toBe(182);
    expect(m.end).toBe(new Date(REFERENCE).toISOString().slice(0, 10));
    expect(m.cutoff).toBe(new Date(REFERENCE - 182 * MS_PER_DAY).toISOString().slice(0, 10));
    expect(m.customers).toBe(4000); // everyone's first purchase is in the first 12 weeks
    expect(m.purchases.deciles.map((d) => d.customers)).toEqual(new Array(10).fill(400));
  });

  it('P(alive) at the cutoff ranks who bought again well above chance, and its deciles are calibrated', () => {
    const { pAlive } = measured();
    expect(pAlive.auc).toBeGreaterThan(0.75);
    expect(pAlive.gini).toBeCloseTo(2 * pAlive.auc! - 1, 12);
    // Bought again ⊂ alive: in each tenth the share who bought is at most P(alive) (plus chance:
    // 3 standard errors of a share among ~200 repeat buyers, √(0.25/200) ≈ 0.035, so 0.11).
    for (const d of pAlive.deciles) expect(d.actual).toBeLessThan(d.predicted + 0.11);
    expect(pAlive.deciles[0]!.actual).toBeGreaterThan(pAlive.deciles.at(-1)!.actual + 0.3);
  });

  it('expected purchases in the window: decile means agree with what happened, totals within 5%', () => {
    const { purchases: p } = measured();
    // Tolerance per decile: 3 standard errors of a mean of 400 overdispersed counts (sd ≈ 1.5 × √mean
    // within a tenth, so 3 × 1.5 × √(mean / 400) ≈ 0.2 × √mean), plus 0.05 for the fitted (not the true) parameters.
    for (const d of p.deciles) expect(Math.abs(d.predicted - d.actual), `decile ${d.decile}`).toBeLessThan(0.2 * Math.sqrt(d.actual) + 0.05);
    expect(Math.abs(p.ratio! - 1)).toBeLessThan(0.05);
    expect(p.decileMeanAbsoluteError).toBeLessThan(0.1);
    // The ranking: the top tenth buys most, the bottom least, and the order is far better than chance.
    expect(p.deciles[0]!.actual).toBeGreaterThan(5 * p.deciles[9]!.actual);
    expect(p.gini).toBeGreaterThan(0.5);
  });

  it('expected spend in the window (undiscounted) agrees with actual spend: totals within 8%, top decile above the rest', () => {
    const { spend } = measured();
    expect(spend).not.toBeNull();
    // Spend adds a second model and each purchase's own variation (z ~ Gamma(4, ν): cv 50%).
    expect(Math.abs(spend!.ratio! - 1)).toBeLessThan(0.08);
    expect(spend!.deciles[0]!.actual).toBeGreaterThan(spend!.deciles[1]!.actual);
    expect(spend!.gini).toBeGreaterThan(0.5);
    for (const d of spend!.deciles) expect(Math.abs(d.predicted - d.actual), `decile ${d.decile}`).toBeLessThan(0.25 * d.actual + 2);
  });
});

describe('forecast accuracy skips with the predictions’ own reason', () => {
  it('says the history before the holdout is too short', () => {
    const purchases = simulate(600, 120, 9);
    const reference = START + 119 * MS_PER_DAY;
    const outcome = forecastAccuracyOf(purchases, reference, predictCustomers(purchases, reference, PredictionSettingsSchema.parse({ holdoutDays: 60, minRepeatBuyers: 10 })));
    expect(outcome).toEqual({ status: 'skipped', reason: expect.stringMatching(/^the history before the 60-day holdout spans \d+ days of purchases .*minHistoryDays/) });
  });

  it('says why when there are no purchase models at all', () => {
    const purchases = simulate(30, 400, 9);
    const reference = START + 399 * MS_PER_DAY;
    const outcome = forecastAccuracyOf(purchases, reference, predictCustomers(purchases, reference, SETTINGS));
    expect(outcome).toEqual({ status: 'skipped', reason: expect.stringMatching(/^no purchase models: the history has \d+ customers? who bought on more than one day/) });
  });
});

describe('decile table and normalised Gini', () => {
  it('cuts equal tenths, highest forecast first, equal forecasts in row order', () => {
    const predicted = Float64Array.from([1, 5, 5, 2, 9, 0, 3, 3, 7, 4, 6, 8]);
    const actual = Float64Array.from([0, 1, 2, 0, 1, 0, 0, 1, 1, 0, 0, 1]);
    const table = decileTable(predicted, actual);
    // The k-th of 12 goes to tenth ⌊10k/12⌋: sizes 2,1,1,1,1,2,1,1,1,1.
    expect(table.map((d) => d.customers)).toEqual([2, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
    // Ranked: 9,8 | 7 | 6 | 5 (row 1) | 5 (row 2) | 4, 3 (row 6) | 3 (row 7) | 2 | 1 | 0.
    expect(table.map((d) => d.predicted)).toEqual([8.5, 7, 6, 5, 5, 3.5, 3, 2, 1, 0]);
    // Rows 1 and 2 (both 5) bought 1 and 2; rows 6 and 7 (both 3) bought 0 and 1: each lands by its row.
    expect(table.map((d) => d.actual)).toEqual([1, 1, 0, 1, 2, 0, 1, 0, 0, 0]);
  });

  it('is 1 for the perfect order, −1 for the reverse, 0 when the forecast is the same for everyone', () => {
    const actual = Float64Array.from([3, 0, 1, 0, 2]);
    expect(normalizedGini(Float64Array.from([9, 1, 5, 0, 7]), actual)).toBeCloseTo(1, 12);
    expect(normalizedGini(Float64Array.from([1, 9, 5, 7, 3]), actual)).toBeCloseTo(-1, 12);
    expect(normalizedGini(new Float64Array(5).fill(2), actual)).toBeCloseTo(0, 12);
    expect(normalizedGini(Float64Array.from([1, 2, 3]), new Float64Array(3))).toBeNaN();
  });
});

describe('forecast accuracy on CDNOW (39 weeks calibration, 39 weeks holdout)', () => {
  const sample = loadCdnowSample();
  const calibration = summarizeCustomers(sample.purchases, CDNOW_CALIBRATION_END, 7);
  const check = holdoutCheck(sample.purchases, calibration, CDNOW_END);
  const m = forecastAccuracy(sample.purchases, calibration, CDNOW_END, check.params);

  it('reproduces the holdout check’s totals: 1,882 repeat purchases happened, the same number expected', () => {
    expect(m.cutoff).toBe('1997-09-30');
    expect(m.windowDays).toBe(273);
    expect(m.customers).toBe(2357);
    expect(m.purchases.total.actual).toBe(1882);
    expect(m.purchases.total.actual).toBe(check.holdoutTotal.actual);
    expect(m.purchases.total.predicted).toBeCloseTo(check.holdoutTotal.expected, 6);
    expect(m.purchases.ratio).toBeCloseTo(check.holdoutTotal.expected / 1882, 12);
  });

  it('ranks well: actual purchases fall from the top tenth to the bottom one, and P(alive) beats chance', () => {
    const actual = m.purchases.deciles.map((d) => d.actual);
    // Monotone over the top half, where forecasts differ most; the bottom half are mostly
    // one-time buyers from early on, all close to 0 (ties in the forecast, so no strict order there).
    for (let d = 1; d < 5; d++) expect(actual[d]!).toBeLessThan(actual[d - 1]!);
    expect(actual[0]!).toBeGreaterThan(5 * Math.max(...actual.slice(5)));
    expect(m.purchases.gini).toBeGreaterThan(0.5);
    expect(m.pAlive.customers).toBe(946);
    expect(m.pAlive.auc).toBeGreaterThan(0.65);
    // Expected spend is undiscounted over the 39 weeks; CDNOW's holdout spend is in dollars.
    expect(m.spend).not.toBeNull();
    expect(m.spend!.deciles[0]!.actual).toBeGreaterThan(m.spend!.deciles[4]!.actual);
  });
});

describe('what a run stores and shows of the check', () => {
  it('stores a value that is not a number as a reason, not as a broken record', () => {
    const record = forecastAccuracyRecord({ status: 'skipped', reason: 'x' });
    expect(record).toEqual({ status: 'skipped', reason: 'x' });
    const sample = loadCdnowSample();
    const calibration = summarizeCustomers(sample.purchases, CDNOW_CALIBRATION_END, 7);
    const measured = forecastAccuracy(sample.purchases, calibration, CDNOW_END, holdoutCheck(sample.purchases, calibration, CDNOW_END).params);
    expect(forecastAccuracyRecord(measured)).toEqual(measured);
    const broken = { ...measured, purchases: { ...measured.purchases, decileMeanAbsoluteError: Number.NaN } };
    expect(forecastAccuracyRecord(broken)).toEqual({ status: 'skipped', reason: expect.stringContaining('purchases.decileMeanAbsoluteError') });
  });

  it('says why the purchase models were not checked, and shows the propensity model’s own validation beside them', () => {
    const skipped = forecastAccuracySummary({ status: 'skipped', reason: 'the history has no purchases yet.', horizonMonths: 12 }, { status: 'off' });
    expect(skipped).toEqual({ purchaseModels: { status: 'skipped', reason: 'no purchase models: the history has no purchases yet.' }, firstPurchase: { status: 'off' } });
    const deciles = [{ decile: 1, people: 50, predicted: 0.2, actual: 0.3, lift: 3 }];
    const propensity = {
      status: 'fitted' as const, horizonDays: 90, training: { cutoff: '2026-01-01T00:00:00.000Z', people: 500, positives: 40 },
      validation: { cutoff: '2026-04-01T00:00:00.000Z', people: 500, positives: 50, baseRate: 0.1, auc: 0.8, topDecileLift: 3, brier: 0.08, deciles },
      dropped: [], model: { intercept: 0, inputs: [] }, scored: 400,
    };
    expect(forecastAccuracySummary({ status: 'off' }, propensity).firstPurchase).toEqual({
      status: 'measured', cutoff: '2026-04-01', horizonDays: 90, people: 500, positives: 50, auc: 0.8, gini: expect.closeTo(0.6, 12), deciles,
    });
  });
});
