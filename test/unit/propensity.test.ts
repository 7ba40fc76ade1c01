import { describe, expect, it } from 'vitest';

import { fitLogistic } from '../../src/segmentation/propensity/logistic.js';
import { auc, brierScore, deciles, percentileRanks } from '../../src/segmentation/propensity/evaluation.js';
import { pointInTimeSnapshot, PROPENSITY_INPUTS, predictPropensity, type PropensityInput } from '../../src/segmentation/propensity/propensity.js';
import { PropensitySettingsSchema } from '../../src/segmentation/propensity/settings.js';
import { engagementWindows, noEngagement, EngagementSummary } from '../../src/segmentation/engagement-windows.js';
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../../src/domain/records.js';
import { groupPurchases } from '../../src/segmentation/features.js';

const DAY = 86_400_000;
const REF = Date.UTC(2024, 5, 30);

describe('the logistic regression', () => {
  it('finds the coefficients scikit-learn finds for the same penalty', () => {
    // The data and the expected numbers: /usr/bin/python3 with scikit-learn 1.2.1 and scipy,
    //   for i in range(40): x1 = i%7-3; x2 = ((i*5)%11)/5-1; x3 = ((i*i)%13)/6-1
    //                       y = 1 if (i*7%10) < 3 + (x1>0)*3 + (x2>0.2)*2 else 0
    //   LogisticRegression(C=0.5, solver='newton-cg', tol=1e-12, max_iter=100000).fit(X, y)
    //   → intercept -0.0623224584, coef 0.4118034220 0.1155991060 0.0843085869; scipy's BFGS on the
    //   same objective (Σ log-loss + ‖w‖²/(2C)) to a gradient of 1e-10 gives the same 10 digits.
    //   (The default lbfgs solver stops early: 0.41180431 0.11560538 0.08429854, within 1e-5.)
    const n = 40;
    const x = new Float64Array(n * 3);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x1 = (i % 7) - 3;
      const x2 = ((i * 5) % 11) / 5 - 1;
      const x3 = ((i * i) % 13) / 6 - 1;
      x.set([x1, x2, x3], i * 3);
      y[i] = (i * 7) % 10 < 3 + (x1 > 0 ? 3 : 0) + (x2 > 0.2 ? 2 : 0) ? 1 : 0;
    }
    expect(y.reduce((s, v) => s + v, 0)).toBe(19);
    const fit = fitLogistic(x, y, 3, { l2: 1 / 0.5 });
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(-0.0623224584, 8);
    expect(fit.coefficients[0]).toBeCloseTo(0.411803422, 8);
    expect(fit.coefficients[1]).toBeCloseTo(0.115599106, 8);
    expect(fit.coefficients[2]).toBeCloseTo(0.0843085869, 8);
  });

  it('stays finite on perfectly separable data (the penalty holds it)', () => {
    const x = Float64Array.from([-2, -1, 1, 2]);
    const fit = fitLogistic(x, Uint8Array.from([0, 0, 1, 1]), 1, { l2: 1 });
    expect(Number.isFinite(fit.coefficients[0]!)).toBe(true);
    expect(fit.coefficients[0]).toBeGreaterThan(0);
  });
});

describe('the validation measures', () => {
  const scores = Float64Array.from([0.1, 0.4, 0.35, 0.8, 0.4, 0.2, 0.9, 0.4]);
  const labels = Uint8Array.from([0, 0, 1, 1, 1, 0, 1, 0]);

  it('counts a tie between a buyer and a non-buyer as one half in the AUC (scikit-learn: 0.8125)', () => {
    expect(auc(scores, labels)).toBeCloseTo(0.8125, 12);
    expect(auc(Float64Array.from([0.5, 0.5]), Uint8Array.from([0, 1]))).toBe(0.5);
    expect(auc(scores, new Uint8Array(8))).toBeNaN();
  });

  it('gives the Brier score scikit-learn gives (0.1503125)', () => {
    expect(brierScore(scores, labels)).toBeCloseTo(0.1503125, 12);
  });

  it('splits people into ten equal groups by prediction, with lift against the base rate', () => {
    const n = 100;
    const s = Float64Array.from({ length: n }, (_, i) => (n - i) / n); // row 0 highest
    const l = Uint8Array.from({ length: n }, (_, i) => (i < 10 ? 1 : i % 10 === 0 ? 1 : 0)); // top ten all buy; 9 more
    const d = deciles(s, l);
    expect(d).toHaveLength(10);
    expect(d.every((g) => g.people === 10)).toBe(true);
    expect(d[0]!.actual).toBe(1);
    expect(d[0]!.lift).toBeCloseTo(1 / 0.19, 10);
    expect(d[1]!.actual).toBeCloseTo(0.1, 12);
    expect(d[0]!.predicted).toBeCloseTo((1 + 0.91) / 2, 12);
  });

  it('ranks lead scores 0-100 with ties sharing one score', () => {
    const ranks = percentileRanks(Float64Array.from([0.1, 0.5, 0.5, 0.9, 0.3]));
    expect(Array.from(ranks)).toEqual([0, 62, 62, 100, 25]);
  });
});

