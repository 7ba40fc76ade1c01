/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive, a
 * customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out
 * with probability p ~ Beta(a, b). Fitted by maximum likelihood on log-parameters.
 *
 * Customers with the same (x, t_x, T) have the same likelihood and predictions, so both run over
 * the distinct triples with a weight: a few thousand triples stand for a million customers.
 */
import { logGamma, hyp2f1 } from './special.js';
import { atBound, boxed, minimize, type MinimizeOptions } from './nelder-mead.js';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  customers: number;
  repeatBuyers: number;
  evaluations: number;
  /** Parameters that ran to the search box's edge (see LOG_PARAMETER_BOUND). */
  atBound: string[];
}

/** The fit did not converge, or ran into values the model cannot take. */
export class ModelFitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFitError';
  }
}

/**
 * Distinct (x, t_x, T) triples with how many customers share each; `of[c]` is customer c's triple.
 * The likelihood's costly parts depend on x alone or on one time alone, so each triple also points
 * into the distinct x values and the distinct times (days ÷ unit): per evaluation those get one
 * log Γ or one log each, and a triple costs a few multiplications, one exp and one log1p.
 */
export interface SummaryTriples {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  of: Int32Array;
  distinctX: Float64Array;
  xIndex: Int32Array;
  /** Distinct values of t_x and T together. */
  distinctTimes: Float64Array;
  txIndex: Int32Array;
  TIndex: Int32Array;
}

/** t_x and T must be whole days ÷ unitDays, as summarizeCustomers builds them. */
export function distinctTriples(summary: { x: Float64Array; tx: Float64Array; T: Float64Array; unitDays: number }): SummaryTriples {
  const n = summary.x.length;
  const seen = new Map<number, number>();
  const of = new Int32Array(n);
  const xs: number[] = [];
  const txDays: number[] = [];
  const TDays: number[] = [];
  const weights: number[] = [];
  for (let c = 0; c < n; c++) {
    const tx = Math.round(summary.tx[c]! * summary.unitDays);
    const T = Math.round(summary.T[c]! * summary.unitDays);
    // Exact integer key: x < 2^21, day counts < 2^16 (179 years).
    const key = (summary.x[c]! * 65_536 + tx) * 65_536 + T;
    let t = seen.get(key);
    if (t === undefined) {
      t = xs.length;
      seen.set(key, t);
      xs.push(summary.x[c]!);
      txDays.push(tx);
      TDays.push(T);
      weights.push(0);
    }
    weights[t]!++;
    of[c] = t;
  }
  const indexer = () => {
    const index = new Map<number, number>();
    return { index, of: (v: number) => { let i = index.get(v); if (i === undefined) index.set(v, (i = index.size)); return i; } };
  };
  const xIdx = indexer();
  const dayIdx = indexer();
  const xIndex = Int32Array.from(xs, (x) => xIdx.of(x));
  const txIndex = Int32Array.from(txDays, (d) => dayIdx.of(d));
  const TIndex = Int32Array.from(TDays, (d) => dayIdx.of(d));
  return {
    x: Float64Array.from(xs),
    tx: Float64Array.from(txDays, (d) => d / summary.unitDays),
    T: Float64Array.from(TDays, (d) => d / summary.unitDays),
    weight: Float64Array.from(weights),
    of,
    distinctX: Float64Array.from(xIdx.index.keys()),
    xIndex,
    distinctTimes: Float64Array.from(dayIdx.index.keys(), (d) => d / summary.unitDays),
    txIndex,
    TIndex,
  };
}

/** Σ weight · ln L(r, α, a, b | x, t_x, T) (FHL 2005, eq. 6, in logs). */
export function bgnbdLogLikelihood(params: BgNbdParams, triples: SummaryTriples): number {
  const { r, alpha, a, b } = params;
  const lnAlpha = Math.log(alpha);
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const lnA = Math.log(a);
  const { distinctX, distinctTimes } = triples;
  const constant = new Float64Array(distinctX.length);
  const dropOut = new Float64Array(distinctX.length);
  for (let j = 0; j < distinctX.length; j++) {
    const x = distinctX[j]!;
    constant[j] = logGamma(r + x) - lgR + r * lnAlpha + lgAB + logGamma(b + x) - lgB - logGamma(a + b + x);
    dropOut[j] = x > 0 ? lnA - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
  }
  const lnTime = new Float64Array(distinctTimes.length);
  for (let d = 0; d < distinctTimes.length; d++) lnTime[d] = Math.log(alpha + distinctTimes[d]!);
  let total = 0;
  for (let k = 0; k < triples.x.length; k++) {
    const x = triples.x[k]!;
    const j = triples.xIndex[k]!;
    const a3 = -(r + x) * lnTime[triples.TIndex[k]!]!;
    let ll = a3;
    if (x > 0) {
      const a4 = dropOut[j]! - (r + x) * lnTime[triples.txIndex[k]!]!;
      ll = a3 > a4 ? a3 + Math.log1p(Math.exp(a4 - a3)) : a4 + Math.log1p(Math.exp(a3 - a4));
    }
    total += triples.weight[k]! * (constant[j]! + ll);
  }
  return total;
}

