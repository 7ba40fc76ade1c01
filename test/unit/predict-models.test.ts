/** The purchase models' building blocks against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { hyp2f1, logGamma } from '../../src/segmentation/predict/special.js';
import { minimize } from '../../src/segmentation/predict/nelder-mead.js';
import {
  bgnbdLogLikelihood,
  conditionalExpectedPurchases,
  distinctTriples,
  expectedRepeatPurchases,
  medianTimeToNextPurchase,
  probabilityAlive,
} from '../../src/segmentation/predict/bgnbd.js';
import { expectedAverageOrderValue, gammaGammaLogLikelihood, spendFrequencyCorrelation } from '../../src/segmentation/predict/gamma-gamma.js';
import { discountedExpectedPurchases, DAYS_PER_MONTH } from '../../src/segmentation/predict/clv.js';
import { summarizeCustomers } from '../../src/segmentation/predict/summary.js';
import { weekOf } from '../../src/segmentation/predict/predict.js';
import { groupPurchases } from '../../src/segmentation/features.js';

const DAY = 86_400_000;
const day = (d: number, hour = 12) => Date.UTC(2025, 0, 1) + d * DAY + hour * 3_600_000;

describe('special functions', () => {
  it('ln Γ matches Γ(1/2) = √π, 9! and Γ(1) = 1', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(200.5) - logGamma(199.5)).toBeCloseTo(Math.log(199.5), 10);
  });

  it('2F1(1, 1; 2; z) is −ln(1 − z) / z, also close to z = 1', () => {
    for (const z of [0.1, 0.5, 0.9, 0.999]) expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 9);
  });
});

describe('Nelder–Mead', () => {
  it('finds the minimum of the Rosenbrock valley at (1, 1)', () => {
    const result = minimize(([x, y]) => (1 - x!) ** 2 + 100 * (y! - x! * x!) ** 2, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
  });
});

describe('customer summary', () => {
  it('counts purchases on one day once, measures t_x and T from the first purchase, and averages repeat spend only', () => {
    // Profile 0: two orders on day 0 (10 + 5), then day 7 (20) and day 21 (40); calibration ends on day 28.
    // Profile 1: never bought. Profile 2: one order on day 14. Profile 3: first order after the end.
    const purchases = groupPurchases(4, {
      profileIndex: Int32Array.from([0, 0, 0, 0, 2, 3]),
      occurredAtMs: Float64Array.from([day(0, 9), day(0, 18), day(7), day(21), day(14), day(30)]),
      amount: Float64Array.from([10, 5, 20, 40, 99, 7]),
    }, day(60));
    const s = summarizeCustomers(purchases, day(28, 23), 7);
    expect(Array.from(s.row)).toEqual([0, 2]);
    expect(Array.from(s.x)).toEqual([2, 0]);
    expect(s.tx[0]).toBeCloseTo(3, 12); // 21 days
    expect(s.T[0]).toBeCloseTo(4, 12); // 28 days
    expect(s.T[1]).toBeCloseTo(2, 12); // 14 days
    expect(Array.from(s.zbar)).toEqual([30, 0]); // (20 + 40) / 2; the first day's 15 is left out
    expect(Array.from(s.firstSpend)).toEqual([15, 99]);
    const inDays = summarizeCustomers(purchases, day(28, 23), 1);
    expect(inDays.tx[0]).toBe(21);
  });
});

describe('BG/NBD', () => {
  const p = { r: 1, alpha: 1, a: 1.5, b: 2 };

  it('P(alive) is 1 without repeat purchases, and a/(b+x−1)·((α+T)/(α+t_x))^(r+x) decides it otherwise', () => {
    expect(probabilityAlive(p, 0, 0, 10)).toBe(1);
    // x = 1, t_x = 1, T = 3: 1.5/2 · (4/2)^2 = 3 → 1/(1+3).
    expect(probabilityAlive(p, 1, 1, 3)).toBeCloseTo(0.25, 14);
    // Bought at the very end (t_x = T): 1/(1 + 1.5/2) = 4/7.
    expect(probabilityAlive(p, 1, 3, 3)).toBeCloseTo(4 / 7, 14);
  });

  it('with (almost) no drop-out, expected purchases are those of the NBD: r·t/α, and (r+x)·t/(α+T) given a history', () => {
    const noDropOut = { r: 2, alpha: 5, a: 1e-3, b: 1e7 };
    expect(expectedRepeatPurchases(noDropOut, 10)).toBeCloseTo((2 * 10) / 5, 4);
    expect(conditionalExpectedPurchases(noDropOut, 10, 3, 20, 25)).toBeCloseTo(((2 + 3) * 10) / (5 + 25), 4);
  });

  it('the likelihood of one customer with no repeat purchase is (α/(α+T))^r', () => {
    const triples = distinctTriples({ x: Float64Array.of(0), tx: Float64Array.of(0), T: Float64Array.of(3), unitDays: 7 });
    expect(bgnbdLogLikelihood(p, triples)).toBeCloseTo(Math.log(1 / 4), 12);
  });

  it('the likelihood of x = 1, t_x = 1, T = 3 is B(a,b+1)/B(a,b)·r α^r/(α+T)^(r+1) + B(a+1,b)/B(a,b)·r α^r/(α+t_x)^(r+1)', () => {
    // r = α = 1, a = 1.5, b = 2: B(a,b+1)/B(a,b) = b/(a+b) = 4/7, B(a+1,b)/B(a,b) = a/(a+b) = 3/7.
    const expected = (4 / 7) * (1 / 16) + (3 / 7) * (1 / 4);
    const triples = distinctTriples({ x: Float64Array.of(1), tx: Float64Array.of(1), T: Float64Array.of(3), unitDays: 7 });
    expect(bgnbdLogLikelihood(p, triples)).toBeCloseTo(Math.log(expected), 12);
  });

  it('weights customers who share a history instead of evaluating them again', () => {
    const one = distinctTriples({ x: Float64Array.of(1), tx: Float64Array.of(1), T: Float64Array.of(3), unitDays: 7 });
    const three = distinctTriples({ x: Float64Array.of(1, 1, 1), tx: Float64Array.of(1, 1, 1), T: Float64Array.of(3, 3, 3), unitDays: 7 });
    expect(three.x.length).toBe(1);
    expect(Array.from(three.of)).toEqual([0, 0, 0]);
    expect(bgnbdLogLikelihood(p, three)).toBeCloseTo(3 * bgnbdLogLikelihood(p, one), 12);
  });

  it('the median wait for the next purchase of an active customer is (α+T)(2^(1/(r+x)) − 1)', () => {
    // r + x = 1, α + T = 10: half of the customers buy within 10 units.
    expect(medianTimeToNextPurchase({ r: 0.5, alpha: 4, a: 1, b: 1 }, 0.5, 6)).toBeCloseTo(10, 12);
    expect(medianTimeToNextPurchase({ r: 1, alpha: 4, a: 1, b: 1 }, 1, 6)).toBeCloseTo(10 * (Math.SQRT2 - 1), 12);
  });
});

describe('Gamma-Gamma', () => {
  const gg = { p: 2, q: 3, gamma: 4 };

  it('shrinks a customer\'s mean spend towards the population mean pγ/(q−1), less so with more purchases', () => {
    expect(expectedAverageOrderValue(gg, 0, 0, 10)).toBe(2 * (4 + 10) / (2 + 2)); // one purchase of 10: the update with x = 1
    expect(expectedAverageOrderValue(gg, 0, 0)).toBe(4); // 2·4/2
    expect(expectedAverageOrderValue(gg, 2, 10)).toBe(8); // 2(4 + 20)/(4 + 2)
    expect(expectedAverageOrderValue(gg, 50, 10)).toBeCloseTo((2 * (4 + 500)) / (100 + 2), 12);
  });

  it('the density of one customer with x = 1, m̄ = 1 is Γ(p+q)/(Γ(p)Γ(q)) γ^q m̄^(p−1) / (γ+m̄)^(p+q)', () => {
    // p = 2, q = 3, γ = 4: Γ(5)/(Γ(2)Γ(3)) = 12; 4^3 / 5^5 = 64/3125.
    expect(gammaGammaLogLikelihood(gg, Float64Array.of(1), Float64Array.of(1))).toBeCloseTo(Math.log((12 * 64) / 3125), 12);
  });

  it('measures the correlation of spend with frequency among repeat buyers only', () => {
    expect(spendFrequencyCorrelation(Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 10, 20, 30))).toBeCloseTo(1, 12);
    expect(spendFrequencyCorrelation(Float64Array.of(1, 2, 3, 4), Float64Array.of(10, 20, 20, 10))).toBeCloseTo(0, 12);
  });
});

describe('CLV', () => {
  it('without discounting, the months add up to the expected purchases over the whole horizon', () => {
    const p = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const total = discountedExpectedPurchases(p, 2, 30.43, 38.86, { horizonMonths: 12, monthlyDiscountRate: 0, unitDays: 7 });
    expect(total).toBeCloseTo(conditionalExpectedPurchases(p, (12 * DAYS_PER_MONTH) / 7, 2, 30.43, 38.86), 12);
  });

  it('discounts month m by (1 + d)^m', () => {
    const noDropOut = { r: 2, alpha: 5, a: 1e-3, b: 1e7 };
    // Purchases accrue evenly at (r+x)/(α+T) per unit: here 0.1 per day, 30.44 a month.
    const perMonth = ((2 + 0) / (5 + 15)) * DAYS_PER_MONTH;
    const expected = perMonth / 1.1 + perMonth / 1.1 ** 2;
    expect(discountedExpectedPurchases(noDropOut, 0, 0, 15, { horizonMonths: 2, monthlyDiscountRate: 0.1, unitDays: 1 })).toBeCloseTo(expected, 3);
  });
});

describe('BG/NBD expectations when customers hardly differ in drop-out (large a and b)', () => {
  it('the quadrature for large a agrees with the hypergeometric series where both apply', () => {
    // a = 31 is just past the series' limit; a = 29.99 just below: the two routes must meet.
    const below = { r: 0.7, alpha: 5, a: 29.99, b: 120 };
    const above = { r: 0.7, alpha: 5, a: 30.01, b: 120.08 };
    for (const [t, x, T] of [[10, 0, 0], [39, 2, 38], [100, 7, 60]] as const) {
      expect(conditionalExpectedPurchases(above, t, x, x > 0 ? T - 3 : 0, T) / conditionalExpectedPurchases(below, t, x, x > 0 ? T - 3 : 0, T)).toBeCloseTo(1, 3);
    }
  });

  it('tends to the fixed drop-out limit (1 − (α/(α+pt))^r)/p as a + b grows', () => {
    const p = 0.015;
    const limit = (1 - Math.pow(8 / (8 + p * 150), 2.25)) / p;
    expect(expectedRepeatPurchases({ r: 2.25, alpha: 8, a: p * 1e6, b: (1 - p) * 1e6 }, 150) / limit).toBeCloseTo(1, 4);
  });
});

describe('numerical edge cases', () => {
  it('large a with b < 1 (a density infinite at q = 1): the quadrature meets the series across the switch', () => {
    for (const b of [0.05, 0.5, 0.9]) {
      for (const [t, T] of [[10, 0], [39, 20], [100, 5]] as const) {
        const below = conditionalExpectedPurchases({ r: 0.7, alpha: 5, a: 29.999, b }, t, 0, 0, T);
        const above = conditionalExpectedPurchases({ r: 0.7, alpha: 5, a: 30.001, b }, t, 0, 0, T);
        expect(Math.abs(above / below - 1), `b ${b}, t ${t}, T ${T}`).toBeLessThan(1e-5);
      }
    }
  });

  it('a + b = 1 exactly (a 0/0 in the closed form) still gives the value its neighbours agree on', () => {
    const at = expectedRepeatPurchases({ r: 0.3, alpha: 0.7, a: 0.3, b: 0.7 }, 10);
    const near = expectedRepeatPurchases({ r: 0.3, alpha: 0.7, a: 0.3 + 1e-7, b: 0.7 }, 10);
    expect(Number.isFinite(at)).toBe(true);
    expect(Math.abs(at / near - 1)).toBeLessThan(1e-5);
  });
});

describe('prediction tokens', () => {
  it('give the next purchase as the Monday of its week', () => {
    expect(weekOf(Date.parse('2026-11-23T10:00:00Z'))).toBe('2026-11-23'); // a Monday
    expect(weekOf(Date.parse('2026-11-29T23:59:59Z'))).toBe('2026-11-23'); // the Sunday after
    expect(weekOf(Date.parse('2026-12-01T00:00:00Z'))).toBe('2026-11-30');
    expect(weekOf(Number.NaN)).toBe('');
  });
});
