/**
 * Cluster validation metrics as pure functions over typed arrays.
 *
 * Data is a row-major `Matrix`; labels are one integer per row (any values: a DBSCAN noise
 * group is just another label, and clusters are the distinct label values present, so unused
 * label numbers do not count towards k). Distances are Euclidean.
 *
 * Internal metrics follow scikit-learn's definitions and degenerate-case conventions:
 * - `silhouette`: mean of s(i) = (b − a) / max(a, b) (Rousseeuw 1987), where a is the mean
 *   distance to the other members of i's cluster and b the smallest mean distance to another
 *   cluster; a point alone in its cluster scores 0, and 0/0 (coincident points) scores 0.
 *   O(n²·d). LIMIT: exact on all rows up to `exactLimit` (default 10,000) rows; above it, on a
 *   fixed-seed sample of `sampleSize` (default 10,000) rows, scored against the sample only
 *   (as `silhouette_score(sample_size=…)` does), and the result says `exact: false`.
 * - `daviesBouldin`, `calinskiHarabasz`, `withinClusterSumOfSquares`: O(n·d + k²·d), exact.
 * - `dunnIndex`: O(n²·d). LIMIT: exact up to `exactLimit` (default 5,000) rows; above it on a
 *   fixed-seed sample of `exactLimit` rows (`exact: false`). Min and max over pairs are
 *   extreme-value statistics, so the sampled value is an estimate that tends to overstate the
 *   true index (the sample rarely contains the very closest cross-cluster pair).
 * - Silhouette, Davies–Bouldin and Calinski–Harabasz need 2 ≤ k ≤ n − 1 clusters (scikit-learn
 *   raises otherwise) and throw a RangeError; Dunn needs k ≥ 2.
 *
 * External/stability metrics: `adjustedRandIndex` (Hubert & Arabie 1985) and
 * `bootstrapStability` (mean ARI between reference labels and re-clustered bootstrap resamples).
 */

import { type Matrix, selectRows } from './matrix.js';
import { bootstrapIndices, randomInt, type Random, sampleIndices, seededRandom } from './random.js';

export interface SampledMetric {
  readonly value: number;
  /** False when the value was computed on a fixed-seed sample of the rows. */
  readonly exact: boolean;
  /** How many rows the value was computed on. */
  readonly sampleSize: number;
}

export interface SilhouetteOptions {
  /** Largest row count scored exactly (default 10,000). */
  exactLimit?: number;
  /** Rows sampled above `exactLimit` (default 10,000). */
  sampleSize?: number;
  /** Seed for the sample (default 42). */
  seed?: number;
}

export interface DunnOptions {
  /** Largest row count computed exactly, and the sample size above it (default 5,000). */
  exactLimit?: number;
  /** Seed for the sample (default 42). */
  seed?: number;
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 10). */
  resamples?: number;
  /** Seed for the resampling RNG (default 42). */
  seed?: number;
  /** Rows per resample: min(rows, sampleSize) (default 5,000). */
  sampleSize?: number;
}

export interface StabilityResult {
  readonly mean: number;
  readonly min: number;
  readonly values: number[];
  readonly resamples: number;
}

const DEFAULT_SEED = 42;
/** Above this many n·k cells the silhouette falls back to a per-row pass (O(k) memory). */
const PAIR_TABLE_LIMIT = 1 << 23;

// ---------------------------------------------------------------------------------------------
// Labels

interface DenseLabels {
  /** Code 0..k-1 per row. */
  readonly codes: Int32Array;
  /** Number of distinct labels. */
  readonly k: number;
  /** Rows per code. */
  readonly sizes: Int32Array;
}

