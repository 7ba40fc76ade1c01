/**
 * L2-regularised logistic regression by Newton's method (IRLS), deterministic: minimises
 * Σ log-loss + (l2 / 2)·‖w‖² with the intercept unpenalised, the objective of scikit-learn's
 * LogisticRegression(C = 1 / l2). Features should be standardised by the caller.
 */
export interface LogisticFit {
  intercept: number;
  coefficients: Float64Array;
  iterations: number;
  converged: boolean;
}

/** `x` is row-major, n × p. */
export function fitLogistic(x: Float64Array, y: Uint8Array, p: number, options: { l2: number; maxIterations?: number; tolerance?: number }): LogisticFit {
  const n = y.length;
  const d = p + 1; // column 0 is the intercept
  const beta = new Float64Array(d);
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-10;
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  const row = new Float64Array(d);
  let converged = false;
  let iterations = 0;
  let previous = objective(x, y, p, beta, options.l2);
  for (; iterations < maxIterations && !converged; iterations++) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      row[0] = 1;
      for (let j = 0; j < p; j++) row[j + 1] = x[i * p + j]!;
      let eta = 0;
      for (let j = 0; j < d; j++) eta += row[j]! * beta[j]!;
      const mu = sigmoid(eta);
      const w = Math.max(mu * (1 - mu), 1e-12);
      const r = mu - y[i]!;
      for (let a = 0; a < d; a++) {
        const ra = row[a]!;
        gradient[a]! += r * ra;
        const wa = w * ra;
        for (let b = a; b < d; b++) hessian[a * d + b]! += wa * row[b]!;
      }
    }
    for (let a = 1; a < d; a++) {
      gradient[a]! += options.l2 * beta[a]!;
      hessian[a * d + a]! += options.l2;
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hessian[a * d + b] = hessian[b * d + a]!;
    const step = solveSymmetric(hessian, gradient, d);
    // Step halving keeps Newton monotone on (near-)separable data.
    let scale = 1;
    const trial = new Float64Array(d);
    let value = Number.POSITIVE_INFINITY;
    for (let h = 0; h < 30; h++) {
      for (let a = 0; a < d; a++) trial[a] = beta[a]! - scale * step[a]!;
      value = objective(x, y, p, trial, options.l2);
      if (value <= previous + 1e-12) break;
      scale /= 2;
    }
    beta.set(trial);
    let change = 0;
    for (let a = 0; a < d; a++) change = Math.max(change, Math.abs(scale * step[a]!));
    converged = change < tolerance || Math.abs(previous - value) < tolerance * Math.max(1, Math.abs(value));
    previous = value;
  }
  return { intercept: beta[0]!, coefficients: beta.slice(1), iterations, converged };
}

export function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

function objective(x: Float64Array, y: Uint8Array, p: number, beta: Float64Array, l2: number): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    let eta = beta[0]!;
    for (let j = 0; j < p; j++) eta += x[i * p + j]! * beta[j + 1]!;
    // log(1 + e^eta) − y·eta, computed without overflow.
    total += (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y[i]! * eta;
  }
  let penalty = 0;
  for (let j = 1; j <= p; j++) penalty += beta[j]! * beta[j]!;
  return total + (l2 / 2) * penalty;
}

/** Solves A·s = g for a symmetric positive definite A (Cholesky), with a tiny ridge if needed. */
function solveSymmetric(a: Float64Array, g: Float64Array, d: number): Float64Array {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const l = new Float64Array(d * d);
    let ok = true;
    for (let i = 0; i < d && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = a[i * d + j]! + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
        if (i === j) {
          if (!(sum > 0)) { ok = false; break; }
          l[i * d + i] = Math.sqrt(sum);
        } else l[i * d + j] = sum / l[j * d + j]!;
      }
    }
    if (!ok) { if (ridge > 1) throw new Error('logistic regression: the Hessian is not positive definite'); continue; }
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let sum = g[i]!;
      for (let k = 0; k < i; k++) sum -= l[i * d + k]! * z[k]!;
      z[i] = sum / l[i * d + i]!;
    }
    const s = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let sum = z[i]!;
      for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * s[k]!;
      s[i] = sum / l[i * d + i]!;
    }
    return s;
  }
}
