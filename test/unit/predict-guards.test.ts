/** predictCustomers: refuses thin histories with a message that names the setting, and otherwise predicts for every customer. */
import { describe, expect, it } from 'vitest';
import { predictCustomers, PredictionSettingsSchema } from '../../src/segmentation/predict/index.js';
import { groupPurchases } from '../../src/segmentation/features.js';
import { summarizeCustomers } from '../../src/segmentation/predict/summary.js';
import { CDNOW_CALIBRATION_END, loadCdnowSample } from '../helpers/cdnow.js';

const sample = loadCdnowSample();
const settings = (overrides: Record<string, unknown> = {}) => PredictionSettingsSchema.parse(overrides);
const DAY = 86_400_000;

describe('predictions on CDNOW as of the end of its calibration period', () => {
  const outcome = predictCustomers(sample.purchases, CDNOW_CALIBRATION_END + DAY - 1, settings({ holdoutDays: 91 }));

  it('fits the published BG/NBD and Gamma-Gamma parameters, and predicts for every customer', () => {
    if (outcome.status !== 'fitted') throw new Error(outcome.reason);
    expect(outcome.bgnbd.params.r).toBeCloseTo(0.243, 2);
    expect(outcome.gammaGamma?.params.p).toBeCloseTo(6.25, 1);
    expect(outcome.warnings).toEqual([]);
    const { pAlive, clv, expectedPurchases90d } = outcome.columns;
    expect(pAlive.every((v) => Number.isNaN(v) || (v > 0 && v <= 1))).toBe(true);
    expect(clv.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(expectedPurchases90d.every((v) => v >= 0)).toBe(true);
  });

  it('has no P(alive) for one-time buyers, and no next purchase beyond the 12-month horizon', () => {
    if (outcome.status !== 'fitted') throw new Error(outcome.reason);
    const summary = summarizeCustomers(sample.purchases, CDNOW_CALIBRATION_END + DAY - 1, 7);
    let oneTime = 0;
    for (let c = 0; c < summary.row.length; c++) {
      const i = summary.row[c]!;
      if (summary.x[c] === 0) {
        oneTime++;
        expect(outcome.columns.pAlive[i]).toBeNaN();
        // r = 0.243: a one-time buyer's median wait is (α+T)(2^(1/r) − 1) ≈ 16 (α+T) weeks, years away.
        expect(outcome.columns.daysToNextPurchase[i]).toBeNaN();
      } else {
        expect(outcome.columns.pAlive[i]).toBeGreaterThan(0);
      }
      const next = outcome.columns.daysToNextPurchase[i]!;
      if (!Number.isNaN(next)) expect(next).toBeLessThanOrEqual(365.25);
    }
    expect(oneTime).toBe(1411);
  });

  it('ranks a recent regular above a customer who has likely lapsed', () => {
    if (outcome.status !== 'fitted') throw new Error(outcome.reason);
    // Sample customer 0001 (x = 2, t_x = 30.43, T = 38.86) bought recently.
    const { pAlive, clv } = outcome.columns;
    const recent = sample.ids.indexOf('0001');
    const lapsed = sample.ids.findIndex((_, i) => i !== recent && pAlive[i]! < 0.2);
    expect(pAlive[recent]!).toBeGreaterThan(0.5);
    expect(clv[recent]!).toBeGreaterThan(clv[lapsed]!);
  });

  it('checks itself on the held-out last 91 days', () => {
    if (outcome.status !== 'fitted') throw new Error(outcome.reason);
    expect(outcome.holdout?.holdoutDays).toBe(91);
    expect(outcome.holdout?.calibrationEnd).toBe('1997-07-01');
  });
});

describe('guards', () => {
  it('refuses when too few customers bought twice, naming the setting', () => {
    const outcome = predictCustomers(sample.purchases, CDNOW_CALIBRATION_END, settings({ minRepeatBuyers: 5000 }));
    expect(outcome).toEqual({ status: 'skipped', reason: expect.stringMatching(/946 customers who bought on more than one day; predictions need at least 5000 \(segmentation\.predictions\.minRepeatBuyers\)/) });
  });

  it('refuses a history shorter than the minimum span', () => {
    const outcome = predictCustomers(sample.purchases, Date.UTC(1997, 1, 15), settings({ minHistoryDays: 90 }));
    expect(outcome.status).toBe('skipped');
    if (outcome.status === 'skipped') expect(outcome.reason).toMatch(/spans 45 days of purchases \(from 1997-01-01\); predictions need at least 90 \(segmentation\.predictions\.minHistoryDays\)/);
  });

  it('refuses an empty store', () => {
    const empty = groupPurchases(3, { profileIndex: new Int32Array(0), occurredAtMs: new Float64Array(0), amount: new Float64Array(0) }, Date.UTC(2026, 0, 1));
    expect(predictCustomers(empty, Date.UTC(2026, 0, 1), settings())).toEqual({ status: 'skipped', reason: 'the history has no purchases yet.' });
  });

  it('skips only the model check when the calibration part alone would be too thin', () => {
    const outcome = predictCustomers(sample.purchases, CDNOW_CALIBRATION_END, settings({ holdoutDays: 200 }));
    expect(outcome.status).toBe('fitted');
    if (outcome.status === 'fitted') {
      expect(outcome.holdout).toBeNull();
      expect(outcome.holdoutSkipped).toMatch(/before the 200-day holdout spans 72 days/);
    }
  });

  it('says so when switched off', () => {
    expect(predictCustomers(sample.purchases, CDNOW_CALIBRATION_END, settings({ enabled: false })).status).toBe('skipped');
  });

  it('rejects settings that make no sense, naming the fix', () => {
    expect(() => settings({ timeUnit: 'months' })).toThrow(/use days or weeks/);
    expect(() => settings({ holdoutDays: 3 })).toThrow(/use auto or a whole number of days/);
    expect(() => settings({ minRepeatBuyers: 2 })).toThrow();
  });
});
