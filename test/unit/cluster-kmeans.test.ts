import { describe, expect, it } from 'vitest';

import { assignNearest, kmeansFit } from '../../src/segmentation/cluster/kmeans.js';
import { matrixFromRows, matrixToRows, type Matrix } from '../../src/segmentation/matrix.js';
import { seededRandom } from '../../src/segmentation/random.js';

/** `count` points scattered uniformly in a unit square around (cx, cy). */
function blob(cx: number, cy: number, count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [cx + random() - 0.5, cy + random() - 0.5]);
}

const oneD = (values: number[]) => matrixFromRows(values.map((v) => [v]));

/**
 * `rows` × `cols` drawn from `clusters` overlapping Gaussians (seeded): centres uniform in
 * [−4, 4]^cols, standard deviations 1–2, equal weights. As bench/kmeans-sklearn.ts draws its data.
 */
function mixture(rows: number, cols: number, clusters: number, seed: number): Matrix {
  const random = seededRandom(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: cols }, () => random() * 8 - 4));
  const spreads = Array.from({ length: clusters }, () => 1 + random());
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const j = Math.floor(random() * clusters);
    for (let c = 0; c < cols; c++) {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      data[i * cols + c] = centres[j]![c]! + spreads[j]! * normal;
    }
  }
  return { rows, cols, data };
}

const scaled = (m: Matrix, factor: number): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data.map((v) => v * factor) });