/** Folds the events of a few profiles ([profile, channel, days before REF]) as of REF and the default cutoffs. */
function events(rows: number, list: Array<[number, EngagementChannel, number]>, measured: number[]): EngagementSummary {
  const summary = new EngagementSummary(rows, REF, [REF - 90 * DAY, REF - 180 * DAY]);
  for (const i of measured) summary.measured[i] = 1;
  for (const [i, channel, daysBefore] of list) summary.add(i, ENGAGEMENT_CHANNELS.indexOf(channel), REF - daysBefore * DAY, 1);
  return summary;
}

describe('engagement windows as of a date', () => {
  it('counts events per window, 0 for a measured person without any, missing for an unmeasured one', () => {
    const e = events(3, [[0, 'email_open', 10], [0, 'email_open', 60], [0, 'email_open', 200], [0, 'web_visit', 100], [0, 'email_delivered', 5]], [0, 1]);
    const w = engagementWindows(e, REF);
    expect([w.emailOpens30d[0], w.emailOpens90d[0], w.emailOpens365d[0]]).toEqual([1, 2, 3]);
    expect(w.webVisits90d[0]).toBe(0);
    expect(w.webVisits365d[0]).toBe(1);
    expect(w.engagementEvents90d[0]).toBe(2); // delivered does not count
    expect(w.engagementTrend[0]).toBeCloseTo((2 - 1) / 3, 12); // 2 in the last 90 days, 1 (day 100) in the 90 before
    expect(w.daysSinceLastEngagement[0]).toBe(10);
    expect(w.emailOpens30d[1]).toBe(0);
    expect(w.engagementTrend[1]).toBeNaN();
    expect(w.daysSinceLastEngagement[1]).toBeNaN();
    expect(w.emailOpens30d[2]).toBeNaN();
  });

  it('does not count an event after the cutoff in the features at that cutoff', () => {
    const e = events(1, [[0, 'form_fill', 100], [0, 'form_fill', 50]], [0]);
    const cutoff = REF - 90 * DAY;
    const atCutoff = engagementWindows(e, cutoff);
    expect(atCutoff.formFills30d[0]).toBe(1); // day 100 is 10 days before the cutoff; day 50 is after it
    expect(atCutoff.formFills365d[0]).toBe(1);
    expect(atCutoff.daysSinceLastEngagement[0]).toBe(10);
    const input: PropensityInput = {
      rows: 1, referenceMs: REF, events: e,
      purchases: groupPurchases(1, { profileIndex: new Int32Array(0), occurredAtMs: new Float64Array(0), amount: new Float64Array(0) }, REF),
      createdAtMs: Float64Array.from([REF - 400 * DAY]), attributes: new Map(),
    };
    const snapshot = pointInTimeSnapshot(input, cutoff, REF);
    const column = (key: string) => snapshot.x[PROPENSITY_INPUTS.findIndex((s) => s.key === key)]!;
    expect(column('formFills365d')).toBeCloseTo(Math.log1p(1), 12);
    expect(column('tenureDays')).toBeCloseTo(Math.log1p(310), 12);
  });
});

