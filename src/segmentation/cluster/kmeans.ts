/**
 * k-means over a row-major Matrix: our own seeded greedy k-means++ (scikit-learn's recipe) and a
 * typed-array Lloyd with Hamerly's bounds, which skips the distance computations of every row
 * whose nearest centroid provably did not change (most rows after the first iterations).
 *
 * Restarts are cheap: above `sampleSize` rows (default 20 000) every restart seeds and converges
 * on one seeded sample, and only the best `refine` distinct optima of them (default 3) run on all
 * rows; the lowest full-data inertia wins. Convergence follows scikit-learn: a run stops when no row changes
 * cluster, or when the summed squared centroid shift is at most `tolerance` × the mean per-column
 * variance of the data (so the result does not depend on the data's units).
 */
import { selectRows, type Matrix } from '../matrix.js';
import { sampleIndices, seededRandom, type Random } from '../random.js';
import {
  assertData,
  assertK,
  assertPositiveInteger,
  clusterOrder,
  compareRows,
  labelSizes,
  permuteRows,
  relabel,
  type KMeansFit,
  type KMeansOptions,
  type NearestAssignment,
} from './types.js';

const FN = 'kmeansFit';
/** scikit-learn's default tol: the sample restarts' looser stop. */
const SAMPLE_TOLERANCE = 1e-4;
/** Relative difference of sample inertias below which two restarts found the same optimum. */
const SAME_OPTIMUM = 1e-5;
/** Sample optima this far above the best are not refined on all rows. */
const REFINE_MARGIN = 0.01;

export function kmeansFit(data: Matrix, k: number, options: KMeansOptions = {}): KMeansFit {
  const restarts = options.restarts ?? 8;
  const seed = options.seed ?? 42;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const sampleSize = options.sampleSize ?? 20_000;
  const refine = Math.min(options.refine ?? 3, restarts);
  assertData(FN, data);
  assertK(FN, k, data.rows);
  assertPositiveInteger(FN, 'restarts', restarts);
  assertPositiveInteger(FN, 'maxIterations', maxIterations);
  assertPositiveInteger(FN, 'sampleSize', sampleSize);
  assertPositiveInteger(FN, 'refine', refine);
  if (!(tolerance >= 0)) throw new RangeError(`${FN}: tolerance must be ≥ 0, got ${tolerance}`);

  const sampled = data.rows > sampleSize;
  if (sampled) assertK(FN, k, sampleSize, 'sampled rows (sampleSize)');
  const fitData = sampled ? selectRows(data, sampleIndices(data.rows, sampleSize, seededRandom(seed))) : data;
  // scikit-learn's _tolerance: relative to the mean variance of the columns of the data fitted.
  // Sample restarts only pick starting points, so they stop at scikit-learn's own default (1e-4)
  // when that is looser: a restart stuck in a poor optimum would otherwise crawl for 100 steps.
  const fitTolerance = (sampled ? Math.max(tolerance, SAMPLE_TOLERANCE) : tolerance) * meanColumnVariance(fitData);

  const runs: LloydRun[] = [];
  for (let r = 0; r < restarts; r++) {
    runs.push(lloyd(fitData, kmeansPlusPlus(fitData, k, seededRandom(seed + r)), maxIterations, fitTolerance));
  }
  // Stable sort: equal inertias keep restart order, so the result depends on the seed only.
  runs.sort((a, b) => a.inertia - b.inertia);

  let best = runs[0]!;
  if (sampled) {
    // The sample's best few start one Lloyd run each over all rows: from a good start a full run
    // needs few iterations, and its Hamerly bounds make most of them cheap.
    const fullTolerance = tolerance * meanColumnVariance(data);
    // Restarts that reached the same optimum (sample inertias equal to 1e-5) are refined once;
    // an optimum more than 1% above the sample's best does not win on all rows, so it is not
    // refined (such a poor start can crawl for all maxIterations on a million rows).
    let bestFull: LloydRun | null = null;
    const refined: number[] = [];
    for (const run of runs) {
      if (refined.length === refine || run.inertia > (1 + REFINE_MARGIN) * runs[0]!.inertia) break;
      if (refined.some((inertia) => Math.abs(run.inertia - inertia) <= SAME_OPTIMUM * inertia)) continue;
      refined.push(run.inertia);
      const full = lloyd(data, run.centroids, maxIterations, fullTolerance);
      if (bestFull === null || full.inertia < bestFull.inertia) bestFull = full;
    }
    best = bestFull!;
  }

  // Canonical order: largest cluster first, ties by centroid coordinates. The run's labels are
  // the nearest centroid of every row (Lloyd ends on an assignment step), so they are renamed
  // rather than computed again.
  const rawSizes = labelSizes(best.labels, k);
  if (rawSizes.includes(0)) assertEnoughDistinctRows(data, k);
  const order = clusterOrder(rawSizes, (a, b) => compareRows(best.centroids, a, b));
  const labels = best.labels;
  relabel(labels, order);
  return {
    labels,
    centroids: permuteRows(best.centroids, order),
    inertia: best.inertia,
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

/**
 * Greedy k-means++ as scikit-learn does it: the first centre is a uniformly drawn row; each next
 * one is the best (lowest resulting inertia) of 2 + ⌊ln k⌋ rows drawn with probability
 * proportional to their squared distance to the nearest centre chosen so far.
 */
export function kmeansPlusPlus(data: Matrix, k: number, random: Random): Matrix {
  const n = data.rows;
  const d = data.cols;
  const x = data.data;
  const centres = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const closest = new Float64Array(n);
  const candidate = new Float64Array(n);
  const bestCandidate = new Float64Array(n);
  const cumulative = new Float64Array(n);

  const first = Math.min(n - 1, Math.floor(random() * n));
  centres.set(x.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) potential += closest[i] = rowDistance(x, i * d, x, first * d, d);

  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) cumulative[i] = running += closest[i]!;
    let bestPotential = Infinity;
    let bestRow = -1;
    for (let t = 0; t < trials; t++) {
      // Every row at distance 0 from a centre (potential 0): fall back to a uniform draw.
      const row = running > 0 ? searchSorted(cumulative, random() * running) : Math.min(n - 1, Math.floor(random() * n));
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        const dist = Math.min(closest[i]!, rowDistance(x, i * d, x, row * d, d));
        candidate[i] = dist;
        candidatePotential += dist;
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        bestRow = row;
        bestCandidate.set(candidate);
      }
    }
    centres.set(x.subarray(bestRow * d, bestRow * d + d), c * d);
    closest.set(bestCandidate);
  }
  return { rows: k, cols: d, data: centres };
}