describe('kmeansFit', () => {
  it('splits two obvious blobs into two clusters with the right members', () => {
    const data = matrixFromRows([...blob(0, 0, 30, 1), ...blob(10, 10, 20, 2)]);
    const fit = kmeansFit(data, 2);

    // The bigger blob (rows 0..29) is cluster 0, the smaller (rows 30..49) cluster 1.
    expect(Array.from(fit.labels)).toEqual([...Array(30).fill(0), ...Array(20).fill(1)]);
    expect(fit.centroids.rows).toBe(2);
    expect(fit.centroids.cols).toBe(2);
    const [big, small] = matrixToRows(fit.centroids);
    expect(big![0]).toBeCloseTo(0, 0);
    expect(small![0]).toBeCloseTo(10, 0);
    expect(fit.sampled).toBe(false);
    expect(fit.converged).toBe(true);
    expect(fit.restarts).toBe(8);
  });

  it('gives identical labels and centroids for the same input and seed', () => {
    const data = matrixFromRows([...blob(0, 0, 40, 3), ...blob(3, 0, 40, 4), ...blob(0, 3, 40, 5)]);
    const a = kmeansFit(data, 3, { seed: 7 });
    const b = kmeansFit(data, 3, { seed: 7 });
    expect(b.labels).toEqual(a.labels);
    expect(b.centroids.data).toEqual(a.centroids.data);
    expect(b.inertia).toBe(a.inertia);
  });

  it('has inertia 4 for 0, 2 | 10, 12 in 1-D with k = 2 (four points each 1 from their centre)', () => {
    const fit = kmeansFit(oneD([0, 2, 10, 12]), 2);
    expect(fit.inertia).toBeCloseTo(4, 12);
    // Equal sizes: the tie goes to the centroid with the smaller first coordinate.
    expect(Array.from(fit.centroids.data)).toEqual([1, 11]);
    expect(Array.from(fit.labels)).toEqual([0, 0, 1, 1]);
  });

  it('orders clusters by descending size', () => {
    const fit = kmeansFit(oneD([0, 1, 50, 51, 52]), 2);
    expect(Array.from(fit.centroids.data)).toEqual([51, 0.5]);
    expect(Array.from(fit.labels)).toEqual([1, 1, 0, 0, 0]);
  });

  it('puts every row in one cluster at its mean when k = 1', () => {
    const fit = kmeansFit(oneD([1, 2, 6]), 1);
    expect(Array.from(fit.centroids.data)).toEqual([3]);
    expect(fit.inertia).toBeCloseTo(4 + 1 + 9, 12);
  });

  it('still finds the blobs when the restarts run on a sample', () => {
    const rows = [...blob(0, 0, 300, 6), ...blob(10, 10, 200, 7)];
    const fit = kmeansFit(matrixFromRows(rows), 2, { sampleSize: 40 });
    expect(fit.sampled).toBe(true);
    expect(Array.from(fit.labels)).toEqual([...Array(300).fill(0), ...Array(200).fill(1)]);
    // Inertia covers ALL rows: the same as assigning every row to the final centroids.
    const check = assignNearest(matrixFromRows(rows), fit.centroids);
    expect(fit.inertia).toBeCloseTo(check.distances.reduce((sum, v) => sum + v, 0), 9);
  });

  it('finds the same clusters whatever the units of the data (the tolerance is relative to its variance)', () => {
    // Amounts in cents or in millions: the stopping rule scales with the data, as scikit-learn's tol.
    const data = mixture(3_000, 3, 4, 11);
    const reference = kmeansFit(data, 4, { restarts: 1 });
    for (const factor of [1e-4, 1e4]) {
      const fit = kmeansFit(scaled(data, factor), 4, { restarts: 1 });
      expect(fit.labels).toEqual(reference.labels);
      expect(fit.inertia / (reference.inertia * factor * factor)).toBeCloseTo(1, 9);
    }
  });

  it('ends within 0.1% of the best inertia of scikit-learn KMeans(n_init=10) when the restarts run on a sample', () => {
    // 30,000 × 6 rows, 8 overlapping clusters, k = 8: above the 20,000-row sample. Reference:
    // scikit-learn 1.2.1 KMeans(8, n_init=10, random_state=0).fit(X).inertia_ on exactly these
    // rows (mixture(30_000, 6, 8, 2) written as float64 and read with numpy.fromfile).
    const sklearnBestOf10 = 499395.10885514575;
    const fit = kmeansFit(mixture(30_000, 6, 8, 2), 8);
    expect(fit.sampled).toBe(true);
    expect(fit.inertia / sklearnBestOf10).toBeLessThanOrEqual(1.001);
  });

  it('rejects impossible input with a RangeError that says what is wrong', () => {
    expect(() => kmeansFit(oneD([1, 2]), 0)).toThrow(RangeError);
    expect(() => kmeansFit(oneD([1, 2]), 3)).toThrow(/k = 3 is more than the 2 rows/);
    expect(() => kmeansFit({ rows: 0, cols: 2, data: new Float64Array(0) }, 1)).toThrow(/empty/);
    expect(() => kmeansFit(matrixFromRows([[1, 2], [3, Number.NaN]]), 1)).toThrow(/NaN at row 1, column 1/);
    expect(() => kmeansFit(oneD([5, 5, 5]), 2)).toThrow(/only 1 distinct rows/);
  });
});

describe('assignNearest', () => {
  it('gives each row its nearest centroid, the squared distance to it and to the next nearest', () => {
    const data = matrixFromRows([[0, 0], [4, 0], [1, 1]]);
    const centroids = matrixFromRows([[0, 0], [3, 0], [0, 3]]);
    const { labels, distances, secondDistances } = assignNearest(data, centroids);

    expect(Array.from(labels)).toEqual([0, 1, 0]);
    // (0,0): 0 to A, 9 to B and C. (4,0): 1 to B, 16 to A. (1,1): 2 to A, 4+1 = 5 to B and C.
    expect(Array.from(distances)).toEqual([0, 1, 2]);
    expect(Array.from(secondDistances)).toEqual([9, 16, 5]);
  });

  it('gives the tie to the lower centroid index and Infinity as second distance for one centroid', () => {
    expect(Array.from(assignNearest(oneD([5]), oneD([4, 6])).labels)).toEqual([0]);
    expect(Array.from(assignNearest(oneD([5]), oneD([4])).secondDistances)).toEqual([Infinity]);
  });
});
