import { describe, expect, it } from 'vitest';

import { matrixToRows } from '../../src/segmentation/matrix.js';
import {
  DEFAULT_PREPARATION,
  prepareFeatures,
  quantileSorted,
  type FeatureTable,
  type PreparationOverrides,
  type PreparationStep,
  type PreparedMatrix,
} from '../../src/segmentation/preparation.js';

/** Only the step under test: no imputation, capping, log or scaling unless asked for. */
const PLAIN: PreparationOverrides = { impute: false, outliers: { method: 'none' }, log: 'none', scaling: 'none' };

function numericTable(values: number[], extra: { key?: string; skewed?: boolean } = {}): FeatureTable {
  return {
    rows: values.length,
    numeric: [{ key: extra.key ?? 'x', values: Float64Array.from(values), skewed: extra.skewed }],
    categorical: [],
  };
}

/** The per-column steps of one stage (the "… off" lines have column null). */
function stepsOf(result: PreparedMatrix, stage: PreparationStep['step']): PreparationStep[] {
  return result.steps.filter((s) => s.step === stage && s.column !== null);
}

function column(table: FeatureTable, options: PreparationOverrides, index = 0): number[] {
  return matrixToRows(prepareFeatures(table, options).matrix).map((row) => row[index]!);
}

describe('quantileSorted (linear interpolation, type 7)', () => {
  it('interpolates between order statistics at h = (n − 1)·p', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
    // h = 9 × 0.25 = 2.25 → 3 + 0.25 × (4 − 3); h = 9 × 0.75 = 6.75 → 7 + 0.75 × (8 − 7).
    expect(quantileSorted(sorted, 0.25)).toBe(3.25);
    expect(quantileSorted(sorted, 0.75)).toBe(7.75);
    expect(quantileSorted(sorted, 0.5)).toBe(5.5);
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 1)).toBe(100);
  });
});

describe('prepareFeatures: imputation', () => {
  it('fills missing numbers with the median of the present ones and counts them', () => {
    const result = prepareFeatures(numericTable([1, NaN, 3, 10, NaN]), { ...PLAIN, impute: true });
    expect(matrixToRows(result.matrix)).toEqual([[1], [3], [3], [10], [3]]);
    expect(result.steps[0]).toMatchObject({ step: 'impute', column: 'x', count: 2, detail: 'imputed 2 missing values with the median 3' });
    expect(result.fitted[0]!.median).toBe(3);
  });

  it('takes the mean of the two middle values as the median of an even count', () => {
    expect(column(numericTable([2, NaN, 4, 8, 6]), { ...PLAIN, impute: true })).toEqual([2, 5, 4, 8, 6]);
  });

  it('still records the step, with count 0, when nothing is missing', () => {
    const result = prepareFeatures(numericTable([4, 1, 7]), { ...PLAIN, impute: true });
    expect(result.steps[0]).toMatchObject({ step: 'impute', count: 0, detail: 'no missing values (median 4)' });
  });

  it('fills missing categories with the mode, the alphabetically first of a tie', () => {
    const table: FeatureTable = {
      rows: 6,
      numeric: [],
      categorical: [{ key: 'country', values: ['FR', null, 'DE', 'FR', 'DE', null] }],
    };
    const result = prepareFeatures(table, { ...PLAIN, impute: true });
    expect(result.columns).toEqual(['country=DE', 'country=FR']);
    expect(matrixToRows(result.matrix)).toEqual([[0, 1], [1, 0], [1, 0], [0, 1], [1, 0], [1, 0]]);
    expect(result.steps[0]).toMatchObject({ step: 'impute', column: 'country', count: 2, detail: 'imputed 2 missing values with the mode "DE"' });
  });

  it('leaves missing values alone when imputation is off: NaN, and 0 in every indicator column', () => {
    const table: FeatureTable = {
      rows: 3,
      numeric: [{ key: 'x', values: Float64Array.from([1, NaN, 3]) }],
      categorical: [{ key: 'c', values: ['a', null, 'b'] }],
    };
    const result = prepareFeatures(table, PLAIN);
    expect(result.columns).toEqual(['x', 'c=a', 'c=b']);
    expect(matrixToRows(result.matrix)).toEqual([[1, 1, 0], [NaN, 0, 0], [3, 0, 1]]);
    expect(result.steps.map((s) => s.detail)).toContain('imputation off: 1 missing value left as NaN');
  });

  it('drops a numeric column that is entirely missing, saying so first', () => {
    const table: FeatureTable = {
      rows: 3,
      numeric: [
        { key: 'empty', values: Float64Array.from([NaN, NaN, NaN]) },
        { key: 'x', values: Float64Array.from([1, 2, 3]) },
      ],
      categorical: [],
    };
    const result = prepareFeatures(table);
    expect(result.columns).toEqual(['x']);
    expect(result.fitted.map((f) => f.key)).toEqual(['x']);
    expect(result.steps[0]).toEqual({ step: 'drop', column: 'empty', detail: 'dropped: all 3 values are missing', count: 3 });
  });
});

