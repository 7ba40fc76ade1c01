import { describe, expect, it } from 'vitest';
import {
  assessLift, bootstrapDifference, compareProportions, controlSizeNeeded, meanOf, minimumDetectableEffect, normalCdf, ratioOf,
  type PersonOutcome, type WindowProgress,
} from '../../src/measure/lift.js';
import { seededRandom } from '../../src/segmentation/random.js';

const OPEN: WindowProgress = { started: true, elapsedDays: 30, lengthDays: 60 };

/** `people` outcomes, the first `converters` of them with one order of `amount`. */
function group(people: number, converters: number, amount = 50): PersonOutcome[] {
  return Array.from({ length: people }, (_, i) => ({ orders: i < converters ? 1 : 0, revenue: i < converters ? amount : 0, movedWorse: null, unsubscribed: false }));
}

describe('two-proportion z', () => {
  it('matches scipy on 120/1000 treated against 45/500 control', () => {
    // Reference computed once with /usr/bin/python3 and scipy.stats.norm:
    //   d = p1 - p0; Wilson intervals (l, u) of each group with z = norm.ppf(0.975);
    //   Newcombe's CI = (d - sqrt((p1-l1)² + (u0-p0)²), d + sqrt((u1-p1)² + (p0-l0)²));
    //   pooled p = 165/1500, z = d / sqrt(p(1-p)(1/n1+1/n0)), p-value = 2·norm.sf(|z|);
    //   relative CI = exp(log(p1/p0) ± norm.ppf(0.975)·sqrt((1-p1)/x1 + (1-p0)/x0)) - 1.
    const r = compareProportions(120, 1000, 45, 500);
    expect(r.difference).toBeCloseTo(0.03, 12);
    expect(r.differenceCi[0]).toBeCloseTo(-0.003928460348303291, 9);
    expect(r.differenceCi[1]).toBeCloseTo(0.0608785257519706, 9);
    expect(r.pValue!).toBeCloseTo(0.08002709430721633, 6);
    expect(r.relative!).toBeCloseTo(0.12 / 0.09 - 1, 12);
    expect(r.relativeCi![0]).toBeCloseTo(-0.036968661550684345, 9);
    expect(r.relativeCi![1]).toBeCloseTo(0.846022768729807, 9);
  });

  it('the normal CDF agrees with scipy to 1e-7', () => {
    // scipy.stats.norm.cdf at these points.
    const reference: Array<[number, number]> = [[0.5, 0.6914624612740131], [1, 0.8413447460685429], [1.96, 0.9750021048517795], [2.5, 0.9937903346742238], [3.3, 0.9995165758576162], [-1.2, 0.11506967022170822]];
    for (const [z, p] of reference) expect(Math.abs(normalCdf(z) - p)).toBeLessThan(1e-7);
  });

  it('agrees with the test where Wald would not: a small control near 1, and a control with no events', () => {
    // The demo's Loyal Customers campaign: p = 0.007, and the interval excludes 0 (Wald's: [−0.0002, +0.182]).
    const loyal = compareProportions(466, 494, 52, 61);
    expect(loyal.pValue!).toBeLessThan(0.01);
    expect(loyal.differenceCi[0]).toBeCloseTo(0.018810280042361044, 9);
    expect(loyal.differenceCi[1]).toBeCloseTo(0.20188895857603822, 9);
    // Unsubscribes 6 of 494 against 0 of 61: p = 0.39, and the interval holds 0 (Wald's: [+0.002, +0.022]).
    const unsubscribed = compareProportions(6, 494, 0, 61);
    expect(unsubscribed.pValue!).toBeGreaterThan(0.3);
    expect(unsubscribed.differenceCi[0]).toBeCloseTo(-0.047461048393392255, 9);
    expect(unsubscribed.differenceCi[1]).toBeCloseTo(0.026242218693376028, 9);
  });

  it('has no p-value or relative difference when nobody converted', () => {
    const r = compareProportions(0, 100, 0, 50);
    expect(r.pValue).toBeNull();
    expect(r.relative).toBeNull();
  });
});

describe('minimum detectable effect', () => {
  it('is the textbook (z₀.₉₇₅ + z₀.₈)·√(p(1−p)(1/n₁+1/n₀)) and gives 80% power at that effect', () => {
    // scipy: (norm.ppf(0.975) + norm.ppf(0.8)) * sqrt(0.09·0.91·(1/900 + 1/100)) = 0.08451319753895051
    const mde = minimumDetectableEffect(0.09, 900, 100);
    expect(mde.absolute).toBeCloseTo(0.08451319753895051, 12);
    expect(mde.relative!).toBeCloseTo(0.08451319753895051 / 0.09, 12);
    const se = Math.sqrt(0.09 * 0.91 * (1 / 900 + 1 / 100));
    expect(normalCdf(mde.absolute / se - 1.959963984540054)).toBeCloseTo(0.8, 6);
  });

  it('sizes the control group for a 10% lift so that its MDE is that lift', () => {
    const needed = controlSizeNeeded(0.2, 9);
    expect(minimumDetectableEffect(0.2, needed * 9, needed).absolute).toBeLessThanOrEqual(0.02);
    expect(minimumDetectableEffect(0.2, (needed - 1) * 9, needed - 1).absolute).toBeGreaterThan(0.02);
  });
});

