/**
 * Issue 13: a categorical feature counts like one numeric feature in the distances clustering
 * uses, however many categories it has; with scaling: none the indicators stay exactly 0/1.
 */
import { describe, expect, it } from 'vitest';
import { prepareFeatures, type FeatureTable } from '../../src/segmentation/preparation.js';
import { matrixToRows } from '../../src/segmentation/matrix.js';

const SHARES = [40, 20, 20, 10, 10]; // 5 categories over 100 people
const industries = SHARES.flatMap((count, j) => Array.from({ length: count }, () => `industry${j}`));
const visits = Float64Array.from({ length: 100 }, (_, i) => (i * 37) % 23);
const table: FeatureTable = { rows: 100, numeric: [{ key: 'visits', values: visits }], categorical: [{ key: 'industry', values: industries }] };

/** Mean squared distance between two different people, over the given columns only. */
function meanPairContribution(rows: number[][], columns: number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      for (const c of columns) sum += (rows[a]![c]! - rows[b]![c]!) ** 2;
      pairs++;
    }
  }
  return sum / pairs;
}

describe('categorical weighting', () => {
  it('makes a 5-category feature contribute to squared distances like one standardized numeric feature', () => {
    const result = prepareFeatures(table, { outliers: { method: 'none' }, log: 'none', scaling: 'zscore' });
    expect(result.columns).toEqual(['visits', 'industry=industry0', 'industry=industry1', 'industry=industry2', 'industry=industry3', 'industry=industry4']);
    const rows = matrixToRows(result.matrix);
    const numeric = meanPairContribution(rows, [0]);
    const categorical = meanPairContribution(rows, [1, 2, 3, 4, 5]);
    // A z-scored column: 2·n/(n−1) over pairs of different people; the block, weighted, the same.
    expect(numeric).toBeCloseTo(2 * 100 / 99, 10);
    expect(categorical).toBeCloseTo(numeric, 10);
    // Unweighted, the block would weigh Σ 2p(1−p)·n/(n−1) = 2·0.74·100/99: less than one column here, and
    // up to 2·(1 − 1/m) for m equal categories; the weight is 1/√0.74.
    const step = result.steps.find((s) => s.step === 'weight' && s.column === 'industry');
    expect(step?.parameters).toMatchObject({ blockVariance: expect.closeTo(0.74, 10), weight: expect.closeTo(1 / Math.sqrt(0.74), 10) });
    expect(step?.detail).toContain('counts like one standardized numeric column');
  });

  it('counts like one numeric feature whatever the number of categories', () => {
    for (const m of [2, 5, 10]) {
      const values = Array.from({ length: 100 }, (_, i) => `c${i % m}`);
      const result = prepareFeatures({ rows: 100, numeric: [], categorical: [{ key: 'c', values }] }, { oneHot: { maxCategories: 10 } });
      const rows = matrixToRows(result.matrix);
      expect(meanPairContribution(rows, rows[0]!.map((_, c) => c))).toBeCloseTo(2 * 100 / 99, 10);
    }
  });

  it('is exactly off with scaling: none: raw numbers and 0/1 indicators', () => {
    const result = prepareFeatures(table, { impute: false, outliers: { method: 'none' }, log: 'none', scaling: 'none' });
    const rows = matrixToRows(result.matrix);
    rows.forEach((row, i) => {
      expect(row[0]).toBe(visits[i]);
      const category = Number(industries[i]!.slice('industry'.length));
      expect(row.slice(1)).toEqual([0, 1, 2, 3, 4].map((j) => (j === category ? 1 : 0)));
    });
    expect(result.steps.find((s) => s.step === 'weight')?.detail).toBe('not weighted (scaling off): each indicator column is 0 or 1');
  });
});
