import { describe, expect, it } from 'vitest';

import { dbscan, findKnee, kDistances, suggestEps } from '../../src/segmentation/cluster/dbscan.js';
import { matrixFromRows } from '../../src/segmentation/matrix.js';
import { seededRandom } from '../../src/segmentation/random.js';

const oneD = (values: number[]) => matrixFromRows(values.map((v) => [v]));

// Two dense runs with a point at 3 between them, eps 1, minPts 4:
// 3 has only 2, 3 and 4 within 1 (3 < 4 points), so it is a border point of both clusters;
// 2 (1, 1.5, 2, 3) and 4 (3, 4, 4.5, 5) are core.
const LEFT = [0, 0.5, 1, 1.5, 2];
const RIGHT = [4, 4.5, 5, 5.5, 6];
const BRIDGE = 3;

describe('dbscan', () => {
  it('finds two 1-D clusters and keeps the lone point as noise with the label after them', () => {
    const result = dbscan(oneD([0, 1, 2, 3, 20, 30, 31, 32]), { eps: 1.5, minPts: 2 });
    // Largest cluster first: {0,1,2,3} is 0, {30,31,32} is 1, the 20 is noise with label 2.
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 0, 2, 1, 1, 1]);
    expect(result.clusters).toBe(2);
    expect(result.noise).toBe(1);
    expect(result.noiseLabel).toBe(2);
    expect(result.sampled).toBe(false);
  });

  it('counts the point itself toward minPts, like scikit-learn', () => {
    // Each point has exactly one other within eps: 2 points counting itself.
    expect(dbscan(oneD([0, 1, 10, 11]), { eps: 1, minPts: 2 }).clusters).toBe(2);
    expect(dbscan(oneD([0, 1, 10, 11]), { eps: 1, minPts: 3 }).clusters).toBe(0);
  });

  it('treats eps as inclusive and gives every point label 0 when there is one cluster and no noise', () => {
    const result = dbscan(oneD([0, 1, 2]), { eps: 1, minPts: 2 });
    expect(Array.from(result.labels)).toEqual([0, 0, 0]);
    expect(result.noiseLabel).toBeNull();
  });

  it('gives a border point to the first cluster that reaches it (left cluster first)', () => {
    const result = dbscan(oneD([...LEFT, BRIDGE, ...RIGHT]), { eps: 1, minPts: 4 });
    // scikit-learn: [0 0 0 0 0 0 1 1 1 1 1]; the left cluster (6 rows) is also the larger.
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(result.noise).toBe(0);
  });

  it('gives a border point to the first cluster that reaches it (right cluster first)', () => {
    const result = dbscan(oneD([...RIGHT, BRIDGE, ...LEFT]), { eps: 1, minPts: 4 });
    // The right run is found first (row 0 is core) and claims 3.
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('does not let a border point link two clusters', () => {
    const result = dbscan(oneD([...LEFT, BRIDGE, ...RIGHT]), { eps: 1, minPts: 4 });
    expect(result.clusters).toBe(2);
  });

  it('finds 2-D clusters of any shape: an L and a square, with a far point as noise', () => {
    const L = [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [2, 0], [3, 0]];
    const square = [[10, 10], [10, 11], [11, 10], [11, 11]];
    const result = dbscan(matrixFromRows([...L, ...square, [5, 5]]), { eps: 1, minPts: 2 });
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
  });

  it('labels everything noise (label 0) when nothing is dense enough', () => {
    const result = dbscan(oneD([0, 10, 20]), { eps: 1, minPts: 2 });
    expect(Array.from(result.labels)).toEqual([0, 0, 0]);
    expect(result.clusters).toBe(0);
    expect(result.noise).toBe(3);
    expect(result.noiseLabel).toBe(0);
  });

  it('on a sample, gives every other row the cluster of its nearest core point within eps, else noise', () => {
    // Two 1-D runs of 100 points 0.01 apart, and 5 far outliers; exact DBSCAN on 60 rows only.
    const left = Array.from({ length: 100 }, (_, i) => i * 0.01);
    const right = Array.from({ length: 100 }, (_, i) => 50 + i * 0.01);
    const outliers = [20, 25, 30, 35, 40];
    const result = dbscan(oneD([...left, ...outliers, ...right]), { eps: 0.3, minPts: 3, exactLimit: 60 });
    expect(result.sampled).toBe(true);
    expect(result.clusters).toBe(2);
    expect(result.noise).toBe(5);
    const labels = Array.from(result.labels);
    expect(new Set(labels.slice(0, 100)).size).toBe(1);
    expect(new Set(labels.slice(105)).size).toBe(1);
    expect(labels[0]).not.toBe(labels[105]);
    expect(labels.slice(100, 105)).toEqual([2, 2, 2, 2, 2]);
  });

  it('gives the same labels for the same seed', () => {
    const values = Array.from({ length: 300 }, (_, i) => (i % 3) * 10 + (i % 7) * 0.1);
    const a = dbscan(oneD(values), { eps: 0.5, minPts: 3, exactLimit: 50, seed: 3 });
    const b = dbscan(oneD(values), { eps: 0.5, minPts: 3, exactLimit: 50, seed: 3 });
    expect(b.labels).toEqual(a.labels);
  });

  it('agrees with a brute-force DBSCAN on random 3-D data', () => {
    const random = seededRandom(12);
    const rows = Array.from({ length: 400 }, () => [random() * 10, random() * 10, random() * 3]);
    const eps = 0.9;
    const minPts = 5;
    // Reference: neighbour lists by full scan, then the scikit-learn expansion.
    const near = (i: number) =>
      rows.flatMap((row, j) => (Math.hypot(row[0]! - rows[i]![0]!, row[1]! - rows[i]![1]!, row[2]! - rows[i]![2]!) <= eps ? [j] : []));
    const neighbours = rows.map((_, i) => near(i));
    const core = neighbours.map((list) => list.length >= minPts);
    const expected = new Array<number>(rows.length).fill(-1);
    let clusters = 0;
    rows.forEach((_, i) => {
      if (!core[i] || expected[i]! >= 0) return;
      const stack = [i];
      expected[i] = clusters;
      while (stack.length > 0) {
        for (const j of neighbours[stack.pop()!]!) {
          if (expected[j]! >= 0) continue;
          expected[j] = clusters;
          if (core[j]) stack.push(j);
        }
      }
      clusters++;
    });

    const result = dbscan(matrixFromRows(rows), { eps, minPts });
    expect(result.clusters).toBe(clusters);
    // Same partition (label numbers differ: ours are ordered by size).
    const pairs = new Set(expected.map((label, i) => `${label}:${result.labels[i]}`));
    expect(pairs.size).toBe(new Set(expected).size);
    expect(pairs.size).toBe(new Set(result.labels).size);
    expect(result.noise).toBe(expected.filter((label) => label < 0).length);
    expect(clusters).toBeGreaterThan(1);
    expect(result.noise).toBeGreaterThan(0);
  });

  it('rejects impossible input', () => {
    expect(() => dbscan(oneD([1]), { eps: -1, minPts: 2 })).toThrow(RangeError);
    expect(() => dbscan(oneD([1]), { eps: 1, minPts: 0 })).toThrow(/minPts/);
    expect(() => dbscan(matrixFromRows([[1, Number.NaN]]), { eps: 1, minPts: 1 })).toThrow(/row 0, column 1/);
  });
});