describe('prepareFeatures: outlier capping', () => {
  it('caps at Tukey fences Q1 − 1.5·IQR and Q3 + 1.5·IQR by default', () => {
    // Sorted: -20, 2, 3, 4, 5, 6, 7, 8, 9, 100 → Q1 = 3.25, Q3 = 7.75, IQR = 4.5,
    // fences 3.25 − 6.75 = −3.5 and 7.75 + 6.75 = 14.5.
    const table = numericTable([100, 2, 3, 4, 5, 6, 7, 8, 9, -20]);
    const result = prepareFeatures(table, { ...PLAIN, outliers: { method: 'iqr', factor: 1.5 } });
    expect(column(table, { ...PLAIN, outliers: { method: 'iqr', factor: 1.5 } })).toEqual([14.5, 2, 3, 4, 5, 6, 7, 8, 9, -3.5]);
    expect(result.fitted[0]).toMatchObject({ lowerFence: -3.5, upperFence: 14.5 });
    expect(stepsOf(result, 'cap')[0]).toMatchObject({
      column: 'x',
      count: 2,
      detail: 'capped 1 value below -3.5 and 1 above 14.5 (Tukey fences Q1 − 1.5·IQR, Q3 + 1.5·IQR with Q1 3.25, Q3 7.75, IQR 4.5)',
    });
  });

  it('caps at mean ± factor·sd (population sd) with the zscore method', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sd 2; factor 1 → fences 3 and 7 (7 itself stays).
    const table = numericTable([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(column(table, { ...PLAIN, outliers: { method: 'zscore', factor: 1 } })).toEqual([3, 4, 4, 4, 5, 5, 7, 7]);
  });

  it('uses factor 3 for zscore when none is given, and records a cap that changed nothing', () => {
    const table = numericTable([2, 4, 4, 4, 5, 5, 7, 9]);
    const result = prepareFeatures(table, { ...PLAIN, outliers: { method: 'zscore' } });
    expect(matrixToRows(result.matrix).map((row) => row[0])).toEqual([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(stepsOf(result, 'cap')[0]).toMatchObject({ count: 0, detail: 'capped 0 values below -1 and 0 above 11 (mean 5 ± 3·sd 2)' });
  });
});

describe('prepareFeatures: log transform', () => {
  // One big spender among ten: sample skewness G1 = √10 ≈ 3.16.
  const spike = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1000];

  it('applies log1p in auto mode to a skewed money column only', () => {
    const table: FeatureTable = {
      rows: 10,
      numeric: [
        { key: 'monetary', values: Float64Array.from(spike), skewed: true },
        { key: 'visits', values: Float64Array.from(spike) },
        { key: 'even', values: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), skewed: true },
      ],
      categorical: [],
    };
    const result = prepareFeatures(table, { ...PLAIN, log: 'auto' });
    const rows = matrixToRows(result.matrix);
    expect(rows[9]).toEqual([Math.log1p(1000), 1000, 10]);
    expect(rows[0]).toEqual([0, 0, 1]);
    expect(result.fitted.map((f) => f.log)).toEqual([true, false, false]);
    expect(stepsOf(result, 'log').map((s) => s.detail)).toEqual([
      'log1p applied to 10 values: skewness 3.16228 > 1 and min 0 ≥ 0',
      'not log-transformed: not a money, count or days column',
      'not log-transformed: skewness 0 ≤ 1',
    ]);
  });

  it('does not log a skewed money column with negative values', () => {
    const result = prepareFeatures(numericTable([-5, 0, 0, 0, 0, 0, 0, 0, 0, 1000], { skewed: true }), { ...PLAIN, log: 'auto' });
    expect(result.fitted[0]!.log).toBe(false);
    expect(stepsOf(result, 'log')[0]!.detail).toBe('not log-transformed: column with negative values (min -5)');
  });

  it('applies log1p to exactly the listed columns', () => {
    const table: FeatureTable = {
      rows: 2,
      numeric: [
        { key: 'a', values: Float64Array.from([0, 3]) },
        { key: 'b', values: Float64Array.from([0, 3]), skewed: true },
      ],
      categorical: [],
    };
    expect(matrixToRows(prepareFeatures(table, { ...PLAIN, log: ['a'] }).matrix)).toEqual([[0, 0], [Math.log1p(3), 3]]);
  });

  it('caps in log units, so a skewed money column keeps its top customers', () => {
    // 2^k − 1 for k = 1..10: log1p gives k·ln 2, evenly spaced, so no fence is crossed
    // (in money units Q3 + 1.5·IQR = 223 + 321 = 544 would have capped 1023).
    const values = [1, 3, 7, 15, 31, 63, 127, 255, 511, 1023];
    const result = prepareFeatures(numericTable(values, { skewed: true }), { ...PLAIN, log: 'auto', outliers: { method: 'iqr', factor: 1.5 } });
    const ln2 = Math.LN2;
    expect(result.fitted[0]!.lowerFence).toBeCloseTo(-3.5 * ln2, 12);
    expect(result.fitted[0]!.upperFence).toBeCloseTo(14.5 * ln2, 12);
    expect(stepsOf(result, 'cap')[0]).toMatchObject({ count: 0 });
    // The fences back in money units: 2^−3.5 − 1 ≈ −0.911612 and 2^14.5 − 1 = 16384·√2 − 1 ≈ 23169.5.
    expect(stepsOf(result, 'cap')[0]!.detail).toContain('i.e. -0.911612 and 23169.5 in original units');
    matrixToRows(result.matrix).forEach((row, k) => expect(row[0]).toBeCloseTo((k + 1) * ln2, 12));
  });
});

describe('prepareFeatures: scaling', () => {
  const table = numericTable([2, 4, 4, 4, 5, 5, 7, 9]);

  it('z-scores with the mean and population sd', () => {
    // mean 5, sd 2
    const result = prepareFeatures(table, { ...PLAIN, scaling: 'zscore' });
    expect(matrixToRows(result.matrix).map((row) => row[0])).toEqual([-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2]);
    expect(result.fitted[0]).toMatchObject({ center: 5, scale: 2 });
    expect(stepsOf(result, 'scale')[0]!.detail).toBe('standardized as (x − mean 5) / sd 2 (population sd)');
  });

  it('min-max scales to [0, 1]', () => {
    const scaled = column(table, { ...PLAIN, scaling: 'minmax' });
    [0, 2 / 7, 2 / 7, 2 / 7, 3 / 7, 3 / 7, 5 / 7, 1].forEach((expected, i) => expect(scaled[i]).toBeCloseTo(expected, 12));
  });

  it('turns a constant column into zeros and reports it', () => {
    const result = prepareFeatures(numericTable([5, 5, 5]));
    expect(matrixToRows(result.matrix)).toEqual([[0], [0], [0]]);
    expect(result.fitted[0]).toMatchObject({ center: 5, scale: 1 });
    expect(stepsOf(result, 'scale')[0]!.detail).toBe('constant column (every value is 5): set to 0');
  });
});

describe('prepareFeatures: one-hot', () => {
  const table: FeatureTable = {
    rows: 7,
    numeric: [{ key: 'x', values: Float64Array.from([10, 20, 30, 40, 50, 60, 70]) }],
    categorical: [{ key: 'tier', values: ['a', 'b', 'a', 'c', 'b', 'a', 'd'] }],
  };

  it('gives the most frequent categories a column each and the rest "other", weighted like one numeric column', () => {
    const result = prepareFeatures(table, { oneHot: { maxCategories: 2 } });
    expect(result.columns).toEqual(['x', 'tier=a', 'tier=b', 'tier=other']);
    // Shares 3/7, 2/7, 2/7: block variance Σ p(1 − p) = 32/49, weight 1/√(32/49).
    const weight = 7 / Math.sqrt(32);
    expect(matrixToRows(result.matrix).map((row) => row.slice(1).map((v) => v / weight))).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(result.steps.at(-2)).toMatchObject({
      step: 'one-hot',
      column: 'tier',
      count: 2,
      detail: '2 indicator columns for the most frequent of 4 categories; the other 2 categories (2 rows) share "tier=other"',
    });
  });

  it('has no "other" column when every category fits', () => {
    expect(prepareFeatures(table).columns).toEqual(['x', 'tier=a', 'tier=b', 'tier=c', 'tier=d']);
  });
});

describe('prepareFeatures: the steps list', () => {
  it('runs drop → impute → log → cap → scale → one-hot, each line readable', () => {
    const table: FeatureTable = {
      rows: 5,
      numeric: [
        { key: 'age', values: Float64Array.from([20, NaN, 30, 40, 50]) },
        { key: 'gone', values: Float64Array.from([NaN, NaN, NaN, NaN, NaN]) },
      ],
      categorical: [{ key: 'plan', values: ['gold', 'basic', null, 'basic', 'gold'] }],
    };
    const result = prepareFeatures(table);
    expect(result.steps.map((s) => [s.step, s.column, s.detail])).toEqual([
      ['drop', 'gone', 'dropped: all 5 values are missing'],
      ['impute', 'age', 'imputed 1 missing value with the median 35'],
      ['impute', 'plan', 'imputed 1 missing value with the mode "basic"'],
      ['log', 'age', 'not log-transformed: not a money, count or days column'],
      // imputed: 20, 35, 30, 40, 50 → Q1 30, Q3 40
      ['cap', 'age', 'capped 0 values below 15 and 0 above 55 (Tukey fences Q1 − 1.5·IQR, Q3 + 1.5·IQR with Q1 30, Q3 40, IQR 10)'],
      ['scale', 'age', 'standardized as (x − mean 35) / sd 10 (population sd)'],
      ['one-hot', 'plan', '2 indicator columns for the most frequent of 2 categories; no "other" column needed'],
      ['weight', 'plan', "weighted by 1/√0.48 = 1.44338 (the block's variance Σ p(1 − p)), so the feature counts like one standardized numeric column (variance 1)"],
    ]);
    expect(result.columns).toEqual(['age', 'plan=basic', 'plan=gold']);
    const w = 1 / Math.sqrt(0.48); // basic 3/5, gold 2/5 after imputation
    expect(matrixToRows(result.matrix)).toEqual([
      [-1.5, 0, w],
      [0, w, 0],
      [-0.5, w, 0],
      [0.5, w, 0],
      [1.5, 0, w],
    ]);
    expect(result.fitted).toEqual([{ key: 'age', column: 'age', median: 35, lowerFence: 15, upperFence: 55, log: false, center: 35, scale: 10 }]);
  });

  it('says once when a step is switched off', () => {
    const result = prepareFeatures(numericTable([1, 2, 3]), { log: 'none', outliers: { method: 'none' }, scaling: 'none' });
    expect(result.steps.filter((s) => s.column === null).map((s) => s.detail)).toEqual(['log transform off', 'outlier capping off', 'scaling off']);
  });

  it('defaults to median/mode imputation, IQR 1.5 capping, auto log, z-scores and 10 categories', () => {
    expect(DEFAULT_PREPARATION).toEqual({
      impute: true,
      outliers: { method: 'iqr', factor: 1.5 },
      log: 'auto',
      scaling: 'zscore',
      oneHot: { maxCategories: 10 },
    });
  });
});