/** `search` overrides the optimizer's limits (tests use a tiny budget to reach the not-converged path). */
export function fitBgNbd(triples: SummaryTriples, search: MinimizeOptions = {}): BgNbdFit {
  let customers = 0;
  let repeatBuyers = 0;
  let meanT = 0;
  for (let k = 0; k < triples.x.length; k++) {
    customers += triples.weight[k]!;
    if (triples.x[k]! > 0) repeatBuyers += triples.weight[k]!;
    meanT += triples.weight[k]! * triples.T[k]!;
  }
  meanT /= customers;
  // Searched as (ln r, ln α, logit of the mean drop-out a/(a+b), ln(a+b)): when customers do not
  // differ in drop-out, the optimum runs off along a+b alone, and the box stops it on one axis.
  const toParams = (v: readonly number[]): BgNbdParams => {
    const mean = 1 / (1 + Math.exp(-v[2]!));
    const concentration = Math.exp(v[3]!);
    return { r: Math.exp(v[0]!), alpha: Math.exp(v[1]!), a: mean * concentration, b: (1 - mean) * concentration };
  };
  // Mean negative log-likelihood per customer keeps the simplex tolerance independent of the population size.
  const objective = (v: readonly number[]) => -bgnbdLogLikelihood(toParams(v), triples) / customers;
  const result = minimize(boxed(objective), [0, Math.log(Math.max(meanT, 1e-3)), 0, Math.log(2)], { step: 1, ...search });
  const params = toParams(result.x);
  if (!result.converged || !Object.values(params).every((v) => Number.isFinite(v) && v > 0 && v < 1e8)) {
    throw new ModelFitError(
      `the BG/NBD fit did not converge after ${result.evaluations} likelihood evaluations ` +
        `(r=${params.r.toPrecision(3)}, α=${params.alpha.toPrecision(3)}, a=${params.a.toPrecision(3)}, b=${params.b.toPrecision(3)}): ` +
        'the purchase history is too short or too regular for the model. Predictions resume once more history has accumulated; check that purchase dates are right (segmentation.predictions.minHistoryDays, minRepeatBuyers set how much history is required).',
    );
  }
  return { params, logLikelihood: -result.value * customers, customers, repeatBuyers, evaluations: result.evaluations, atBound: atBound(['r', 'α', 'a/(a+b)', 'a+b'], result.x) };
}

/** P(still alive at T | x, t_x, T) (FHL 2005, eq. 9 and the note "Computing P(alive)"). */
export function probabilityAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const lnRatio = Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
  return 1 / (1 + Math.exp(lnRatio));
}

/**
 * E[purchases in (T, T + t] | alive at T, x, T]. Given that, λ ~ Gamma(r + x, α + T) and the
 * drop-out p ~ Beta(a, b + x) independently, and E[purchases | λ, p] = (1 − e^(−λpt)) / p, so the
 * answer is E over p of g(p) = (1 − ((α+T)/(α+T+pt))^(r+x)) / p (FHL 2005, eq. 10, numerator).
 *
 * Small a: the closed form with Euler's transformation 2F1(r+x, b+x; a+b+x−1; z) =
 * (1−z)^(a−1−r−x) 2F1(a+b−1−r, a−1; a+b+x−1; z), which cancels the (1−z)^(r+x) factor; its series
 * needs about a·t/(α+T) terms. Large a (customers who hardly differ in drop-out, up to the search
 * box's 10^6): the series would need millions of terms and overflow, but then Beta(a, b+x) is
 * smooth and narrow, and Gauss–Legendre over μ ± 12σ integrates g exactly enough.
 */
const SERIES_MAX_A = 30;