interface LloydRun {
  centroids: Matrix;
  /** Nearest centroid of every row (the run ends on an assignment step). */
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
}

/**
 * Lloyd's iterations from `initial` with Hamerly's bounds (Hamerly 2010): per row an upper bound
 * on the distance to its centroid and a lower bound on the distance to any other; a row whose
 * upper bound is below both the lower bound and half the distance from its centroid to the
 * nearest other centroid keeps its cluster without computing a distance. The bounds follow the
 * centroids' moves after each update step.
 *
 * Stops (converged) when an assignment step changes no row, or the summed squared centroid shift
 * is at most `tolerance` (absolute, squared units); labels always match the returned centroids.
 */
function lloyd(data: Matrix, initial: Matrix, maxIterations: number, tolerance: number): LloydRun {
  const n = data.rows;
  const d = data.cols;
  const k = initial.rows;
  const x = data.data;
  let centres = Float64Array.from(initial.data);
  let next = new Float64Array(k * d);
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const halfGap = new Float64Array(k);
  const shift = new Float64Array(k);

  // First assignment: every distance.
  for (let i = 0; i < n; i++) {
    const p = i * d;
    let best = Infinity;
    let second = Infinity;
    let bestJ = 0;
    for (let j = 0; j < k; j++) {
      const dist = rowDistance(x, p, centres, j * d, d);
      if (dist < best) {
        second = best;
        best = dist;
        bestJ = j;
      } else if (dist < second) second = dist;
    }
    labels[i] = bestJ;
    upper[i] = Math.sqrt(best);
    lower[i] = Math.sqrt(second);
    counts[bestJ]!++;
    for (let t = 0, q = bestJ * d; t < d; t++) sums[q + t]! += x[p + t]!;
  }

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Update step: centroids to their rows' means; an empty cluster takes the farthest row.
    if (counts.includes(0)) relocateEmptyClusters(data, centres, labels, upper, lower, sums, counts);
    let shiftTotal = 0;
    let maxShift = 0;
    let maxShiftJ = -1;
    let secondShift = 0;
    for (let j = 0; j < k; j++) {
      const q = j * d;
      let moved = 0;
      for (let t = 0; t < d; t++) {
        // A cluster still empty (too few distinct rows) keeps its centroid; kmeansFit reports it.
        const value = counts[j]! > 0 ? sums[q + t]! / counts[j]! : centres[q + t]!;
        const diff = value - centres[q + t]!;
        moved += diff * diff;
        next[q + t] = value;
      }
      shiftTotal += moved;
      const s = Math.sqrt(moved);
      shift[j] = s;
      if (s > maxShift) {
        secondShift = maxShift;
        maxShift = s;
        maxShiftJ = j;
      } else if (s > secondShift) secondShift = s;
    }
    [centres, next] = [next, centres];
    if (shiftTotal === 0) {
      converged = true;
      break;
    }

    // Half the distance from each centroid to its nearest other centroid.
    halfGap.fill(Infinity);
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const gap = Math.sqrt(rowDistance(centres, a * d, centres, b * d, d)) / 2;
        if (gap < halfGap[a]!) halfGap[a] = gap;
        if (gap < halfGap[b]!) halfGap[b] = gap;
      }
    }

    // Assignment step with the bounds.
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = labels[i]!;
      upper[i]! += shift[a]!;
      lower[i]! -= a === maxShiftJ ? secondShift : maxShift;
      const bound = Math.max(halfGap[a]!, lower[i]!);
      if (upper[i]! <= bound) continue;
      const p = i * d;
      upper[i] = Math.sqrt(rowDistance(x, p, centres, a * d, d));
      if (upper[i]! <= bound) continue;
      let best = Infinity;
      let second = Infinity;
      let bestJ = 0;
      for (let j = 0; j < k; j++) {
        const dist = rowDistance(x, p, centres, j * d, d);
        if (dist < best) {
          second = best;
          best = dist;
          bestJ = j;
        } else if (dist < second) second = dist;
      }
      upper[i] = Math.sqrt(best);
      lower[i] = Math.sqrt(second);
      if (bestJ !== a) {
        labels[i] = bestJ;
        changed++;
        counts[a]!--;
        counts[bestJ]!++;
        for (let t = 0, qa = a * d, qb = bestJ * d; t < d; t++) {
          sums[qa + t]! -= x[p + t]!;
          sums[qb + t]! += x[p + t]!;
        }
      }
    }
    if (changed === 0 || shiftTotal <= tolerance) {
      converged = true;
      break;
    }
  }

  // The labels are the nearest centroids of `centres`; the inertia is summed exactly.
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += rowDistance(x, i * d, centres, labels[i]! * d, d);
  return { centroids: { rows: k, cols: d, data: centres }, labels, inertia, iterations, converged };
}

