/**
 * The fits recover the parameters of data simulated from the models themselves: a check that does
 * not lean on any published number, over parameter values unlike CDNOW's.
 */
import { describe, expect, it } from 'vitest';
import { distinctTriples, fitBgNbd } from '../../src/segmentation/predict/bgnbd.js';
import { fitGammaGamma } from '../../src/segmentation/predict/gamma-gamma.js';
import { betaVariate, gammaVariate, seededRandom } from '../../src/segmentation/random.js';


describe('BG/NBD on simulated customers', () => {
  it('recovers r = 0.8, α = 6, a = 1.2, b = 4 (weeks) from 20,000 customers observed for 52 weeks, purchases on whole days', () => {
    const random = seededRandom(7);
    const n = 20_000;
    const x = new Float64Array(n);
    const tx = new Float64Array(n);
    const T = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      const lambda = gammaVariate(random, 0.8, 6);
      const p = betaVariate(random, 1.2, 4);
      const horizon = 52;
      let t = 0;
      let purchases = 0;
      let last = 0;
      // A purchase at each Poisson arrival; after each one, the customer leaves with probability p.
      for (;;) {
        t += -Math.log(1 - random()) / lambda;
        if (t > horizon) break;
        purchases++;
        last = t;
        if (random() < p) break;
      }
      // Summaries count whole days, as summarizeCustomers does.
      x[c] = purchases;
      tx[c] = Math.floor(last * 7) / 7;
      T[c] = horizon;
    }
    const fit = fitBgNbd(distinctTriples({ x, tx, T, unitDays: 7 }));
    expect(fit.params.r).toBeCloseTo(0.8, 1);
    expect(fit.params.alpha / 6).toBeGreaterThan(0.9);
    expect(fit.params.alpha / 6).toBeLessThan(1.1);
    expect(fit.params.a / 1.2).toBeGreaterThan(0.8);
    expect(fit.params.a / 1.2).toBeLessThan(1.2);
    expect(fit.params.b / 4).toBeGreaterThan(0.8);
    expect(fit.params.b / 4).toBeLessThan(1.2);
    expect(fit.atBound).toEqual([]);
  });
});

describe('Gamma-Gamma on simulated customers', () => {
  it('recovers p = 4, q = 5, γ = 20 from 10,000 repeat buyers', () => {
    const random = seededRandom(11);
    const n = 10_000;
    const x = new Float64Array(n);
    const mean = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      const nu = gammaVariate(random, 5, 20);
      const purchases = 1 + Math.floor(random() * 8);
      let total = 0;
      for (let k = 0; k < purchases; k++) total += gammaVariate(random, 4, nu);
      x[c] = purchases;
      mean[c] = total / purchases;
    }
    const fit = fitGammaGamma(x, mean);
    expect(fit.params.p / 4).toBeGreaterThan(0.93);
    expect(fit.params.p / 4).toBeLessThan(1.07);
    expect(fit.params.q / 5).toBeGreaterThan(0.9);
    expect(fit.params.q / 5).toBeLessThan(1.1);
    expect(fit.params.gamma / 20).toBeGreaterThan(0.9);
    expect(fit.params.gamma / 20).toBeLessThan(1.1);
  });

  it('runs p to the edge of the search, and says so, when every customer spends the same on each purchase', () => {
    const random = seededRandom(3);
    const n = 2_000;
    const x = new Float64Array(n);
    const mean = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      x[c] = 1 + Math.floor(random() * 5);
      mean[c] = 20 / (0.5 + random()); // each customer's own fixed price, no variation within
    }
    const fit = fitGammaGamma(x, mean);
    expect(fit.atBound).toContain('p');
  });
});