/** Maps arbitrary label values to dense codes 0..k-1 (ascending label order when integer). */
function denseLabels(labels: ArrayLike<number>): DenseLabels {
  const n = labels.length;
  const codes = new Int32Array(n);
  let max = -1;
  let smallInts = true;
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0) {
      smallInts = false;
      break;
    }
    if (v > max) max = v;
  }
  if (smallInts && max <= 4 * n + 16) {
    const lookup = new Int32Array(max + 1);
    for (let i = 0; i < n; i++) lookup[labels[i]!]! += 1;
    let k = 0;
    for (let v = 0; v <= max; v++) lookup[v] = lookup[v]! > 0 ? k++ : -1;
    const sizes = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = lookup[labels[i]!]!;
      codes[i] = c;
      sizes[c]! += 1;
    }
    return { codes, k, sizes };
  }
  const map = new Map<number, number>();
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    let c = map.get(v);
    if (c === undefined) {
      c = map.size;
      map.set(v, c);
      counts.push(0);
    }
    codes[i] = c;
    counts[c]! += 1;
  }
  return { codes, k: map.size, sizes: Int32Array.from(counts) };
}

function checkRows(name: string, data: Matrix, labels: ArrayLike<number>): void {
  if (labels.length !== data.rows) {
    throw new RangeError(`${name}: ${data.rows} rows but ${labels.length} labels`);
  }
}

/** scikit-learn's check: 2 ≤ k ≤ n − 1. */
function checkClusterCount(name: string, k: number, n: number): void {
  if (k < 2 || k > n - 1) {
    throw new RangeError(`${name}: needs 2 to n − 1 clusters, got ${k} cluster(s) over ${n} rows`);
  }
}

/** Rows per label value: out[v] = count of v, length k (default max label + 1). */
export function clusterSizes(labels: ArrayLike<number>, k?: number): Int32Array {
  let length = k;
  if (length === undefined) {
    length = 0;
    for (let i = 0; i < labels.length; i++) length = Math.max(length, labels[i]! + 1);
  }
  const sizes = new Int32Array(length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= length) {
      throw new RangeError(`clusterSizes: label ${v} at row ${i} is not an integer in [0, ${length})`);
    }
    sizes[v]! += 1;
  }
  return sizes;
}

/** k×d centroids (row c = mean of the rows with code c). */
function centroids(data: Matrix, dense: DenseLabels): Float64Array {
  const d = data.cols;
  const x = data.data;
  const out = new Float64Array(dense.k * d);
  for (let i = 0; i < data.rows; i++) {
    const base = dense.codes[i]! * d;
    for (let c = 0, p = i * d; c < d; c++, p++) out[base + c]! += x[p]!;
  }
  for (let cl = 0; cl < dense.k; cl++) {
    const size = dense.sizes[cl]!;
    for (let c = 0; c < d; c++) out[cl * d + c]! /= size;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Silhouette

/**
 * Mean silhouette. Exact (all rows) up to `exactLimit` rows; above it, on `sampleSize` rows drawn
 * with a fixed seed and scored against the sample only.
 */
export function silhouette(data: Matrix, labels: Int32Array, options: SilhouetteOptions = {}): SampledMetric {
  checkRows('silhouette', data, labels);
  const indices = silhouetteSample(data.rows, options);
  if (indices === null) return { value: silhouetteExact(data, labels), exact: true, sampleSize: data.rows };
  const sampleLabels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) sampleLabels[k] = labels[indices[k]!]!;
  return { value: silhouetteExact(selectRows(data, indices), sampleLabels), exact: false, sampleSize: indices.length };
}

/** The rows `silhouette` scores when it samples (so an export can name them), or null when it is exact. */
export function silhouetteSample(rows: number, options: SilhouetteOptions = {}): Int32Array | null {
  const exactLimit = options.exactLimit ?? 10_000;
  const sampleSize = options.sampleSize ?? 10_000;
  if (rows <= exactLimit || sampleSize >= rows) return null;
  return sampleIndices(rows, sampleSize, seededRandom(options.seed ?? DEFAULT_SEED));
}

/** The rows `dunnIndex` uses when it samples, or null when it is exact. */
export function dunnSample(rows: number, options: DunnOptions = {}): Int32Array | null {
  const exactLimit = options.exactLimit ?? 5_000;
  return rows <= exactLimit ? null : sampleIndices(rows, exactLimit, seededRandom(options.seed ?? DEFAULT_SEED));
}

function silhouetteExact(data: Matrix, labels: Int32Array): number {
  const n = data.rows;
  const dense = denseLabels(labels);
  checkClusterCount('silhouette', dense.k, n);
  const { codes, k, sizes } = dense;
  const d = data.cols;
  const x = data.data;

  // sums[i*k + c] = Σ distance from row i to the rows of cluster c.
  let sums: Float64Array;
  if (n * k <= PAIR_TABLE_LIMIT) {
    // Each pair's distance computed once and credited to both ends.
    sums = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const rowI = i * k;
      const ci = codes[i]!;
      const pi = i * d;
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let c = 0, p = pi, q = j * d; c < d; c++, p++, q++) {
          const diff = x[p]! - x[q]!;
          s += diff * diff;
        }
        const dist = Math.sqrt(s);
        sums[rowI + codes[j]!]! += dist;
        sums[j * k + ci]! += dist;
      }
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += pointSilhouette(sums, i * k, codes[i]!, sizes, k);
    return total / n;
  }
  // Many clusters: one row at a time into a k-sized buffer (each distance computed twice).
  sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const pi = i * d;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0, p = pi, q = j * d; c < d; c++, p++, q++) {
        const diff = x[p]! - x[q]!;
        s += diff * diff;
      }
      sums[codes[j]!]! += Math.sqrt(s);
    }
    total += pointSilhouette(sums, 0, codes[i]!, sizes, k);
  }
  return total / n;
}