describe('kDistances', () => {
  it('gives the sorted distance of each point to its minPts-th nearest other point', () => {
    const data = oneD([0, 1, 2, 3, 4, 5, 20, 40]);
    // Nearest other point: 1 for 0..5, 15 for 20, 20 for 40.
    expect(Array.from(kDistances(data, 1))).toEqual([1, 1, 1, 1, 1, 1, 15, 20]);
    // Second nearest: 0 → 2, 1..4 → 1, 5 → 2, 20 → 16 (the 4), 40 → 35 (the 5).
    expect(Array.from(kDistances(data, 2))).toEqual([1, 1, 1, 1, 2, 2, 16, 35]);
  });

  it('needs more rows than minPts', () => {
    expect(() => kDistances(oneD([0, 1]), 2)).toThrow(/at least 3 rows/);
  });

  it('uses a sample of sampleSize rows above it', () => {
    const values = Array.from({ length: 500 }, (_, i) => i);
    expect(kDistances(oneD(values), 1, { sampleSize: 50 }).length).toBe(50);
  });
});

describe('findKnee', () => {
  it('picks the point farthest below the chord of the normalised curve', () => {
    // x = i/9, y = (v − 1)/9: x − y is 7/9 at i = 7 (the last 1) and 6/9 at i = 8.
    expect(findKnee([1, 1, 1, 1, 1, 1, 1, 1, 3, 10])).toBe(7);
  });

  it('finds the knee at a gentler bend too', () => {
    // x − y: i=1 .25 − .05 = .2, i=2 .5 − .1 = .4, i=3 .75 − .5 = .25.
    expect(findKnee([0, 1, 2, 10, 20])).toBe(2);
  });

  it('returns the last index for a curve without a knee', () => {
    expect(findKnee([2, 2, 2])).toBe(2);
    expect(findKnee([0, 1, 2, 3])).toBe(3);
  });
});

describe('suggestEps', () => {
  it('suggests the k-distance at the knee: 1 for a run of points 1 apart and two outliers', () => {
    const suggestion = suggestEps(oneD([0, 1, 2, 3, 4, 5, 20, 40]), 1);
    // Curve [1,1,1,1,1,1,15,20]; x − y is 5/7 at i = 5, 6/7 − 14/19 at i = 6.
    expect(suggestion.kneeIndex).toBe(5);
    expect(suggestion.eps).toBe(1);
    expect(Array.from(suggestion.curve)).toEqual([1, 1, 1, 1, 1, 1, 15, 20]);
  });
});
