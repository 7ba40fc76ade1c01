/**
 * Gaussian mixture model fitted by EM over a row-major Matrix, diagonal or full covariances.
 *
 * - Initialisation: kmeansFit with the same seed; the first M-step uses its hard labels.
 * - Densities are evaluated in log space with log-sum-exp; full covariances via their Cholesky
 *   factor (log-determinant from its diagonal, Mahalanobis distance by forward substitution).
 * - `regularization` is added to every variance / covariance diagonal, like scikit-learn's
 *   reg_covar, so a flat column cannot make a component singular.
 * - Convergence: the mean log-likelihood per row changes by less than `tolerance` between two
 *   E-steps (the M-step of that iteration is still applied, as scikit-learn does).
 *
 * Limits: EM runs on at most `sampleSize` rows (default 50 000), a seeded sample above that;
 * labels and the log-likelihood (hence BIC/AIC, with n = all rows) are then computed on ALL
 * rows with the fitted parameters.
 */
import { selectRows, type Matrix } from '../matrix.js';
import { sampleIndices, seededRandom } from '../random.js';
import { kmeansFit } from './kmeans.js';
import {
  assertData,
  assertK,
  assertPositiveInteger,
  clusterOrder,
  compareRows,
  relabel,
  type CovarianceType,
  type GmmFit,
  type GmmOptions,
} from './types.js';

const FN = 'gmmFit';
const LOG_2PI = Math.log(2 * Math.PI);

export function gmmFit(data: Matrix, k: number, options: GmmOptions = {}): GmmFit {
  const covariance: CovarianceType = options.covariance ?? 'diagonal';
  const seed = options.seed ?? 42;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;
  const regularization = options.regularization ?? 1e-6;
  const sampleSize = options.sampleSize ?? 50_000;
  assertData(FN, data);
  assertK(FN, k, data.rows);
  assertPositiveInteger(FN, 'maxIterations', maxIterations);
  assertPositiveInteger(FN, 'sampleSize', sampleSize);
  if (covariance !== 'diagonal' && covariance !== 'full') {
    throw new RangeError(`${FN}: covariance must be 'diagonal' or 'full', got ${String(covariance)}`);
  }
  if (!(tolerance >= 0)) throw new RangeError(`${FN}: tolerance must be ≥ 0, got ${tolerance}`);
  if (!(regularization >= 0) || regularization === Infinity) {
    throw new RangeError(`${FN}: regularization must be a finite number ≥ 0, got ${regularization}`);
  }
  const n = data.rows;
  const d = data.cols;
  const sampled = n > sampleSize;
  if (sampled) assertK(FN, k, sampleSize, 'sampled rows (sampleSize)');
  const X = sampled ? selectRows(data, sampleIndices(n, sampleSize, seededRandom(seed))) : data;
  const m = X.rows;

  const model = new Model(k, d, covariance === 'full', regularization);
  const init = kmeansFit(X, k, { seed });
  model.means.set(init.centroids.data);
  model.setGlobalCovariance(X);
  const resp = new Float64Array(m * k);
  for (let i = 0; i < m; i++) resp[i * k + init.labels[i]!] = 1;
  model.mStep(X, resp);

  let previous = -Infinity;
  let iterations = 0;
  let converged = false;
  for (let iter = 1; iter <= maxIterations; iter++) {
    model.prepare();
    const meanLogLikelihood = model.eStep(X, resp) / m;
    model.mStep(X, resp);
    iterations = iter;
    if (Math.abs(meanLogLikelihood - previous) < tolerance) {
      converged = true;
      break;
    }
    previous = meanLogLikelihood;
  }

  // Labels and log-likelihood over all rows with the final parameters.
  model.prepare();
  const labels = new Int32Array(n);
  const logLikelihood = model.assign(data, labels);

  const order = clusterOrder(model.weights, (a, b) => compareRows({ rows: k, cols: d, data: model.means }, a, b));
  relabel(labels, order);
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const covariances: Float64Array[] = [];
  const c = model.covarianceSize;
  for (let j = 0; j < k; j++) {
    const o = order[j]!;
    weights[j] = model.weights[o]!;
    means.set(model.means.subarray(o * d, (o + 1) * d), j * d);
    covariances.push(model.covariances.slice(o * c, (o + 1) * c));
  }

  const parameters = k * d + k * (covariance === 'full' ? (d * (d + 1)) / 2 : d) + (k - 1);
  return {
    labels,
    weights,
    means: { rows: k, cols: d, data: means },
    covariances,
    logLikelihood,
    bic: parameters * Math.log(n) - 2 * logLikelihood,
    aic: 2 * parameters - 2 * logLikelihood,
    parameters,
    iterations,
    converged,
    covariance,
  };
}

