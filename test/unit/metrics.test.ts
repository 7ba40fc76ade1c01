import { describe, expect, it } from 'vitest';

import { createMatrix, type Matrix, matrixFromRows, squaredDistance } from '../../src/segmentation/matrix.js';
import {
  adjustedRandIndex,
  bootstrapStability,
  calinskiHarabasz,
  clusterSizes,
  daviesBouldin,
  dunnIndex,
  silhouette,
  withinClusterSumOfSquares,
} from '../../src/segmentation/metrics.js';
import { seededRandom } from '../../src/segmentation/random.js';

/** A one-column matrix from 1-D points. */
const line = (points: number[]): Matrix => matrixFromRows(points.map((p) => [p]));
const labelsOf = (values: number[]): Int32Array => Int32Array.from(values);

/** Two-column matrix: `count` points uniform in [0,1)² around each of `centers`, labelled by center. */
function blobs(centers: Array<[number, number]>, count: number, seed: number): { data: Matrix; labels: Int32Array } {
  const random = seededRandom(seed);
  const n = centers.length * count;
  const data = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centers.length;
    labels[i] = c;
    data[i * 2] = centers[c]![0] + random();
    data[i * 2 + 1] = centers[c]![1] + random();
  }
  return { data: createMatrix(n, 2, data), labels };
}

/** Nearest-of-two-seeds assignment: label 0 for rows nearer seed row s0 than seed row s1, else 1. */
function assignToSeeds(m: Matrix, s0: number, s1: number): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = squaredDistance(m, i, m, s0) <= squaredDistance(m, i, m, s1) ? 0 : 1;
  return out;
}

/** k-means-like seeding: the first row and the row farthest from it. Finds well-separated blobs. */
function farthestPairAssigner(m: Matrix): Int32Array {
  let far = 0;
  for (let i = 1; i < m.rows; i++) if (squaredDistance(m, i, m, 0) > squaredDistance(m, far, m, 0)) far = i;
  return assignToSeeds(m, 0, far);
}

/** Unstable: whichever two rows happen to come first in the resample. */
const firstTwoRowsAssigner = (m: Matrix): Int32Array => assignToSeeds(m, 0, 1);

/** Plain per-point silhouette, written straight from the definition, as a cross-check. */
function referenceSilhouette(data: Matrix, labels: Int32Array): number {
  const k = Math.max(...labels) + 1;
  let total = 0;
  for (let i = 0; i < data.rows; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < data.rows; j++) {
      if (j === i) continue;
      sums[labels[j]!]! += Math.sqrt(squaredDistance(data, i, data, j));
      counts[labels[j]!]! += 1;
    }
    const own = labels[i]!;
    if (counts[own] === 0) continue; // a singleton scores 0
    const a = sums[own]! / counts[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  }
  return total / data.rows;
}

