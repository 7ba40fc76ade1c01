/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive, a
 * customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out
 * with probability p ~ Beta(a, b). Fitted by maximum likelihood on log-parameters.
 *
 * Customers with the same (x, t_x, T) have the same likelihood and predictions, so both run over
 * the distinct triples with a weight: a few thousand triples stand for a million customers.
 */
import { logGamma, hyp2f1 } from './special.js';
import { atBound, boxed, minimize } from './nelder-mead.js';

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

/** Distinct (x, t_x, T) triples with how many customers share each; `of[c]` is customer c's triple. */
export interface SummaryTriples {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  of: Int32Array;
}

/** t_x and T must be whole days ÷ unitDays, as summarizeCustomers builds them. */
export function distinctTriples(summary: { x: Float64Array; tx: Float64Array; T: Float64Array; unitDays: number }): SummaryTriples {
  const n = summary.x.length;
  const seen = new Map<number, number>();
  const of = new Int32Array(n);
  const xs: number[] = [];
  const txs: number[] = [];
  const Ts: number[] = [];
  const weights: number[] = [];
  for (let c = 0; c < n; c++) {
    // Exact integer key: x < 2^21, day counts < 2^16 (179 years).
    const key = (summary.x[c]! * 65_536 + Math.round(summary.tx[c]! * summary.unitDays)) * 65_536 + Math.round(summary.T[c]! * summary.unitDays);
    let t = seen.get(key);
    if (t === undefined) {
      t = xs.length;
      seen.set(key, t);
      xs.push(summary.x[c]!);
      txs.push(summary.tx[c]!);
      Ts.push(summary.T[c]!);
      weights.push(0);
    }
    weights[t]!++;
    of[c] = t;
  }
  return { x: Float64Array.from(xs), tx: Float64Array.from(txs), T: Float64Array.from(Ts), weight: Float64Array.from(weights), of };
}

/** Σ weight · ln L(r, α, a, b | x, t_x, T) (FHL 2005, eq. 6, in logs). */
export function bgnbdLogLikelihood(params: BgNbdParams, triples: SummaryTriples): number {
  const { r, alpha, a, b } = params;
  const lnAlpha = Math.log(alpha);
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const lnA = Math.log(a);
  const perX = new Map<number, number>();
  let total = 0;
  for (let k = 0; k < triples.x.length; k++) {
    const x = triples.x[k]!;
    let constant = perX.get(x);
    if (constant === undefined) {
      constant = logGamma(r + x) - lgR + r * lnAlpha + lgAB + logGamma(b + x) - lgB - logGamma(a + b + x);
      perX.set(x, constant);
    }
    const a3 = -(r + x) * Math.log(alpha + triples.T[k]!);
    let ll = a3;
    if (x > 0) {
      const a4 = lnA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + triples.tx[k]!);
      ll = a3 > a4 ? a3 + Math.log1p(Math.exp(a4 - a3)) : a4 + Math.log1p(Math.exp(a3 - a4));
    }
    total += triples.weight[k]! * (constant + ll);
  }
  return total;
}

export function fitBgNbd(triples: SummaryTriples): BgNbdFit {
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
  const result = minimize(boxed(objective), [0, Math.log(Math.max(meanT, 1e-3)), 0, Math.log(2)], { step: 1 });
  const params = toParams(result.x);
  if (!result.converged || !Object.values(params).every((v) => Number.isFinite(v) && v > 0 && v < 1e8)) {
    throw new ModelFitError(
      `the BG/NBD fit did not converge after ${result.evaluations} likelihood evaluations ` +
        `(r=${params.r.toPrecision(3)}, α=${params.alpha.toPrecision(3)}, a=${params.a.toPrecision(3)}, b=${params.b.toPrecision(3)}): ` +
        'the purchase history is too short or too regular for the model; lengthen the history or raise predictions.minRepeatBuyers.',
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
 * The part of E[Y(t) | x, t_x, T] that depends on t (FHL 2005, eq. 10, numerator), with Euler's
 * transformation 2F1(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1−r−x) 2F1(a+b−1−r, a−1; a+b+x−1; z), which
 * cancels the (1−z)^(r+x) factor and keeps the series' terms small even for heavy buyers.
 */
function expectationNumerator(p: BgNbdParams, t: number, x: number, T: number): number {
  if (t <= 0) return 0;
  const a = Math.abs(p.a - 1) < 1e-9 ? 1 + 1e-9 : p.a; // the formula is 0/0 at a = 1 exactly
  const z = t / (p.alpha + T + t);
  const c = a + p.b + x - 1;
  return (c / (a - 1)) * (1 - Math.pow(1 - z, a - 1) * hyp2f1(a + p.b - 1 - p.r, a - 1, c, z));
}

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