/** Mixture parameters in flat typed arrays, plus the per-component terms the E-step needs. */
class Model {
  readonly weights: Float64Array;
  readonly means: Float64Array;
  /** Per component: d variances, or d×d row-major covariance. */
  readonly covariances: Float64Array;
  readonly covarianceSize: number;
  /** ln w_j − ½(d·ln 2π + ln det Σ_j). */
  readonly logNorm: Float64Array;
  /** Diagonal: 1/variance. Full: lower Cholesky factor of Σ_j, d×d row-major. */
  readonly factor: Float64Array;
  private readonly nk: Float64Array;
  /** Scratch: responsibility-weighted sums (k×d) and scatter (like covariances). */
  private readonly sums: Float64Array;
  private readonly scatter: Float64Array;
  private readonly diff: Float64Array;

  constructor(
    readonly k: number,
    readonly d: number,
    readonly full: boolean,
    readonly regularization: number,
  ) {
    this.covarianceSize = full ? d * d : d;
    this.weights = new Float64Array(k);
    this.means = new Float64Array(k * d);
    this.covariances = new Float64Array(k * this.covarianceSize);
    this.factor = new Float64Array(k * this.covarianceSize);
    this.logNorm = new Float64Array(k);
    this.nk = new Float64Array(k);
    this.sums = new Float64Array(k * d);
    this.scatter = new Float64Array(k * this.covarianceSize);
    this.diff = new Float64Array(d);
  }

  /** Every component starts with the overall (co)variances, kept by a component left empty. */
  setGlobalCovariance(X: Matrix): void {
    const { d, k } = this;
    const x = X.data;
    const mean = new Float64Array(d);
    for (let i = 0; i < X.rows; i++) for (let c = 0; c < d; c++) mean[c]! += x[i * d + c]!;
    for (let c = 0; c < d; c++) mean[c]! /= X.rows;
    const variance = new Float64Array(d);
    for (let i = 0; i < X.rows; i++) {
      for (let c = 0; c < d; c++) {
        const diff = x[i * d + c]! - mean[c]!;
        variance[c]! += diff * diff;
      }
    }
    for (let j = 0; j < k; j++) {
      for (let c = 0; c < d; c++) {
        const v = variance[c]! / X.rows + this.regularization;
        this.covariances[j * this.covarianceSize + (this.full ? c * d + c : c)] = v;
      }
    }
  }

  /** Precomputes the log-normalisers and the precisions / Cholesky factors. */
  prepare(): void {
    const { d, k, full } = this;
    const size = this.covarianceSize;
    for (let j = 0; j < k; j++) {
      const o = j * size;
      let logDet = 0;
      if (!full) {
        for (let c = 0; c < d; c++) {
          const v = this.covariances[o + c]!;
          if (!(v > 0) || v === Infinity) throw singular(j);
          this.factor[o + c] = 1 / v;
          logDet += Math.log(v);
        }
      } else {
        const a = this.covariances;
        const L = this.factor;
        for (let r = 0; r < d; r++) {
          for (let c = 0; c <= r; c++) {
            let sum = a[o + r * d + c]!;
            for (let t = 0; t < c; t++) sum -= L[o + r * d + t]! * L[o + c * d + t]!;
            if (r === c) {
              if (!(sum > 0) || sum === Infinity) throw singular(j);
              const root = Math.sqrt(sum);
              L[o + r * d + r] = root;
              logDet += 2 * Math.log(root);
            } else {
              L[o + r * d + c] = sum / L[o + c * d + c]!;
            }
          }
          for (let c = r + 1; c < d; c++) L[o + r * d + c] = 0;
        }
      }
      this.logNorm[j] = Math.log(this.weights[j]!) - 0.5 * (d * LOG_2PI + logDet);
    }
  }

  /** Responsibilities of every row into resp (m×k); returns the total log-likelihood. */
  eStep(X: Matrix, resp: Float64Array): number {
    return score(this, X, resp, null);
  }

  /** Most likely component of every row into labels; returns the total log-likelihood. */
  assign(X: Matrix, labels: Int32Array): number {
    return score(this, X, null, labels);
  }

