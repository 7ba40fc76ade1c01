/**
 * Result types shared by the clustering algorithms, plus the few input checks and ordering
 * helpers all of them use (internal: index.ts re-exports only the types).
 *
 * Conventions every algorithm follows:
 * - labels are an Int32Array with one entry per row, values 0..k-1;
 * - clusters are numbered canonically (largest first, ties broken deterministically), so the
 *   same input and seed always give the same numbers;
 * - impossible input (empty data, NaN/Infinity, k < 1, k > rows) throws a RangeError that names
 *   the function and, for bad values, the row and column.
 */
import type { Matrix } from '../matrix.js';

export type CovarianceType = 'diagonal' | 'full';

export interface KMeansOptions {
  /** k-means++ restarts, seeds seed, seed+1, …; the lowest inertia wins. Default 8. */
  restarts?: number;
  /** Default 42. */
  seed?: number;
  /** Lloyd iterations per run. Default 100. */
  maxIterations?: number;
  /**
   * Convergence when the summed squared centroid shift is at most this × the mean per-column
   * variance of the data (scikit-learn's `tol`, relative so units do not matter), or when no row
   * changes cluster. Default 1e-6.
   */
  tolerance?: number;
  /** Above this many rows the restarts run on a seeded sample of this size. Default 20 000. */
  sampleSize?: number;
  /** When sampled: how many of the best distinct sample optima are refined on all rows. Default 3. */
  refine?: number;
}

export interface KMeansFit {
  labels: Int32Array;
  /** k × cols, in label order. */
  centroids: Matrix;
  /** Sum over ALL rows of the squared distance to the assigned centroid. */
  inertia: number;
  /** Lloyd iterations of the run that produced the centroids (the full-data run when sampled). */
  iterations: number;
  restarts: number;
  /** True when the restarts ran on a sample and the best few were refined on all rows. */
  sampled: boolean;
  converged: boolean;
}

export interface NearestAssignment {
  labels: Int32Array;
  /** Squared distance of each row to its nearest centroid. */
  distances: Float64Array;
  /** Squared distance of each row to its second-nearest centroid (Infinity when k = 1). */
  secondDistances: Float64Array;
}

export interface KDistanceOptions {
  /** Rows used for the curve (a seeded sample above it). Default 20 000, the dbscan exactLimit. */
  sampleSize?: number;
  /** Default 42, the dbscan default, so both see the same sample. */
  seed?: number;
}

export interface EpsSuggestion {
  eps: number;
  kneeIndex: number;
  /** The sorted k-distance curve the knee was found on. */
  curve: Float64Array;
}

export interface DbscanOptions {
  /** Neighbourhood radius (Euclidean, inclusive: distance ≤ eps). */
  eps: number;
  /** Points within eps, the point itself included, for a core point (scikit-learn's min_samples). */
  minPts: number;
  /** Above this many rows DBSCAN runs on a seeded sample of this size. Default 20 000. */
  exactLimit?: number;
  /** Default 42. */
  seed?: number;
}

export interface DbscanResult {
  /** 0..clusters-1 for clusters (largest first), `clusters` for noise. */
  labels: Int32Array;
  clusters: number;
  /** Number of noise rows. */
  noise: number;
  /** The label noise rows carry (= clusters), or null when there is no noise. */
  noiseLabel: number | null;
  sampled: boolean;
}

export interface WardOptions {
  /** Above this many rows the tree is built on a seeded sample of this size. Default 5 000. */
  exactLimit?: number;
  /** Default 42. */
  seed?: number;
}

export interface WardResult {
  labels: Int32Array;
  /** k × cols means of the rows carrying each label. */
  centroids: Matrix;
  /**
   * Ward merge costs (increase of the within-cluster sum of squares, |A||B|/(|A|+|B|)·‖μA−μB‖²)
   * of the last up to 20 merges, largest first. scipy's dendrogram height is sqrt(2·this).
   */
  mergeHeights: Float64Array;
  sampled: boolean;
  exactLimit: number;
}

export interface GmmOptions {
  /** Default 'diagonal'. */
  covariance?: CovarianceType;
  /** Seed of the k-means initialisation. Default 42. */
  seed?: number;
  /** EM iterations. Default 200. */
  maxIterations?: number;
  /** Stop when the mean log-likelihood per row changes by less than this. Default 1e-6. */
  tolerance?: number;
  /** Added to every variance / covariance diagonal (scikit-learn's reg_covar). Default 1e-6. */
  regularization?: number;
  /** Above this many rows EM runs on a seeded sample of this size. Default 50 000. */
  sampleSize?: number;
}

