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

/** `x` is row-major, n × p. `weights` (optional): each row counts this many times (a sampled row stands for the ones left out). */
export function fitLogistic(
  x: Float64Array, y: Uint8Array, p: number,
  options: { l2: number; maxIterations?: number; tolerance?: number; weights?: Float64Array },
): LogisticFit {
  const n = y.length;
  const d = p + 1; // column 0 is the intercept
  const weights = options.weights;
  const beta = new Float64Array(d);
  // Start at the base rate's log-odds: one Newton step fewer, and the same optimum.
  let positives = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    positives += w * y[i]!;
    total += w;
  }
  if (positives > 0 && positives < total) beta[0] = Math.log(positives / (total - positives));
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-10;
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  let converged = false;
  let iterations = 0;
  let previous = objective(x, y, p, beta, options.l2, weights);
  for (; iterations < maxIterations && !converged; iterations++) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0, base = 0; i < n; i++, base += p) {
      let eta = beta[0]!;
      for (let j = 0; j < p; j++) eta += x[base + j]! * beta[j + 1]!;
      const mu = sigmoid(eta);
      const c = weights ? weights[i]! : 1;
      const w = c * Math.max(mu * (1 - mu), 1e-12);
      const r = c * (mu - y[i]!);
      gradient[0]! += r;
      hessian[0]! += w;
      // Upper triangle only (mirrored below): row a + 1 of the Hessian gets w·x_a·x_b for b ≥ a.
      for (let a = 0; a < p; a++) {
        const xa = x[base + a]!;
        gradient[a + 1]! += r * xa;
        const wa = w * xa;
        const rowStart = (a + 1) * d + 1;
        hessian[a + 1]! += wa;
        for (let b = a; b < p; b++) hessian[rowStart + b]! += wa * x[base + b]!;
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
      value = objective(x, y, p, trial, options.l2, weights);
      if (value <= previous + 1e-12 * Math.max(1, Math.abs(previous))) break;
      scale /= 2;
    }
    beta.set(trial);
    let change = 0;
    for (let a = 0; a < d; a++) change = Math.max(change, Math.abs(scale * step[a]!));
    converged = change < tolerance || Math.abs(previous - value) < tolerance * 1e-3 * Math.max(1, Math.abs(value));
    previous = value;
  }
  return { intercept: beta[0]!, coefficients: beta.slice(1), iterations, converged };
}

export function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

function objective(x: Float64Array, y: Uint8Array, p: number, beta: Float64Array, l2: number, weights: Float64Array | undefined): number {
  let total = 0;
  for (let i = 0, base = 0; i < y.length; i++, base += p) {
    let eta = beta[0]!;
    for (let j = 0; j < p; j++) eta += x[base + j]! * beta[j + 1]!;
    // log(1 + e^eta) − y·eta, computed without overflow.
    const loss = (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y[i]! * eta;
    total += weights ? weights[i]! * loss : loss;
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