describe('seeded percentile bootstrap', () => {
  /** Exponential spend with the given mean. */
  function spend(n: number, mean: number, seed: number): Float64Array {
    const random = seededRandom(seed);
    return Float64Array.from({ length: n }, () => -mean * Math.log(1 - random()));
  }

  it('covers a planted difference in mean revenue and excludes zero', () => {
    // Planted: treatment spends 12 on average, control 10 (true difference 2, relative +20%).
    const t = { values: spend(3000, 12, 1) };
    const c = { values: spend(1000, 10, 2) };
    const r = bootstrapDifference(t, c, meanOf, 7);
    expect(r.differenceCi![0]).toBeLessThan(2);
    expect(r.differenceCi![1]).toBeGreaterThan(2);
    expect(r.differenceCi![0]).toBeGreaterThan(0);
    expect(r.relativeCi![0]).toBeLessThan(0.2);
    expect(r.relativeCi![1]).toBeGreaterThan(0.2);
    expect(r.pValue!).toBeLessThan(0.01);
    // Same seed, same interval.
    expect(bootstrapDifference(t, c, meanOf, 7)).toEqual(r);
  });

  it('covers the planted difference about 95% of the time over repeated samples', () => {
    // 80 synthetic experiments (200 treated spending 12 on average, 100 controls spending 10):
    // a 95% interval should hold the true difference of 2 in about 76 of them.
    // Not by being wide: the intervals are about as wide as the normal theory's 2·1.96·√(12²/200 + 10²/100).
    let covered = 0;
    let width = 0;
    for (let k = 0; k < 80; k++) {
      const r = bootstrapDifference({ values: spend(200, 12, 100 + 2 * k) }, { values: spend(100, 10, 101 + 2 * k) }, meanOf, k);
      if (r.differenceCi![0] <= 2 && 2 <= r.differenceCi![1]) covered++;
      width += (r.differenceCi![1] - r.differenceCi![0]) / 80;
    }
    expect(covered).toBeGreaterThanOrEqual(70);
    expect(Math.abs(width / (2 * 1.96 * Math.sqrt(144 / 200 + 100 / 100)) - 1)).toBeLessThan(0.15);
  });

  it('average order value is revenue over orders of the group, not a mean of per-person averages', () => {
    const s = { values: Float64Array.from([100, 30]), weights: Float64Array.from([1, 3]) };
    expect(ratioOf(s, null)).toBeCloseTo(130 / 4, 12);
  });
});

describe('not enough data yet', () => {
  it('when the control group has fewer than 30 people, with the cohort size that would do', () => {
    const r = assessLift(group(300, 60), group(20, 6), OPEN, 1);
    expect(r.measures).toBeNull();
    expect(r.notEnoughData!.reasons.join(' ')).toMatch(/control group has 20 people \(at least 30/);
    expect(r.notEnoughData!.fixes.join(' ')).toMatch(/cohort of about 480 people/);
    // The raw counts are still there.
    expect([r.treatment.people, r.treatment.converters, r.control.people, r.control.converters]).toEqual([300, 60, 20, 6]);
  });

  it('when a group has fewer than 5 converters, with the days it would take at the current pace', () => {
    const r = assessLift(group(900, 40), group(100, 2), OPEN, 1);
    expect(r.measures).toBeNull();
    expect(r.notEnoughData!.reasons.join(' ')).toMatch(/control group has 2 converters/);
    // 2 converters in 30 days: 5 take about 75 days, 45 more, past the 60-day window.
    expect(r.notEnoughData!.fixes.join(' ')).toMatch(/about 45 more days .*past the window's end/);
    expect(r.mde!.absolute).toBeGreaterThan(0);
  });

  it('before the window starts', () => {
    const r = assessLift(group(900, 0), group(100, 0), { started: false, elapsedDays: 0, lengthDays: 60 }, 1);
    expect(r.notEnoughData!.reasons).toEqual(['the campaign window has not started yet']);
  });

  it('gives every measure with its method once there is enough', () => {
    const r = assessLift(group(900, 180, 60), group(100, 10, 50), OPEN, 1);
    expect(r.notEnoughData).toBeNull();
    const byKey = new Map(r.measures!.map((m) => [m.key, m]));
    expect([...byKey.keys()]).toEqual(['conversion', 'ordersPerPerson', 'revenuePerPerson', 'averageOrderValue', 'unsubscribes']);
    expect(byKey.get('conversion')!.method).toMatch(/two-proportion z/);
    expect(byKey.get('conversion')!.difference).toBeCloseTo(0.1, 12);
    expect(byKey.get('revenuePerPerson')!.method).toMatch(/bootstrap \(2,000 resamples/);
    expect(byKey.get('revenuePerPerson')!.difference).toBeCloseTo(180 * 60 / 900 - 10 * 50 / 100, 9);
    expect(byKey.get('averageOrderValue')!.difference).toBeCloseTo(10, 9);
    expect(byKey.get('averageOrderValue')!.n).toEqual({ treatment: 180, control: 10 });
  });

  it('measures moves to a worse RFM segment over the people whose move is known', () => {
    const known = (list: PersonOutcome[], worse: number, knownCount: number) => list.map((p, i) => ({ ...p, movedWorse: i < knownCount ? i < worse : null }));
    const r = assessLift(known(group(900, 180), 90, 600), known(group(100, 10), 20, 80), OPEN, 1);
    const moved = r.measures!.find((m) => m.key === 'movedToWorseRfm')!;
    expect(moved.n).toEqual({ treatment: 600, control: 80 });
    expect([moved.treatment, moved.control]).toEqual([90 / 600, 20 / 80]);
    expect(moved.method).toMatch(/two-proportion z/);
  });
});