export interface GmmFit {
  labels: Int32Array;
  /** Mixing weights, descending, summing to 1. */
  weights: Float64Array;
  /** k × cols. */
  means: Matrix;
  /** Per component: cols variances (diagonal) or cols×cols row-major (full). */
  covariances: Float64Array[];
  /** Total log-likelihood over ALL rows. */
  logLikelihood: number;
  bic: number;
  aic: number;
  /** Free parameters: means + covariances + (k − 1) weights. */
  parameters: number;
  iterations: number;
  converged: boolean;
  covariance: CovarianceType;
}

// ---------------------------------------------------------------------------------------------
// Internal helpers shared by the algorithms.

/** Throws unless `data` is a non-empty matrix of finite numbers. */
export function assertData(fn: string, data: Matrix): void {
  const { rows, cols, data: values } = data;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${fn}: data is empty (${rows} rows)`);
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`${fn}: data has no columns`);
  if (values.length !== rows * cols) {
    throw new RangeError(`${fn}: a ${rows}×${cols} matrix needs ${rows * cols} values, got ${values.length}`);
  }
  for (let p = 0; p < values.length; p++) {
    const v = values[p]!;
    // v - v is NaN for NaN and ±Infinity, 0 otherwise: one test for both.
    if (v - v !== 0) {
      const row = Math.floor(p / cols);
      throw new RangeError(`${fn}: data has ${v} at row ${row}, column ${p - row * cols}`);
    }
  }
}

/** Throws unless k is an integer in 1..rows. */
export function assertK(fn: string, k: number, rows: number, what = 'rows'): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: k must be an integer ≥ 1, got ${k}`);
  if (k > rows) throw new RangeError(`${fn}: k = ${k} is more than the ${rows} ${what}`);
}

export function assertPositiveInteger(fn: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${fn}: ${name} must be an integer ≥ 1, got ${value}`);
}

/**
 * The canonical cluster order: `order[newLabel] = oldLabel`, largest size first, ties by
 * `tieBreak(a, b)` (negative when old label a goes first).
 */
export function clusterOrder(sizes: ArrayLike<number>, tieBreak: (a: number, b: number) => number): Int32Array {
  const order = Int32Array.from({ length: sizes.length }, (_, i) => i);
  return order.sort((a, b) => sizes[b]! - sizes[a]! || tieBreak(a, b) || a - b);
}

/** Lexicographic comparison of rows a and b of m (used to break size ties by centroid). */
export function compareRows(m: Matrix, a: number, b: number): number {
  const d = m.cols;
  for (let c = 0; c < d; c++) {
    const diff = m.data[a * d + c]! - m.data[b * d + c]!;
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Rewrites labels in place: old label `order[j]` becomes j (labels outside 0..k-1 are kept). */
export function relabel(labels: Int32Array, order: Int32Array): void {
  const k = order.length;
  const map = new Int32Array(k);
  for (let j = 0; j < k; j++) map[order[j]!] = j;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l >= 0 && l < k) labels[i] = map[l]!;
  }
}

/** Rows of m in the given order, as a new matrix. */
export function permuteRows(m: Matrix, order: ArrayLike<number>): Matrix {
  const d = m.cols;
  const out = new Float64Array(order.length * d);
  for (let j = 0; j < order.length; j++) out.set(m.data.subarray(order[j]! * d, (order[j]! + 1) * d), j * d);
  return { rows: order.length, cols: d, data: out };
}

/** Number of rows per label 0..k-1. */
export function labelSizes(labels: Int32Array, k: number): Float64Array {
  const sizes = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++;
  return sizes;
}

/** k × cols means of the rows with each label (a label without rows gets a zero row). */
export function labelMeans(data: Matrix, labels: Int32Array, k: number): Matrix {
  const d = data.cols;
  const x = data.data;
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < data.rows; i++) {
    const l = labels[i]!;
    counts[l]!++;
    for (let c = 0, p = i * d, q = l * d; c < d; c++) sums[q + c]! += x[p + c]!;
  }
  for (let l = 0; l < k; l++) {
    const n = counts[l]!;
    if (n > 0) for (let c = 0; c < d; c++) sums[l * d + c]! /= n;
  }
  return { rows: k, cols: d, data: sums };
}
