/**
 * Two-component PCA for plotting segments, over a row-major matrix of any height.
 *
 * - One pass over the typed array computes the column means and the d×d covariance matrix
 *   (Welford's co-moment update, numerically stable; divisor n − 1, n for a single row). Only that
 *   d×d matrix goes to ml-pca, which returns its eigenvectors in order of decreasing eigenvalue.
 *   The rows are centered and projected here; the data is never copied into number[][].
 * - Explained variance: eigenvalue / total variance (the trace of the covariance matrix),
 *   negative rounding residue clamped to 0. A matrix with no variance at all explains [0, 0].
 * - Loadings are the entries of the unit-length eigenvectors (not scaled by √eigenvalue), so
 *   pc1² summed over the features is 1.
 * - Sign convention: an eigenvector's sign is arbitrary; each component is flipped so that its
 *   entry of largest absolute value is positive (the first such entry, if several tie within
 *   1e-12). Same data → same picture.
 * - One column: PC1 is the centered column itself (loading 1), PC2 is all zeros with 0
 *   explained variance.
 *
 * Cost: O(n·d²) for the covariance and O(n·d) for the projection; memory O(n) for the points.
 */
import { PCA } from 'ml-pca';

import type { Matrix } from './matrix.js';

export interface PcaResult {
  /** rows × 2, row-major: PC1, PC2 per row. */
  points: Float64Array;
  /** Shares of total variance. */
  explainedVariance: [number, number];
  /** Eigenvector entries per feature. */
  loadings: Array<{ feature: string; pc1: number; pc2: number }>;
  components: 2;
}

const TIE_TOLERANCE = 1e-12;

/** Flips `v` in place so its largest-|entry| (first within TIE_TOLERANCE) is positive. */
function orientComponent(v: Float64Array): void {
  let maxAbs = 0;
  for (let j = 0; j < v.length; j++) maxAbs = Math.max(maxAbs, Math.abs(v[j] as number));
  for (let j = 0; j < v.length; j++) {
    const x = v[j] as number;
    if (Math.abs(x) >= maxAbs - TIE_TOLERANCE) {
      if (x < 0) for (let k = 0; k < v.length; k++) v[k] = -(v[k] as number);
      return;
    }
  }
}

export function pca2d(data: Matrix, columns: readonly string[]): PcaResult {
  const { rows: n, cols: d, data: x } = data;
  if (d < 1) throw new RangeError('pca2d: needs at least one column');
  if (columns.length !== d) throw new RangeError(`pca2d: ${columns.length} column names for ${d} columns`);

  // Means and co-moments (upper triangle) in one pass.
  const mean = new Float64Array(d);
  const delta = new Float64Array(d);
  const comoment = new Float64Array(d * d);
  for (let i = 0, base = 0; i < n; i++, base += d) {
    const inv = 1 / (i + 1);
    for (let j = 0; j < d; j++) {
      const dj = (x[base + j] as number) - (mean[j] as number);
      delta[j] = dj;
      mean[j] = (mean[j] as number) + dj * inv;
    }
    for (let j = 0; j < d; j++) {
      const dj = delta[j] as number;
      const row = j * d;
      for (let k = j; k < d; k++) comoment[row + k] = (comoment[row + k] as number) + dj * ((x[base + k] as number) - (mean[k] as number));
    }
  }
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(mean[j])) throw new RangeError(`pca2d: column "${columns[j]}" contains NaN or infinite values`);
  }

  const divisor = Math.max(n - 1, 1);
  const cov: number[][] = [];
  let trace = 0;
  for (let j = 0; j < d; j++) {
    const row: number[] = new Array<number>(d);
    for (let k = 0; k < d; k++) row[k] = (comoment[j <= k ? j * d + k : k * d + j] as number) / divisor;
    cov.push(row);
    trace += row[j] as number;
  }

  const v1 = new Float64Array(d);
  const v2 = new Float64Array(d);
  let explained: [number, number] = [0, 0];
  if (d === 1) {
    v1[0] = 1;
    explained = trace > 0 ? [1, 0] : [0, 0];
  } else if (!(trace > 0)) {
    // No variance: any basis will do; take the first two axes.
    v1[0] = 1;
    v2[1] = 1;
  } else {
    const model = new PCA(cov, { isCovarianceMatrix: true });
    const vectors = model.getEigenvectors(); // columns, by decreasing eigenvalue
    const values = model.getEigenvalues();
    for (let j = 0; j < d; j++) {
      v1[j] = vectors.get(j, 0);
      v2[j] = vectors.get(j, 1);
    }
    const share = (lambda: number | undefined): number => Math.min(1, Math.max(0, (lambda ?? 0) / trace));
    explained = [share(values[0]), share(values[1])];
  }
  orientComponent(v1);
  orientComponent(v2);

  const points = new Float64Array(n * 2);
  for (let i = 0, base = 0; i < n; i++, base += d) {
    let p1 = 0;
    let p2 = 0;
    for (let j = 0; j < d; j++) {
      const c = (x[base + j] as number) - (mean[j] as number);
      p1 += c * (v1[j] as number);
      p2 += c * (v2[j] as number);
    }
    points[2 * i] = p1;
    points[2 * i + 1] = p2;
  }

  const loadings = columns.map((feature, j) => ({ feature, pc1: v1[j] as number, pc2: v2[j] as number }));
  return { points, explainedVariance: explained, loadings, components: 2 };
}
