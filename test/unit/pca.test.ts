import { describe, expect, it } from 'vitest';

import { matrixFromRows } from '../../src/segmentation/matrix.js';
import { pca2d } from '../../src/segmentation/pca.js';

function pairs(points: Float64Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i += 2) out.push([points[i]!, points[i + 1]!]);
  return out;
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 10));
}

describe('pca2d', () => {
  it('puts all the variance of points on the line y = 2x on PC1, loadings ∝ (1, 2)/√5', () => {
    const result = pca2d(matrixFromRows([[1, 2], [2, 4], [3, 6], [4, 8], [5, 10]]), ['x', 'y']);
    expectClose(result.explainedVariance, [1, 0]);
    expectClose(
      result.loadings.map((l) => l.pc1),
      [1 / Math.sqrt(5), 2 / Math.sqrt(5)],
    );
    expect(result.loadings.map((l) => l.feature)).toEqual(['x', 'y']);
    // Centered x runs −2..2; its projection is (c, 2c)·(1, 2)/√5 = √5·c.
    const s5 = Math.sqrt(5);
    expectClose(
      pairs(result.points).map((p) => p[0]),
      [-2 * s5, -s5, 0, s5, 2 * s5],
    );
    expectClose(
      pairs(result.points).map((p) => p[1]),
      [0, 0, 0, 0, 0],
    );
    expect(result.components).toBe(2);
  });

  it('projects a hand-computed 2-D example after centering', () => {
    // Centered points (3,3), (−3,−3), (1,−1), (−1,1), shifted by (10, 20).
    // Covariance [[20/3, 16/3], [16/3, 20/3]]: eigenvalues 12 along (1,1)/√2 and 4/3 along
    // (1,−1)/√2, so shares 12 / (40/3) = 0.9 and 0.1.
    const result = pca2d(matrixFromRows([[13, 23], [7, 17], [11, 19], [9, 21]]), ['a', 'b']);
    expectClose(result.explainedVariance, [0.9, 0.1]);
    const r = Math.SQRT1_2;
    expectClose(
      result.loadings.flatMap((l) => [l.pc1, l.pc2]),
      [r, r, r, -r],
    );
    const s2 = Math.SQRT2;
    expectClose(Array.from(result.points), [3 * s2, 0, -3 * s2, 0, 0, s2, 0, -s2]);
  });

  it('makes the largest-|loading| entry of each component positive', () => {
    // y = −3x: PC1 ∝ (1, −3), flipped to (−1, 3)/√10 so the −3 becomes +3.
    const result = pca2d(matrixFromRows([[0, 0], [1, -3], [2, -6]]), ['x', 'y']);
    const s10 = Math.sqrt(10);
    expectClose(
      result.loadings.map((l) => l.pc1),
      [-1 / s10, 3 / s10],
    );
    // Centered x: −1, 0, 1 → (c, −3c)·(−1, 3)/√10 = −√10·c.
    expectClose(
      pairs(result.points).map((p) => p[0]),
      [s10, 0, -s10],
    );
  });

  it('gives mirrored data the same loadings and mirrored points', () => {
    const rows = [[1, 5, 2], [4, 1, 0], [2, 2, 7], [8, 3, 1], [0, 6, 4]];
    const a = pca2d(matrixFromRows(rows), ['p', 'q', 'r']);
    const b = pca2d(matrixFromRows(rows.map((row) => row.map((v) => -v))), ['p', 'q', 'r']);
    expectClose(
      b.loadings.flatMap((l) => [l.pc1, l.pc2]),
      a.loadings.flatMap((l) => [l.pc1, l.pc2]),
    );
    expectClose(
      Array.from(b.points),
      Array.from(a.points, (v) => -v),
    );
    const largest = (key: 'pc1' | 'pc2'): number => a.loadings.reduce((best, l) => (Math.abs(l[key]) > Math.abs(best) ? l[key] : best), 0);
    expect(largest('pc1')).toBeGreaterThan(0);
    expect(largest('pc2')).toBeGreaterThan(0);
  });

  it('handles one column: PC1 is the centered column, PC2 all zeros with no variance', () => {
    const result = pca2d(matrixFromRows([[1], [2], [3], [6]]), ['spend']);
    expect(result.explainedVariance).toEqual([1, 0]);
    expect(result.loadings).toEqual([{ feature: 'spend', pc1: 1, pc2: 0 }]);
    expect(pairs(result.points)).toEqual([[-2, 0], [-1, 0], [0, 0], [3, 0]]);
  });

  it('explains nothing when the data has no variance', () => {
    const result = pca2d(matrixFromRows([[4, 4], [4, 4]]), ['a', 'b']);
    expect(result.explainedVariance).toEqual([0, 0]);
    expect(Array.from(result.points)).toEqual([0, 0, 0, 0]);
  });
});