/**
 * scikit-learn's answer to an empty cluster: it takes the row farthest from its own centroid
 * (one row per empty cluster, farthest first). The moved rows' bounds are reset so the next
 * assignment step looks at them again.
 */
function relocateEmptyClusters(data: Matrix, centres: Float64Array, labels: Int32Array, upper: Float64Array, lower: Float64Array, sums: Float64Array, counts: Float64Array): void {
  const n = data.rows;
  const d = data.cols;
  const x = data.data;
  const far = new Float64Array(n);
  for (let i = 0; i < n; i++) far[i] = rowDistance(x, i * d, centres, labels[i]! * d, d);
  const byDistance = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => far[b]! - far[a]! || a - b);
  let next = 0;
  for (let j = 0; j < counts.length; j++) {
    if (counts[j]! > 0) continue;
    // A row whose cluster would become empty in turn cannot move; with too few distinct rows
    // the cluster stays empty and kmeansFit reports it.
    while (next < n && (counts[labels[byDistance[next]!]!]! <= 1 || far[byDistance[next]!] === 0)) next++;
    if (next >= n) return;
    const i = byDistance[next++]!;
    const from = labels[i]!;
    const p = i * d;
    counts[from]!--;
    counts[j] = 1;
    for (let t = 0; t < d; t++) {
      sums[from * d + t]! -= x[p + t]!;
      sums[j * d + t] = x[p + t]!;
    }
    labels[i] = j;
    upper[i] = Infinity;
    lower[i] = 0;
  }
}

/** Squared distance between a[p..p+d) and b[q..q+d). */
function rowDistance(a: Float64Array, p: number, b: Float64Array, q: number, d: number): number {
  let sum = 0;
  for (let t = 0; t < d; t++) {
    const diff = a[p + t]! - b[q + t]!;
    sum += diff * diff;
  }
  return sum;
}

/** The first index whose cumulative value is ≥ target (numpy's searchsorted, clipped to n − 1). */
function searchSorted(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Mean over the columns of each column's (population) variance: scikit-learn's tolerance scale. */
function meanColumnVariance(data: Matrix): number {
  const n = data.rows;
  const d = data.cols;
  const x = data.data;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t]! += x[i * d + t]!;
  for (let t = 0; t < d; t++) mean[t]! /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const diff = x[i * d + t]! - mean[t]!;
      total += diff * diff;
    }
  }
  return total / (n * d);
}

/** Fewer distinct rows than k leave a cluster empty whatever the seeding: impossible input. */
function assertEnoughDistinctRows(data: Matrix, k: number): void {
  const distinct = new Set<string>();
  for (let i = 0; i < data.rows && distinct.size < k; i++) {
    distinct.add(data.data.subarray(i * data.cols, (i + 1) * data.cols).join(','));
  }
  if (distinct.size < k) throw new RangeError(`${FN}: only ${distinct.size} distinct rows, cannot form k = ${k} clusters`);
}