describe('silhouette', () => {
  it('scores two tight pairs on a line by hand', () => {
    // Points 0, 1 | 4, 5.
    // x=0: a = 1, b = (4 + 5)/2 = 4.5, s = 1 − 1/4.5 = 7/9
    // x=1: a = 1, b = (3 + 4)/2 = 3.5, s = 1 − 1/3.5 = 5/7
    // x=4 and x=5 mirror them: 5/7 and 7/9. Mean = (7/9 + 5/7)/2 = 94/126 = 47/63 ≈ 0.746.
    const result = silhouette(line([0, 1, 4, 5]), labelsOf([0, 0, 1, 1]));
    expect(result.value).toBeCloseTo(47 / 63, 12);
    expect(result.exact).toBe(true);
    expect(result.sampleSize).toBe(4);
  });

  it('gives a point alone in its cluster a score of 0', () => {
    // Points 0, 1 | 10.
    // x=0: a = 1, b = 10, s = 0.9; x=1: a = 1, b = 9, s = 8/9; x=10 is a singleton: 0.
    // Mean = (0.9 + 8/9 + 0)/3 = (81/90 + 80/90)/3 = 161/270.
    expect(silhouette(line([0, 1, 10]), labelsOf([0, 0, 1])).value).toBeCloseTo(161 / 270, 12);
  });

  it('measures Euclidean distance across columns', () => {
    // (0,0), (3,4) | (0,10), (3,14). Within each pair a = 5 (a 3-4-5 triangle).
    // (0,0): to (0,10) 10, to (3,14) √205 → b = (10 + √205)/2. (3,4): to (0,10) √45, to (3,14) 10.
    // By symmetry the second pair mirrors the first.
    const b1 = (10 + Math.sqrt(205)) / 2;
    const b2 = (Math.sqrt(45) + 10) / 2;
    const expected = (1 - 5 / b1 + (1 - 5 / b2)) / 2;
    const data = matrixFromRows([
      [0, 0],
      [3, 4],
      [0, 10],
      [3, 14],
    ]);
    expect(silhouette(data, labelsOf([0, 0, 1, 1])).value).toBeCloseTo(expected, 12);
  });

  it('does not care which numbers name the clusters', () => {
    expect(silhouette(line([0, 1, 4, 5]), labelsOf([7, 7, 2, 2])).value).toBeCloseTo(47 / 63, 12);
  });

  it('scores coincident points in different clusters 0 rather than NaN', () => {
    expect(silhouette(line([3, 3, 3, 3]), labelsOf([0, 0, 1, 1])).value).toBe(0);
  });

  it('rejects a single cluster and a label count that does not match the rows', () => {
    expect(() => silhouette(line([0, 1, 2]), labelsOf([0, 0, 0]))).toThrow(RangeError);
    expect(() => silhouette(line([0, 1, 2]), labelsOf([0, 1]))).toThrow(/3 rows but 2 labels/);
  });

  it('samples above the exact limit, says so, and lands close to the exact value', () => {
    const { data, labels } = blobs(
      [
        [0, 0],
        [2, 0],
        [1, 2],
      ],
      1_000,
      7,
    );
    const exact = silhouette(data, labels);
    const sampled = silhouette(data, labels, { exactLimit: 1_000, sampleSize: 1_000 });
    expect(exact.exact).toBe(true);
    expect(exact.sampleSize).toBe(3_000);
    expect(sampled.exact).toBe(false);
    expect(sampled.sampleSize).toBe(1_000);
    expect(Math.abs(sampled.value - exact.value)).toBeLessThan(0.02);
    // Fixed seed: the same call gives the same sample and the same value.
    expect(silhouette(data, labels, { exactLimit: 1_000, sampleSize: 1_000 }).value).toBe(sampled.value);
  });

  it('agrees with the plain definition when there are very many small clusters', () => {
    // 4,200 rows in 2,100 pairs: too many clusters for the n×k table, so the per-row pass runs.
    const random = seededRandom(3);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4_200; i++) {
      rows.push([random() * 100, random() * 100]);
      labels.push(i >> 1);
    }
    const data = matrixFromRows(rows);
    const l = labelsOf(labels);
    expect(silhouette(data, l).value).toBeCloseTo(referenceSilhouette(data, l), 10);
  });
});