function expectationNumerator(p: BgNbdParams, t: number, x: number, T: number): number {
  if (t <= 0) return 0;
  if (p.a > SERIES_MAX_A) return betaExpectation(p.a, p.b + x, (q) => -Math.expm1(-(p.r + x) * Math.log1p((q * t) / (p.alpha + T))) / q);
  // The formula is 0/0 at a = 1 and at a + b + x = 1 exactly; a step of 1e-9 away costs < 1e-5 relative.
  let a = Math.abs(p.a - 1) < 1e-9 ? 1 + 1e-9 : p.a;
  if (Math.abs(a + p.b + x - 1) < 1e-9) a += 2e-9;
  const z = t / (p.alpha + T + t);
  const c = a + p.b + x - 1;
  return (c / (a - 1)) * (1 - Math.pow(1 - z, a - 1) * hyp2f1(a + p.b - 1 - p.r, a - 1, c, z));
}

/**
 * E[g(q)] for q ~ Beta(a, b) with a > 1, by 64-point Gauss–Legendre over mean ± 12 sd (clipped to
 * (0, 1)). With b < 1 the density is infinite at q = 1: then over s = (1 − q)^b, in which it is
 * smooth, (1/B) q^(a−1) ds with q = 1 − s^(1/b).
 */
function betaExpectation(a: number, b: number, g: (q: number) => number): number {
  if (b < 1) {
    let weighted = 0;
    let total = 0;
    for (let i = 0; i < GAUSS_LEGENDRE.nodes.length; i++) {
      const s = 0.5 + 0.5 * GAUSS_LEGENDRE.nodes[i]!;
      const q = -Math.expm1(Math.log(s) / b);
      if (!(q > 0)) continue;
      const w = GAUSS_LEGENDRE.weights[i]! * Math.exp((a - 1) * Math.log(q));
      weighted += w * g(q);
      total += w;
    }
    return weighted / total;
  }
  const mean = a / (a + b);
  const sd = Math.sqrt((mean * (1 - mean)) / (a + b + 1));
  const lo = Math.max(mean - 12 * sd, 1e-12);
  const hi = Math.min(mean + 12 * sd, 1 - 1e-12);
  const half = (hi - lo) / 2;
  const mid = (hi + lo) / 2;
  // Log-density relative to the mode: no Beta function needed, and no overflow for large a, b.
  const logDensity = (q: number) => (a - 1) * Math.log(q) + (b - 1) * Math.log1p(-q);
  const peak = logDensity(Math.min(Math.max((a - 1) / (a + b - 2), lo), hi));
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < GAUSS_LEGENDRE.nodes.length; i++) {
    const q = mid + half * GAUSS_LEGENDRE.nodes[i]!;
    const w = GAUSS_LEGENDRE.weights[i]! * Math.exp(logDensity(q) - peak);
    weighted += w * g(q);
    total += w;
  }
  return weighted / total;
}

/** Nodes and weights of n-point Gauss–Legendre on [−1, 1] (Newton's method on P_n; Numerical Recipes' gauleg). */
function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p0 = 1;
      let p1 = 0;
      for (let j = 1; j <= n; j++) {
        const p2 = p1;
        p1 = p0;
        p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
      }
      derivative = (n * (z * p0 - p1)) / (z * z - 1);
      const step = p0 / derivative;
      z -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - z * z) * derivative * derivative);
  }
  return { nodes, weights };
}
const GAUSS_LEGENDRE = gaussLegendre(64);

/** Expected purchases in (T, T + t] for a customer with history (x, t_x, T) (FHL 2005, eq. 10). */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  return expectationNumerator(p, t, x, T) * probabilityAlive(p, x, tx, T);
}

/** Expected repeat purchases in the first t units after a customer's first purchase (FHL 2005, eq. 7). */
export function expectedRepeatPurchases(p: BgNbdParams, t: number): number {
  return expectationNumerator(p, t, 0, 0);
}

/**
 * Expected purchases in each of the consecutive periods ending at `ends` (ascending), for one
 * customer: differences of one conditional expectation, which share P(alive).
 */
export function expectedPurchasesByPeriod(p: BgNbdParams, ends: readonly number[], x: number, tx: number, T: number): number[] {
  const alive = probabilityAlive(p, x, tx, T);
  let previous = 0;
  return ends.map((t) => {
    const cumulative = expectationNumerator(p, t, x, T);
    const inPeriod = (cumulative - previous) * alive;
    previous = cumulative;
    return inPeriod;
  });
}

/**
 * Median time to the next purchase if the customer is still alive: then the next purchase is
 * Poisson with λ | history ~ Gamma(r + x, α + T), so P(none within s) = ((α+T)/(α+T+s))^(r+x).
 */
export function medianTimeToNextPurchase(p: BgNbdParams, x: number, T: number): number {
  return (p.alpha + T) * (Math.pow(2, 1 / (p.r + x)) - 1);
}