describe('the propensity model', () => {
  const settings = PropensitySettingsSchema.parse({});

  it('takes at a cutoff only people who had not bought by then, and labels a first purchase in the next 90 days', () => {
    // 0 bought before the cutoff; 1 buys 30 days after it; 2 buys 120 days after it; 3 never buys.
    const cutoff = REF - 180 * DAY;
    const bought = [[0, cutoff - DAY], [1, cutoff + 30 * DAY], [2, cutoff + 120 * DAY]] as const;
    const input: PropensityInput = {
      rows: 4, referenceMs: REF, events: events(4, [], [0, 1, 2, 3]),
      purchases: groupPurchases(4, { profileIndex: Int32Array.from(bought.map((b) => b[0])), occurredAtMs: Float64Array.from(bought.map((b) => b[1])), amount: new Float64Array(3).fill(10) }, REF),
      createdAtMs: new Float64Array(4).fill(REF - 1000 * DAY), attributes: new Map(),
    };
    const snapshot = pointInTimeSnapshot(input, cutoff, cutoff + 90 * DAY);
    expect(Array.from(snapshot.rows)).toEqual([1, 2, 3]);
    expect(Array.from(snapshot.labels)).toEqual([1, 0, 0]);
  });

  it('skips with a reason when the store has no engagement events', () => {
    const input: PropensityInput = {
      rows: 2, referenceMs: REF, events: noEngagement(2, REF),
      purchases: groupPurchases(2, { profileIndex: new Int32Array(0), occurredAtMs: new Float64Array(0), amount: new Float64Array(0) }, REF),
      createdAtMs: new Float64Array(2).fill(REF - 1000 * DAY), attributes: new Map(),
    };
    const outcome = predictPropensity(input, settings);
    expect(outcome).toMatchObject({ status: 'skipped' });
    expect(outcome.status === 'skipped' && outcome.reason).toMatch(/no engagement events/);
  });
});

describe('segmentation.propensity in the workspace config', () => {
  it('has the documented defaults and names the field of a bad value', async () => {
    const { parseWorkspace } = await import('../../src/config/workspace.js');
    expect(parseWorkspace({}, 'test', []).segmentation.propensity).toEqual({ enabled: true, horizonDays: 90, minPositives: 20, minPeople: 200, l2: 1 });
    expect(() => parseWorkspace({ segmentation: { propensity: { horizonDays: 3 } } }, 'segsync.yaml', [])).toThrow(/segmentation\.propensity\.horizonDays.*at least 7 days/);
    expect(() => parseWorkspace({ segmentation: { propensity: { minPositive: 5 } } }, 'segsync.yaml', [])).toThrow(/segmentation\.propensity.*minPositive/);
  });
});

describe('the weighted logistic regression', () => {
  it('gives a row of weight 2 the same pull as the row twice (what the sampled non-buyers rely on)', () => {
    const x = Float64Array.from([-1.5, -0.5, 0.2, 0.7, 1.1, 1.9, -0.3, 0.4]);
    const y = Uint8Array.from([0, 0, 1, 0, 1, 1, 1, 0]);
    const weighted = fitLogistic(x, y, 1, { l2: 0.5, weights: Float64Array.from([2, 1, 1, 2, 1, 1, 1, 2]) });
    const twice = fitLogistic(Float64Array.from([...x, -1.5, 0.7, 0.4]), Uint8Array.from([...y, 0, 0, 0]), 1, { l2: 0.5 });
    expect(weighted.intercept).toBeCloseTo(twice.intercept, 10);
    expect(weighted.coefficients[0]).toBeCloseTo(twice.coefficients[0]!, 10);
  });
});

describe('the propensity model guards', () => {
  /** 300 measured people with a web visit each month; `buyers` = [row, days before REF] of first purchases. */
  function store(buyers: Array<[number, number]>): PropensityInput {
    const list: Array<[number, EngagementChannel, number]> = [];
    for (let i = 0; i < 300; i++) for (let d = 5; d < 600; d += 30) list.push([i, 'web_visit', d + (i % 7)]);
    return {
      rows: 300, referenceMs: REF, events: events(300, list, Array.from({ length: 300 }, (_, i) => i)),
      purchases: groupPurchases(300, { profileIndex: Int32Array.from(buyers.map((b) => b[0])), occurredAtMs: Float64Array.from(buyers.map((b) => REF - b[1] * DAY)), amount: new Float64Array(buyers.length).fill(50) }, REF),
      createdAtMs: new Float64Array(300).fill(REF - 900 * DAY), attributes: new Map(),
    };
  }
  const settings = PropensitySettingsSchema.parse({});

  it('skips when too few people bought for the first time after the training cutoff', () => {
    const outcome = predictPropensity(store(Array.from({ length: 5 }, (_, k): [number, number] => [k, 120])), settings);
    expect(outcome.status === 'skipped' && outcome.reason).toMatch(/too little history: 5 people bought for the first time in the 90 days after the training cutoff 2024-01-02; the model needs at least 20 \(segmentation\.propensity\.minPositives\)/);
  });

  it('skips when the validation AUC cannot be computed (nobody bought after the validation cutoff)', () => {
    const outcome = predictPropensity(store(Array.from({ length: 30 }, (_, k): [number, number] => [k, 120])), settings);
    expect(outcome.status === 'skipped' && outcome.reason).toMatch(/the validation AUC cannot be computed: at the validation cutoff 2024-04-01, 270 people had never bought and 0 of them bought/);
  });
});