describe('centroid-based indices', () => {
  it('computes inertia, Davies–Bouldin and Calinski–Harabasz for two pairs on a line by hand', () => {
    // Points 0, 1 | 4, 5; centroids 0.5 and 4.5; overall mean 2.5.
    // Inertia: every point is 0.5 from its centroid → 4 × 0.25 = 1.
    // Davies–Bouldin: s_0 = s_1 = 0.5, M_01 = 4 → (0.5 + 0.5)/4 = 0.25 for both → 0.25.
    // Calinski–Harabasz: between = 2·2² + 2·2² = 16 over k − 1 = 1; within = 1 over n − k = 2 → 16 / 0.5 = 32.
    const data = line([0, 1, 4, 5]);
    const labels = labelsOf([0, 0, 1, 1]);
    expect(withinClusterSumOfSquares(data, labels)).toBeCloseTo(1, 12);
    expect(daviesBouldin(data, labels)).toBeCloseTo(0.25, 12);
    expect(calinskiHarabasz(data, labels)).toBeCloseTo(32, 12);
  });

  it('computes them for three clusters by hand, taking each cluster’s worst neighbour', () => {
    // Points 0, 1 | 4, 5 | 10, 12; centroids 0.5, 4.5, 11; scatters s = 0.5, 0.5, 1.
    // Inertia: 4 × 0.25 + 1 + 1 = 3.
    // Davies–Bouldin: R_01 = 1/4, R_02 = 1.5/10.5 = 1/7, R_12 = 1.5/6.5 = 3/13.
    //   max per cluster: 1/4, 1/4, 3/13 → DB = (1/2 + 3/13)/3 = 19/78 ≈ 0.2436.
    // Calinski–Harabasz: mean 32/6 = 16/3; between = 2[(29/6)² + (5/6)² + (34/6)²] = 2·2022/36 = 337/3.
    //   (337/3)/(k − 1 = 2) ÷ (3/(n − k = 3)) = 337/6 ≈ 56.17.
    const data = line([0, 1, 4, 5, 10, 12]);
    const labels = labelsOf([0, 0, 1, 1, 2, 2]);
    expect(withinClusterSumOfSquares(data, labels)).toBeCloseTo(3, 12);
    expect(daviesBouldin(data, labels)).toBeCloseTo(19 / 78, 12);
    expect(calinskiHarabasz(data, labels)).toBeCloseTo(337 / 6, 12);
  });

  it('counts only the labels that occur, so gaps in the numbering do not change k', () => {
    // Same two pairs labelled 5 and 9: still k = 2, still CH = 32.
    expect(calinskiHarabasz(line([0, 1, 4, 5]), labelsOf([5, 5, 9, 9]))).toBeCloseTo(32, 12);
  });

  it('follows scikit-learn on degenerate inputs', () => {
    // Every cluster is a stack of identical points: no within scatter → CH = 1 and DB = 0.
    const data = line([1, 1, 3, 3]);
    const labels = labelsOf([0, 0, 1, 1]);
    expect(calinskiHarabasz(data, labels)).toBe(1);
    expect(daviesBouldin(data, labels)).toBe(0);
    expect(withinClusterSumOfSquares(data, labels)).toBe(0);
    expect(() => daviesBouldin(data, labelsOf([0, 0, 0, 0]))).toThrow(RangeError);
    expect(() => calinskiHarabasz(data, labelsOf([0, 1, 2, 3]))).toThrow(RangeError);
  });
});

describe('dunnIndex', () => {
  it('divides the closest cross-cluster pair by the widest cluster on a line', () => {
    // Points 0, 2 | 5, 6, 7: closest cross pair 2–5 = 3; diameters 2 and 2 → 3/2.
    const result = dunnIndex(line([0, 2, 5, 6, 7]), labelsOf([0, 0, 1, 1, 1]));
    expect(result).toEqual({ value: 1.5, exact: true, sampleSize: 5 });
  });

  it('uses Euclidean distances in the plane', () => {
    // A = (0,0), (0,2): diameter 2. B = (3,6), (3,10): diameter 4.
    // Closest cross pair (0,2)–(3,6) = 5 (3-4-5) → 5/4.
    const data = matrixFromRows([
      [0, 0],
      [0, 2],
      [3, 6],
      [3, 10],
    ]);
    expect(dunnIndex(data, labelsOf([0, 0, 1, 1])).value).toBeCloseTo(1.25, 12);
  });

  it('samples above the exact limit, says so, and can only overstate the exact value', () => {
    // On a subset the closest cross pair can only be farther and the widest cluster only narrower.
    const { data, labels } = blobs(
      [
        [0, 0],
        [3, 0],
      ],
      500,
      11,
    );
    const exact = dunnIndex(data, labels);
    const sampled = dunnIndex(data, labels, { exactLimit: 200 });
    expect(exact.exact).toBe(true);
    expect(sampled).toMatchObject({ exact: false, sampleSize: 200 });
    expect(sampled.value).toBeGreaterThanOrEqual(exact.value);
  });
});

