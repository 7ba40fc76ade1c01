/**
 * k-means over a row-major Matrix, using ml-kmeans for the Lloyd iterations and k-means++
 * seeding, with our own restarts, sampling, canonical ordering and typed-array assignment.
 *
 * Limits: restarts run on at most `sampleSize` rows (default 20 000); above that one extra run
 * over all rows refines the best sampled centroids.
 */
import { kmeans } from 'ml-kmeans';

import { selectRows, type Matrix } from '../matrix.js';
import { sampleIndices, seededRandom } from '../random.js';
import {
  assertData,
  assertK,
  assertPositiveInteger,
  clusterOrder,
  compareRows,
  labelSizes,
  permuteRows,
  type KMeansFit,
  type KMeansOptions,
  type NearestAssignment,
} from './types.js';

const FN = 'kmeansFit';

export function kmeansFit(data: Matrix, k: number, options: KMeansOptions = {}): KMeansFit {
  const restarts = options.restarts ?? 8;
  const seed = options.seed ?? 42;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const sampleSize = options.sampleSize ?? 20_000;
  assertData(FN, data);
  assertK(FN, k, data.rows);
  assertPositiveInteger(FN, 'restarts', restarts);
  assertPositiveInteger(FN, 'maxIterations', maxIterations);
  assertPositiveInteger(FN, 'sampleSize', sampleSize);
  if (!(tolerance >= 0)) throw new RangeError(`${FN}: tolerance must be ≥ 0, got ${tolerance}`);

  const sampled = data.rows > sampleSize;
  if (sampled) assertK(FN, k, sampleSize, 'sampled rows (sampleSize)');

  // The one number[][] copy ml-kmeans needs; the sample shares its row arrays. (ml-kmeans'
  // k-means++ makes its own transient copy of what it seeds from, at most sampleSize rows.)
  const rows = toRows(data);
  const sampleIdx = sampled ? sampleIndices(data.rows, sampleSize, seededRandom(seed)) : null;
  const fitRows = sampleIdx ? Array.from(sampleIdx, (i) => rows[i]!) : rows;
  const fitMatrix = sampleIdx ? selectRows(data, sampleIdx) : data;

  let best: KMeansResult | null = null;
  let bestInertia = Infinity;
  for (let r = 0; r < restarts; r++) {
    const result = kmeans(fitRows, k, { initialization: 'kmeans++', seed: seed + r, maxIterations, tolerance });
    const inertia = sumOf(assignNearest(fitMatrix, fromRows(result.centroids, data.cols)).distances);
    if (best === null || inertia < bestInertia) {
      best = result;
      bestInertia = inertia;
    }
  }
  if (best === null) throw new Error(`${FN}: unreachable, no restart ran`);

  if (sampled) {
    // Restarts only choose a good starting point; on a million rows each one would cost a full
    // Lloyd run (restarts× the time) for the same answer. So the restarts run on the sample and
    // the winner initialises ONE run over all rows.
    best = kmeans(rows, k, { initialization: best.centroids, maxIterations, tolerance });
  }

  // Canonical order: largest cluster first, ties by centroid coordinates.
  const raw = fromRows(best.centroids, data.cols);
  const rawSizes = labelSizes(assignNearest(data, raw).labels, k);
  if (rawSizes.includes(0)) assertEnoughDistinctRows(data, k);
  const centroids = permuteRows(raw, clusterOrder(rawSizes, (a, b) => compareRows(raw, a, b)));
  const { labels, distances } = assignNearest(data, centroids);
  return {
    labels,
    centroids,
    inertia: sumOf(distances),
    iterations: best.iterations,
    restarts,
    sampled,
    converged: best.converged,
  };
}

/**
 * Nearest and second-nearest centroid of every row (squared Euclidean distances). Ties go to
 * the lower centroid index.
 */
export function assignNearest(data: Matrix, centroids: Matrix): NearestAssignment {
  if (data.cols !== centroids.cols) {
    throw new RangeError(`assignNearest: data has ${data.cols} columns, centroids ${centroids.cols}`);
  }
  if (centroids.rows < 1) throw new RangeError('assignNearest: no centroids');
  const n = data.rows;
  const d = data.cols;
  const k = centroids.rows;
  const x = data.data;
  const c = centroids.data;
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  const secondDistances = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * d;
    let best = Infinity;
    let second = Infinity;
    let bestJ = 0;
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let t = 0, q = j * d; t < d; t++) {
        const diff = x[p + t]! - c[q + t]!;
        sum += diff * diff;
      }
      if (sum < best) {
        second = best;
        best = sum;
        bestJ = j;
      } else if (sum < second) {
        second = sum;
      }
    }
    labels[i] = bestJ;
    distances[i] = best;
    secondDistances[i] = second;
  }
  return { labels, distances, secondDistances };
}

type KMeansResult = ReturnType<typeof kmeans>;

/** Fewer distinct rows than k leave a cluster empty whatever the seeding: impossible input. */
function assertEnoughDistinctRows(data: Matrix, k: number): void {
  const distinct = new Set<string>();
  for (let i = 0; i < data.rows && distinct.size < k; i++) {
    distinct.add(data.data.subarray(i * data.cols, (i + 1) * data.cols).join(','));
  }
  if (distinct.size < k) throw new RangeError(`${FN}: only ${distinct.size} distinct rows, cannot form k = ${k} clusters`);
}

function toRows(m: Matrix): number[][] {
  const out: number[][] = new Array<number[]>(m.rows);
  const d = m.cols;
  for (let i = 0; i < m.rows; i++) {
    const row: number[] = [];
    for (let c = 0; c < d; c++) row.push(m.data[i * d + c]!);
    out[i] = row;
  }
  return out;
}

function fromRows(rows: number[][], cols: number): Matrix {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => data.set(row, i * cols));
  return { rows: rows.length, cols, data };
}

function sumOf(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}