/** s(i) from the per-cluster distance sums at sums[offset .. offset + k). */
function pointSilhouette(sums: Float64Array, offset: number, own: number, sizes: Int32Array, k: number): number {
  const ownSize = sizes[own]!;
  if (ownSize <= 1) return 0;
  const a = sums[offset + own]! / (ownSize - 1);
  let b = Infinity;
  for (let c = 0; c < k; c++) {
    if (c === own) continue;
    const mean = sums[offset + c]! / sizes[c]!;
    if (mean < b) b = mean;
  }
  const denom = Math.max(a, b);
  return denom > 0 ? (b - a) / denom : 0;
}

// ---------------------------------------------------------------------------------------------
// Centroid-based indices

/** Inertia: Σ over rows of the squared distance to the row's cluster centroid. */
export function withinClusterSumOfSquares(data: Matrix, labels: Int32Array): number {
  checkRows('withinClusterSumOfSquares', data, labels);
  const dense = denseLabels(labels);
  const centers = centroids(data, dense);
  return withinSS(data, dense, centers);
}

function withinSS(data: Matrix, dense: DenseLabels, centers: Float64Array): number {
  const d = data.cols;
  const x = data.data;
  let total = 0;
  for (let i = 0; i < data.rows; i++) {
    const base = dense.codes[i]! * d;
    for (let c = 0, p = i * d; c < d; c++, p++) {
      const diff = x[p]! - centers[base + c]!;
      total += diff * diff;
    }
  }
  return total;
}

/**
 * Davies–Bouldin (scikit-learn): s_i = mean distance of cluster i's points to its centroid,
 * M_ij = distance between centroids, DB = mean over i of max_{j≠i} (s_i + s_j) / M_ij.
 * Lower is better. As in scikit-learn, coincident centroids (M_ij = 0) are skipped, and the
 * index is 0 when every s_i or every M_ij is 0.
 */
