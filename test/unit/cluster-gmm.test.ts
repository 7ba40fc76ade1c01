import { describe, expect, it } from 'vitest';

import { gmmFit } from '../../src/segmentation/cluster/gmm.js';
import { matrixFromRows, matrixToRows } from '../../src/segmentation/matrix.js';
import { seededRandom } from '../../src/segmentation/random.js';

/** `count` normal points (Box–Muller) with the given centre and per-axis spread. */
function gaussianBlob(cx: number, cy: number, sx: number, sy: number, count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    return [cx + sx * r * Math.cos(angle), cy + sy * r * Math.sin(angle)];
  });
}

const LOG_2PI = Math.log(2 * Math.PI);

describe('gmmFit', () => {
  it('with k = 1 and diagonal covariance, equals the closed form: mean, MLE variances, log-likelihood', () => {
    // Corners of a 2×4 rectangle: mean (1, 2), variances 1 and 4 (divided by n, not n − 1).
    const data = matrixFromRows([[0, 0], [2, 0], [0, 4], [2, 4]]);
    const fit = gmmFit(data, 1, { regularization: 0 });

    expect(Array.from(fit.weights)).toEqual([1]);
    expect(Array.from(fit.means.data)).toEqual([1, 2]);
    expect(Array.from(fit.covariances[0]!)).toEqual([1, 4]);
    // Every point is 1 standard deviation from the mean on both axes, so each contributes
    // −½(2·ln 2π + ln 1 + ln 4 + 1 + 1).
    const logLikelihood = 4 * -0.5 * (2 * LOG_2PI + Math.log(4) + 2);
    expect(fit.logLikelihood).toBeCloseTo(logLikelihood, 10);
    // Parameters: 2 means + 2 variances + 0 free weights.
    expect(fit.parameters).toBe(4);
    expect(fit.bic).toBeCloseTo(4 * Math.log(4) - 2 * logLikelihood, 10);
    expect(fit.aic).toBeCloseTo(2 * 4 - 2 * logLikelihood, 10);
    expect(Array.from(fit.labels)).toEqual([0, 0, 0, 0]);
    expect(fit.covariance).toBe('diagonal');
    expect(fit.converged).toBe(true);
  });

  it('with k = 1 and full covariance, gives the MLE covariance matrix', () => {
    // (0,0), (1,1), (2,2), (3,1): mean (1.5, 1); var x = 1.25, var y = 0.5, cov = (−1.5·−1 + −0.5·0 + 0.5·1 + 1.5·0)/4 = 0.5.
    const fit = gmmFit(matrixFromRows([[0, 0], [1, 1], [2, 2], [3, 1]]), 1, { covariance: 'full', regularization: 0 });
    expect(Array.from(fit.means.data)).toEqual([1.5, 1]);
    const covariance = Array.from(fit.covariances[0]!);
    [1.25, 0.5, 0.5, 0.5].forEach((v, t) => expect(covariance[t]).toBeCloseTo(v, 12));
    // Full: 2 means + 3 covariance entries.
    expect(fit.parameters).toBe(5);
    // ln N for each point with Σ = [[1.25, .5], [.5, .5]]: det = .375, Σ⁻¹ = [[.5, −.5], [−.5, 1.25]]/.375.
    const maha = [[-1.5, -1], [-0.5, 0], [0.5, 1], [1.5, 0]].map(
      ([a, b]) => (0.5 * a! * a! - a! * b! + 1.25 * b! * b!) / 0.375,
    );
    const logLikelihood = maha.reduce((sum, q) => sum - 0.5 * (2 * LOG_2PI + Math.log(0.375) + q), 0);
    expect(fit.logLikelihood).toBeCloseTo(logLikelihood, 10);
  });

  for (const covariance of ['diagonal', 'full'] as const) {
    it(`recovers two separated blobs with ${covariance} covariance, heavier component first`, () => {
      const rows = [...gaussianBlob(0, 0, 1, 1, 120, 1), ...gaussianBlob(12, 8, 0.5, 2, 80, 2)];
      const fit = gmmFit(matrixFromRows(rows), 2, { covariance });

      expect(Array.from(fit.labels)).toEqual([...Array(120).fill(0), ...Array(80).fill(1)]);
      expect(fit.weights[0]).toBeCloseTo(0.6, 6);
      expect(fit.weights[1]).toBeCloseTo(0.4, 6);
      const [first, second] = matrixToRows(fit.means);
      expect(first![0]).toBeCloseTo(0, 0);
      expect(second![0]).toBeCloseTo(12, 0);
      expect(second![1]).toBeCloseTo(8, 0);
      // The second blob is narrow in x and wide in y.
      const spread = fit.covariances[1]!;
      const [varX, varY] = covariance === 'diagonal' ? [spread[0]!, spread[1]!] : [spread[0]!, spread[3]!];
      expect(varX).toBeLessThan(0.5);
      expect(varY).toBeGreaterThan(2);
      expect(fit.converged).toBe(true);
      expect(fit.parameters).toBe(covariance === 'diagonal' ? 2 * 2 + 2 * 2 + 1 : 2 * 2 + 2 * 3 + 1);
    });
  }

  it('captures the direction of correlation with full covariance', () => {
    const random = seededRandom(4);
    const along = Array.from({ length: 200 }, () => random() * 10);
    const rising = along.map((t) => [t, t + random() - 0.5]);
    const falling = along.map((t) => [t, -t + random() - 0.5]);

    expect(gmmFit(matrixFromRows(rising), 1, { covariance: 'full' }).covariances[0]![1]).toBeGreaterThan(5);
    expect(gmmFit(matrixFromRows(falling), 1, { covariance: 'full' }).covariances[0]![2]).toBeLessThan(-5);
    // On correlated data the full model fits better despite its extra parameter.
    const data = matrixFromRows(rising);
    expect(gmmFit(data, 1, { covariance: 'full' }).bic).toBeLessThan(gmmFit(data, 1).bic);
  });

  it('is deterministic for the same seed', () => {
    const rows = [...gaussianBlob(0, 0, 1, 1, 60, 5), ...gaussianBlob(3, 3, 1, 1, 60, 6), ...gaussianBlob(0, 4, 1, 1, 60, 7)];
    const a = gmmFit(matrixFromRows(rows), 3, { covariance: 'full', seed: 11 });
    const b = gmmFit(matrixFromRows(rows), 3, { covariance: 'full', seed: 11 });
    expect(b.labels).toEqual(a.labels);
    expect(b.means.data).toEqual(a.means.data);
    expect(b.logLikelihood).toBe(a.logLikelihood);
    expect(b.iterations).toBe(a.iterations);
  });

  it('above sampleSize fits on a sample but labels and scores every row', () => {
    const rows = [...gaussianBlob(0, 0, 1, 1, 300, 8), ...gaussianBlob(10, 10, 1, 1, 200, 9)];
    const data = matrixFromRows(rows);
    const fit = gmmFit(data, 2, { sampleSize: 60 });
    expect(Array.from(fit.labels)).toEqual([...Array(300).fill(0), ...Array(200).fill(1)]);
    // The log-likelihood is over all 500 rows: close to the one of a fit on all of them.
    const full = gmmFit(data, 2);
    expect(Math.abs(fit.logLikelihood - full.logLikelihood) / 500).toBeLessThan(0.1);
    expect(fit.bic).toBeCloseTo(fit.parameters * Math.log(500) - 2 * fit.logLikelihood, 8);
  });

  it('rejects impossible input', () => {
    const data = matrixFromRows([[0], [1]]);
    expect(() => gmmFit(data, 3)).toThrow(RangeError);
    expect(() => gmmFit(data, 0)).toThrow(/k must be/);
    expect(() => gmmFit(matrixFromRows([[0], [Number.NaN]]), 1)).toThrow(/NaN at row 1, column 0/);
    expect(() => gmmFit(matrixFromRows([[1], [1]]), 1, { regularization: 0 })).toThrow(/not positive definite/);
  });
});
