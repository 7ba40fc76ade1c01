/**
 * The purchase models against the published results on the data they were introduced with:
 * CDNOW's 2,357-customer sample, calibration period 1997-01-01..1997-09-30, weeks.
 * BG/NBD: Fader, Hardie & Lee (2005), table 1. Gamma-Gamma: Fader & Hardie (2013), p. 4.
 */
import { describe, expect, it } from 'vitest';
import { distinctTriples, fitBgNbd, conditionalExpectedPurchases } from '../../src/segmentation/predict/bgnbd.js';
import { fitGammaGamma, spendFrequencyCorrelation } from '../../src/segmentation/predict/gamma-gamma.js';
import { summarizeCustomers, repeatDaysBetween, epochDay } from '../../src/segmentation/predict/summary.js';
import { holdoutCheck } from '../../src/segmentation/predict/holdout.js';
import { CDNOW_CALIBRATION_END, CDNOW_END, loadCdnowSample, loadPublishedSummary } from '../helpers/cdnow.js';

const sample = loadCdnowSample();
const summary = summarizeCustomers(sample.purchases, CDNOW_CALIBRATION_END, 7);

describe('CDNOW calibration summary built from the raw transactions', () => {
  it('has the 2,357 customers of the sample, 946 of them repeat buyers', () => {
    expect(sample.transactions).toBe(6919);
    expect(summary.row.length).toBe(2357);
    expect(summary.x.filter((x) => x > 0).length).toBe(946);
  });

  it('matches the published summary (x, t_x, T in weeks, zbar) for every customer, to its two decimals', () => {
    const published = loadPublishedSummary();
    const mismatches: string[] = [];
    for (let c = 0; c < summary.row.length; c++) {
      const id = sample.ids[summary.row[c]!]!;
      const p = published.get(id)!;
      const same = summary.x[c] === p.x && Math.abs(summary.tx[c]! - p.tx) <= 0.005 && Math.abs(summary.T[c]! - p.T) <= 0.005 && Math.abs(summary.zbar[c]! - p.zbar) <= 0.005 + 1e-9;
      if (!same) mismatches.push(id);
    }
    expect(mismatches).toEqual([]);
    expect(published.size).toBe(2357);
  });
});

describe('BG/NBD on CDNOW', () => {
  const fit = fitBgNbd(distinctTriples(summary));

  it('reproduces the published r = 0.243, α = 4.414, a = 0.793, b = 2.426', () => {
    expect(Math.abs(fit.params.r - 0.243)).toBeLessThan(0.001);
    expect(Math.abs(fit.params.alpha - 4.414)).toBeLessThan(0.003);
    expect(Math.abs(fit.params.a - 0.793)).toBeLessThan(0.001);
    expect(Math.abs(fit.params.b - 2.426)).toBeLessThan(0.001);
  });

  it('reaches the published log-likelihood of −9582.4', () => {
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThan(0.1);
    expect(fit.customers).toBe(2357);
    expect(fit.repeatBuyers).toBe(946);
  });

  it('expects about 1.226 purchases in the next 39 weeks from a customer with x = 2, t_x = 30.43, T = 38.86', () => {
    const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    expect(conditionalExpectedPurchases(published, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
    expect(conditionalExpectedPurchases(fit.params, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 2);
  });

  it('checks itself on the 39-week holdout: actual purchases counted from the raw data, expectations summed per customer', () => {
    const check = holdoutCheck(sample.purchases, summary, CDNOW_END);
    const held = repeatDaysBetween(sample.purchases, summary, epochDay(CDNOW_CALIBRATION_END), epochDay(CDNOW_END));
    // 6,696 purchase days − 2,357 first purchases − 2,457 calibration repeats = 1,882 in the holdout.
    expect(check.holdoutTotal.actual).toBe(held.reduce((s, v) => s + v, 0));
    expect(check.holdoutTotal.actual).toBe(6696 - 2357 - 2457);
    let expected = 0;
    for (let c = 0; c < summary.row.length; c++) expected += conditionalExpectedPurchases(check.params, 39, summary.x[c]!, summary.tx[c]!, summary.T[c]!);
    expect(check.holdoutTotal.expected).toBeCloseTo(expected, 6);
    expect(check.holdoutDays).toBe(273);
    // BG/NBD under-forecasts CDNOW's holdout somewhat (the buying rate rose over the Christmas season); it is no more than 15% off.
    expect(Math.abs(check.holdoutTotal.expected - check.holdoutTotal.actual) / check.holdoutTotal.actual).toBeLessThan(0.15);
    // Per calibration frequency, each group's mean is the mean of its members' expectations, and their sizes add up.
    expect(check.byFrequency.reduce((s, b) => s + b.customers, 0)).toBe(2357);
    expect(check.byFrequency.map((b) => b.x)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(check.byFrequency[0]!.customers).toBe(1411);
  });

  it('tracks weekly repeat purchases over all 78 weeks, and its calibration weeks add up to the fitted period', () => {
    const check = holdoutCheck(sample.purchases, summary, CDNOW_END);
    expect(check.weekly.length).toBe(78);
    expect(check.weekly.filter((w) => w.holdout).length).toBe(39);
    const calibrationActual = check.weekly.filter((w) => !w.holdout).reduce((s, w) => s + w.actual, 0);
    expect(calibrationActual).toBe(2457);
    // The fitted model reproduces its own calibration period closely: cumulative expected within 2% of actual.
    const calibrationExpected = check.weekly.filter((w) => !w.holdout).reduce((s, w) => s + w.expected, 0);
    expect(Math.abs(calibrationExpected - calibrationActual) / calibrationActual).toBeLessThan(0.02);
  });
});

describe('Gamma-Gamma on CDNOW', () => {
  it('reproduces the published p = 6.25, q = 3.74, γ = 15.44 on the 946 repeat buyers', () => {
    const fit = fitGammaGamma(summary.x, summary.zbar);
    expect(fit.customers).toBe(946);
    expect(Math.abs(fit.params.p - 6.25)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.q - 3.74)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.gamma - 15.44)).toBeLessThan(0.005);
  });

  it('finds spend and frequency nearly uncorrelated on CDNOW (r ≈ 0.11), so the model applies', () => {
    expect(spendFrequencyCorrelation(summary.x, summary.zbar)).toBeCloseTo(0.11, 2);
  });
});

describe('a fit that does not converge', () => {
  it('says so with the parameters it reached and what to do, instead of returning them', () => {
    const triples = distinctTriples(summary);
    expect(() => fitBgNbd(triples, { maxIterations: 20, maxRestarts: 0 })).toThrow(
      /^the BG\/NBD fit did not converge after \d+ likelihood evaluations \(r=[\d.e+-]+, α=[\d.e+-]+, a=[\d.e+-]+, b=[\d.e+-]+\): the purchase history is too short or too regular for the model\. Predictions resume once more history has accumulated/,
    );
  });
});