export function daviesBouldin(data: Matrix, labels: Int32Array): number {
  checkRows('daviesBouldin', data, labels);
  const dense = denseLabels(labels);
  checkClusterCount('daviesBouldin', dense.k, data.rows);
  const { k, codes } = dense;
  const d = data.cols;
  const x = data.data;
  const centers = centroids(data, dense);
  const scatter = new Float64Array(k);
  for (let i = 0; i < data.rows; i++) {
    const cl = codes[i]!;
    let s = 0;
    for (let c = 0, p = i * d, q = cl * d; c < d; c++, p++, q++) {
      const diff = x[p]! - centers[q]!;
      s += diff * diff;
    }
    scatter[cl]! += Math.sqrt(s);
  }
  for (let cl = 0; cl < k; cl++) scatter[cl]! /= dense.sizes[cl]!;

  const centroidDistance = new Float64Array(k * k);
  let anyScatter = false;
  let anySeparation = false;
  for (let i = 0; i < k; i++) {
    if (scatter[i]! > 0) anyScatter = true;
    for (let j = i + 1; j < k; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = centers[i * d + c]! - centers[j * d + c]!;
        s += diff * diff;
      }
      const m = Math.sqrt(s);
      if (m > 0) anySeparation = true;
      centroidDistance[i * k + j] = m;
      centroidDistance[j * k + i] = m;
    }
  }
  if (!anyScatter || !anySeparation) return 0;
  let total = 0;
  for (let i = 0; i < k; i++) {
    let worst = 0;
    for (let j = 0; j < k; j++) {
      const m = centroidDistance[i * k + j]!;
      if (j === i || m === 0) continue;
      const r = (scatter[i]! + scatter[j]!) / m;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / k;
}

/**
 * Calinski–Harabasz (variance ratio): [between-SS / (k − 1)] / [within-SS / (n − k)], where
 * between-SS = Σ_c n_c·|centroid_c − overall mean|². Higher is better. 1 when within-SS is 0
 * (scikit-learn's convention).
 */
export function calinskiHarabasz(data: Matrix, labels: Int32Array): number {
  checkRows('calinskiHarabasz', data, labels);
  const n = data.rows;
  const dense = denseLabels(labels);
  const { k } = dense;
  checkClusterCount('calinskiHarabasz', k, n);
  const d = data.cols;
  const x = data.data;
  const centers = centroids(data, dense);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c]! += x[i * d + c]!;
  for (let c = 0; c < d; c++) mean[c]! /= n;
  let between = 0;
  for (let cl = 0; cl < k; cl++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      const diff = centers[cl * d + c]! - mean[c]!;
      s += diff * diff;
    }
    between += dense.sizes[cl]! * s;
  }
  const within = withinSS(data, dense, centers);
  if (within === 0) return 1;
  return (between * (n - k)) / (within * (k - 1));
}

// ---------------------------------------------------------------------------------------------
// Dunn

/**
 * Dunn index: (closest pair of points in different clusters) / (largest cluster diameter, the
 * farthest pair within one cluster). Higher is better. Exact up to `exactLimit` rows, otherwise
 * on a fixed-seed sample of `exactLimit` rows (`exact: false`). When every cluster is a single
 * point or a stack of identical points the diameter is 0 and the index is Infinity (0 if two
 * clusters also share a point).
 */
export function dunnIndex(data: Matrix, labels: Int32Array, options: DunnOptions = {}): SampledMetric {
  checkRows('dunnIndex', data, labels);
  const indices = dunnSample(data.rows, options);
  if (indices === null) return { value: dunnExact(data, labels), exact: true, sampleSize: data.rows };
  const sampleLabels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) sampleLabels[k] = labels[indices[k]!]!;
  return { value: dunnExact(selectRows(data, indices), sampleLabels), exact: false, sampleSize: indices.length };
}

function dunnExact(data: Matrix, labels: Int32Array): number {
  const n = data.rows;
  const dense = denseLabels(labels);
  if (dense.k < 2) throw new RangeError(`dunnIndex: needs at least 2 clusters, got ${dense.k}`);
  const { codes } = dense;
  const d = data.cols;
  const x = data.data;
  let minInter = Infinity; // squared
  let maxIntra = 0; // squared
  for (let i = 0; i < n; i++) {
    const ci = codes[i]!;
    const pi = i * d;
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0, p = pi, q = j * d; c < d; c++, p++, q++) {
        const diff = x[p]! - x[q]!;
        s += diff * diff;
      }
      if (codes[j] === ci) {
        if (s > maxIntra) maxIntra = s;
      } else if (s < minInter) {
        minInter = s;
      }
    }
  }
  if (minInter === 0) return 0;
  if (maxIntra === 0) return Infinity;
  return Math.sqrt(minInter) / Math.sqrt(maxIntra);
}