  /** Weights, means and (co)variances from the responsibilities. */
  mStep(X: Matrix, resp: Float64Array): void {
    const { d, k, full, means, covariances, nk, sums, diff } = this;
    const size = this.covarianceSize;
    const m = X.rows;
    const x = X.data;
    nk.fill(0);
    sums.fill(0);
    for (let i = 0; i < m; i++) {
      const p = i * d;
      for (let j = 0, q = i * k; j < k; j++) {
        const r = resp[q + j]!;
        if (r === 0) continue;
        nk[j]! += r;
        for (let c = 0, mu = j * d; c < d; c++) sums[mu + c]! += r * x[p + c]!;
      }
    }
    // A component with (almost) no responsibility keeps its mean and covariance.
    const minimum = 1e-10 * m;
    for (let j = 0; j < k; j++) {
      this.weights[j] = nk[j]! / m;
      if (nk[j]! > minimum) for (let c = 0, mu = j * d; c < d; c++) means[mu + c] = sums[mu + c]! / nk[j]!;
    }

    const acc = this.scatter;
    acc.fill(0);
    for (let i = 0; i < m; i++) {
      const p = i * d;
      for (let j = 0, q = i * k; j < k; j++) {
        const r = resp[q + j]!;
        if (r === 0) continue;
        const mu = j * d;
        const o = j * size;
        if (!full) {
          for (let c = 0; c < d; c++) {
            const delta = x[p + c]! - means[mu + c]!;
            acc[o + c]! += r * delta * delta;
          }
        } else {
          for (let c = 0; c < d; c++) diff[c] = x[p + c]! - means[mu + c]!;
          for (let a = 0; a < d; a++) {
            const ra = r * diff[a]!;
            const row = o + a * d;
            for (let b = a; b < d; b++) acc[row + b]! += ra * diff[b]!;
          }
        }
      }
    }
    for (let j = 0; j < k; j++) {
      if (!(nk[j]! > minimum)) continue;
      const o = j * size;
      const scale = 1 / nk[j]!;
      if (!full) {
        for (let c = 0; c < d; c++) covariances[o + c] = acc[o + c]! * scale + this.regularization;
      } else {
        for (let a = 0; a < d; a++) {
          covariances[o + a * d + a] = acc[o + a * d + a]! * scale + this.regularization;
          for (let b = a + 1; b < d; b++) {
            const v = acc[o + a * d + b]! * scale;
            covariances[o + a * d + b] = v;
            covariances[o + b * d + a] = v;
          }
        }
      }
    }
  }
}

/**
 * One pass over the rows: ln(w_j·N(x | μ_j, Σ_j)) per component, log-sum-exp per row. Writes
 * the responsibilities (resp, m×k) and/or the most likely component (labels); returns the
 * total log-likelihood. A plain function with everything in locals keeps the loop tight.
 */
function score(model: Model, X: Matrix, resp: Float64Array | null, labels: Int32Array | null): number {
  const { d, k, full, means, factor, logNorm } = model;
  const size = model.covarianceSize;
  const x = X.data;
  const lp = new Float64Array(k);
  const z = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < X.rows; i++) {
    const p = i * d;
    let max = -Infinity;
    let best = 0;
    for (let j = 0; j < k; j++) {
      const mu = j * d;
      const o = j * size;
      let maha = 0;
      if (!full) {
        for (let c = 0; c < d; c++) {
          const delta = x[p + c]! - means[mu + c]!;
          maha += delta * delta * factor[o + c]!;
        }
      } else {
        // Solve L z = x − μ by forward substitution; ‖z‖² is the Mahalanobis distance.
        for (let r = 0; r < d; r++) {
          let v = x[p + r]! - means[mu + r]!;
          const row = o + r * d;
          for (let c = 0; c < r; c++) v -= factor[row + c]! * z[c]!;
          v /= factor[row + r]!;
          z[r] = v;
          maha += v * v;
        }
      }
      const value = logNorm[j]! - 0.5 * maha;
      lp[j] = value;
      if (value > max) {
        max = value;
        best = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(lp[j]! - max);
      lp[j] = e;
      sum += e;
    }
    if (resp !== null) {
      const inv = 1 / sum;
      for (let j = 0, q = i * k; j < k; j++) resp[q + j] = lp[j]! * inv;
    }
    if (labels !== null) labels[i] = best;
    total += max + Math.log(sum);
  }
  return total;
}

function singular(component: number): RangeError {
  return new RangeError(
    `${FN}: the covariance of component ${component} is not positive definite; increase regularization`,
  );
}