describe('adjustedRandIndex', () => {
  it('gives 1 for identical partitions whatever the cluster names', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])).toBe(1);
    expect(adjustedRandIndex(labelsOf([4, 4, 9]), [0, 0, 1])).toBe(1);
  });

  it('matches the classic contingency example by hand', () => {
    // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]. Table rows a, columns b: [2 1 0; 0 1 2].
    // Σ C(n_ij,2) = 1 + 1 = 2. Σ C(a_i,2) = 3 + 3 = 6. Σ C(b_j,2) = 1 + 1 + 1 = 3. C(6,2) = 15.
    // E = 6·3/15 = 1.2; max = (6 + 3)/2 = 4.5 → ARI = (2 − 1.2)/(4.5 − 1.2) = 0.8/3.3 = 8/33 ≈ 0.2424.
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(8 / 33, 12);
  });

  it('matches the scikit-learn documentation examples, checked by hand', () => {
    // [0,0,1,1] vs [0,0,1,2]: index 1, Σa 2, Σb 1, C(4,2) 6 → E = 1/3, max 1.5 → (2/3)/(7/6) = 4/7.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 12);
    // [0,0,1,1] vs [0,1,0,1]: index 0, Σa 2, Σb 2 → E = 2/3, max 2 → (−2/3)/(4/3) = −0.5.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });

  it('is symmetric', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1])).toBeCloseTo(8 / 33, 12);
  });

  it('gives 0 for any partition against everyone in one cluster', () => {
    // Σ C(b,2) = C(n,2), so E = Σ C(a_i,2) = index exactly.
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 0, 0])).toBe(0);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
  });

  it('gives 1 when both partitions are a single cluster (or both all singletons), like scikit-learn', () => {
    expect(adjustedRandIndex([3, 3, 3], [1, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 1, 2], [2, 0, 1])).toBe(1);
    expect(adjustedRandIndex([], [])).toBe(1);
  });

  it('rejects partitions of different lengths', () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(RangeError);
  });
});

describe('bootstrapStability', () => {
  it('is 1 for two far-apart blobs with a k-means-like assigner', () => {
    const { data, labels } = blobs(
      [
        [0, 0],
        [100, 100],
      ],
      100,
      5,
    );
    const result = bootstrapStability(data, labels, farthestPairAssigner);
    expect(result.resamples).toBe(10);
    expect(result.values).toHaveLength(10);
    expect(result.mean).toBe(1);
    expect(result.min).toBe(1);
  });

  it('is clearly below 1 for structureless noise and an unstable assigner', () => {
    const { data } = blobs([[0, 0]], 400, 9);
    const reference = firstTwoRowsAssigner(data);
    const result = bootstrapStability(data, reference, firstTwoRowsAssigner, { resamples: 20 });
    expect(result.mean).toBeLessThan(0.7);
    expect(result.min).toBeLessThan(result.mean);
  });

  it('re-clusters min(rows, sampleSize) rows per resample and is reproducible for a seed', () => {
    const { data, labels } = blobs(
      [
        [0, 0],
        [100, 100],
      ],
      100,
      5,
    );
    const seen: number[] = [];
    const assigner = (m: Matrix): Int32Array => {
      seen.push(m.rows);
      return farthestPairAssigner(m);
    };
    const options = { resamples: 3, sampleSize: 50, seed: 1 };
    const first = bootstrapStability(data, labels, assigner, options);
    expect(seen).toEqual([50, 50, 50]);
    expect(bootstrapStability(data, labels, assigner, options).values).toEqual(first.values);
  });
});

describe('clusterSizes', () => {
  it('counts rows per label, including empty labels in between', () => {
    expect(Array.from(clusterSizes(labelsOf([0, 2, 2, 0, 2])))).toEqual([2, 0, 3]);
    expect(Array.from(clusterSizes(labelsOf([0, 2, 2, 0, 2]), 4))).toEqual([2, 0, 3, 0]);
  });

  it('rejects a label outside 0..k−1', () => {
    expect(() => clusterSizes(labelsOf([0, 3]), 3)).toThrow(RangeError);
  });
});