// ---------------------------------------------------------------------------------------------
// Adjusted Rand index and bootstrap stability

const pairs = (m: number): number => (m * (m - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985) from the contingency table n_ij:
 * ARI = (Σ C(n_ij,2) − E) / (½(Σ C(a_i,2) + Σ C(b_j,2)) − E), E = Σ C(a_i,2)·Σ C(b_j,2) / C(n,2).
 * 1 for identical partitions up to relabelling, about 0 for chance agreement, can be negative.
 * When the denominator is 0 (both partitions one cluster, or both all singletons, or n ≤ 1) the
 * partitions are identical and the result is 1, as in scikit-learn.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`adjustedRandIndex: ${a.length} vs ${b.length} labels`);
  const n = a.length;
  const da = denseLabels(a);
  const db = denseLabels(b);
  let sumA = 0;
  for (let c = 0; c < da.k; c++) sumA += pairs(da.sizes[c]!);
  let sumB = 0;
  for (let c = 0; c < db.k; c++) sumB += pairs(db.sizes[c]!);

  let index = 0;
  const cells = da.k * db.k;
  if (cells <= 1 << 22) {
    const table = new Int32Array(cells);
    for (let i = 0; i < n; i++) table[da.codes[i]! * db.k + db.codes[i]!]! += 1;
    for (let c = 0; c < cells; c++) index += pairs(table[c]!);
  } else {
    const table = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const key = da.codes[i]! * db.k + db.codes[i]!;
      table.set(key, (table.get(key) ?? 0) + 1);
    }
    for (const count of table.values()) index += pairs(count);
  }

  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/**
 * Bootstrap stability of a clustering. For each of `resamples` rounds: draw m = min(rows,
 * sampleSize) row indices uniformly WITH replacement (seeded RNG, so reproducible), build the
 * resampled matrix, re-cluster it with `cluster`, and score the ARI between the reference labels
 * of the drawn rows and the new labels (a row drawn twice counts twice). Reports the mean and
 * the minimum ARI over the rounds; 1 means the clustering is recovered from every resample.
 * `cluster` must return one label per resampled row; it sees only the resample, so any
 * randomness it uses is its own.
 */
export function bootstrapStability(
  data: Matrix,
  referenceLabels: Int32Array,
  cluster: (sample: Matrix) => Int32Array,
  options: BootstrapOptions = {},
): StabilityResult {
  checkRows('bootstrapStability', data, referenceLabels);
  const resamples = options.resamples ?? 10;
  const n = data.rows;
  const m = Math.min(n, options.sampleSize ?? 5_000);
  if (m < 1) throw new RangeError('bootstrapStability: needs at least one row');
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const values: number[] = [];
  const reference = new Int32Array(m);
  for (let r = 0; r < resamples; r++) {
    const indices = m === n ? bootstrapIndices(n, random) : drawWithReplacement(n, m, random);
    const labels = cluster(selectRows(data, indices));
    if (labels.length !== m) {
      throw new RangeError(`bootstrapStability: cluster returned ${labels.length} labels for ${m} rows`);
    }
    for (let k = 0; k < m; k++) reference[k] = referenceLabels[indices[k]!]!;
    values.push(adjustedRandIndex(reference, labels));
  }
  const mean = values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
  const min = values.length > 0 ? Math.min(...values) : Number.NaN;
  return { mean, min, values, resamples };
}

/** m indices of 0..n-1 drawn with replacement (same draws as bootstrapIndices when m = n). */
function drawWithReplacement(n: number, m: number, random: Random): Int32Array {
  const out = new Int32Array(m);
  for (let k = 0; k < m; k++) out[k] = randomInt(random, n);
  return out;
}
