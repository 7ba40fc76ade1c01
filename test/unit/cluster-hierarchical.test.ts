import { describe, expect, it } from 'vitest';

import { wardCluster } from '../../src/segmentation/cluster/hierarchical.js';
import { matrixFromRows } from '../../src/segmentation/matrix.js';
import { seededRandom } from '../../src/segmentation/random.js';

const oneD = (values: number[]) => matrixFromRows(values.map((v) => [v]));
const POINTS = oneD([0, 1, 5, 6, 20]);

describe('wardCluster', () => {
  it('cuts 0, 1, 5, 6, 20 into {0, 1, 5, 6} and {20} with k = 2', () => {
    const result = wardCluster(POINTS, 2);
    expect(Array.from(result.labels)).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(result.centroids.data)).toEqual([3, 20]);
    expect(result.sampled).toBe(false);
    expect(result.exactLimit).toBe(5_000);
  });

  it('cuts 0, 1, 5, 6, 20 into {0, 1}, {5, 6} and {20} with k = 3', () => {
    const result = wardCluster(POINTS, 3);
    // {0,1} and {5,6} are equally large: the smaller centroid goes first.
    expect(Array.from(result.labels)).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(result.centroids.data)).toEqual([0.5, 5.5, 20]);
  });

  it('reports the Ward merge costs |A||B|/(|A|+|B|)·‖μA − μB‖², largest first', () => {
    // {0}+{1}: ½·1 = 0.5; {5}+{6}: 0.5; {0,1}+{5,6}: (2·2/4)·(5.5 − 0.5)² = 25;
    // {0,1,5,6}+{20}: (4·1/5)·(20 − 3)² = 0.8·289 = 231.2.
    const heights = Array.from(wardCluster(POINTS, 1).mergeHeights);
    expect(heights).toHaveLength(4);
    expect(heights[0]).toBeCloseTo(231.2, 10);
    expect(heights[1]).toBeCloseTo(25, 10);
    expect(heights[2]).toBeCloseTo(0.5, 10);
    expect(heights[3]).toBeCloseTo(0.5, 10);
  });

  it('keeps at most the last 20 merge heights', () => {
    const values = Array.from({ length: 40 }, (_, i) => i * i);
    const heights = wardCluster(oneD(values), 2).mergeHeights;
    expect(heights).toHaveLength(20);
    for (let t = 1; t < heights.length; t++) expect(heights[t]).toBeLessThanOrEqual(heights[t - 1]!);
  });

  it('matches the k-means optimum on three separated 2-D groups', () => {
    const random = seededRandom(1);
    const rows: number[][] = [];
    for (const [cx, cy, count] of [[0, 0, 15], [10, 0, 10], [0, 10, 5]] as const) {
      for (let i = 0; i < count; i++) rows.push([cx + random(), cy + random()]);
    }
    const result = wardCluster(matrixFromRows(rows), 3);
    expect(Array.from(result.labels)).toEqual([...Array(15).fill(0), ...Array(10).fill(1), ...Array(5).fill(2)]);
  });

  it('above exactLimit, clusters a sample and gives every other row its nearest cluster centroid', () => {
    // 3 runs of 100 points: around 0, 10 and 30 (the last twice as spread).
    const values = [
      ...Array.from({ length: 100 }, (_, i) => i * 0.01),
      ...Array.from({ length: 100 }, (_, i) => 10 + i * 0.01),
      ...Array.from({ length: 100 }, (_, i) => 30 + i * 0.02),
    ];
    const result = wardCluster(oneD(values), 3, { exactLimit: 30, seed: 5 });
    expect(result.sampled).toBe(true);
    expect(result.exactLimit).toBe(30);
    const labels = Array.from(result.labels);
    for (const start of [0, 100, 200]) expect(new Set(labels.slice(start, start + 100)).size).toBe(1);
    expect(new Set(labels).size).toBe(3);
    // The centroids are the means of all rows per label.
    const centroid = (start: number) => values.slice(start, start + 100).reduce((s, v) => s + v, 0) / 100;
    expect(result.centroids.data[labels[200]!]).toBeCloseTo(centroid(200), 10);
    // Sampled merges: 29 in the tree, the last 20 reported.
    expect(result.mergeHeights).toHaveLength(20);
  });

  it('is deterministic for the same seed', () => {
    const values = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 10);
    const a = wardCluster(oneD(values), 4, { exactLimit: 50, seed: 9 });
    const b = wardCluster(oneD(values), 4, { exactLimit: 50, seed: 9 });
    expect(b.labels).toEqual(a.labels);
    expect(b.centroids.data).toEqual(a.centroids.data);
  });

  it('rejects impossible input', () => {
    expect(() => wardCluster(POINTS, 0)).toThrow(RangeError);
    expect(() => wardCluster(POINTS, 6)).toThrow(/k = 6 is more than the 5 rows/);
    expect(() => wardCluster(oneD([1, Number.POSITIVE_INFINITY]), 1)).toThrow(/Infinity at row 1, column 0/);
    expect(() => wardCluster(POINTS, 4, { exactLimit: 3 })).toThrow(/sampled rows/);
  });
});
