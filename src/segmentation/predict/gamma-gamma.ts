/**
 * Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): each
 * purchase's value is Gamma(p, ν) around the customer's own mean, with ν ~ Gamma(q, γ) across
 * customers. Fitted on repeat buyers only (x repeat purchases with mean value m̄), and assumes
 * spend is independent of purchase frequency, which `spendFrequencyCorrelation` checks.
 */
import { logGamma } from './special.js';
import { atBound, boxed, minimize } from './nelder-mead.js';
import { ModelFitError } from './bgnbd.js';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  customers: number;
  /** Parameters that ran to the search box's edge (see LOG_PARAMETER_BOUND). */
  atBound: string[];
}

/** Σ ln f(m̄ | p, q, γ, x) over customers with x > 0 and m̄ > 0. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: Float64Array, mean: Float64Array): number {
  return repeatBuyerLikelihood(repeatBuyers(x, mean))(params);
}

/** The repeat buyers' columns, with what does not depend on the parameters computed once. */
interface RepeatBuyers {
  x: Float64Array;
  mean: Float64Array;
  lnMean: Float64Array;
  /** Index into distinctX: the log Γ terms depend on x alone, once per evaluation. */
  xIndex: Int32Array;
  distinctX: Float64Array;
}

function repeatBuyers(x: Float64Array, mean: Float64Array): RepeatBuyers {
  const rows: number[] = [];
  for (let c = 0; c < x.length; c++) if (x[c]! > 0 && mean[c]! > 0) rows.push(c);
  const index = new Map<number, number>();
  const xIndex = Int32Array.from(rows, (c) => {
    let i = index.get(x[c]!);
    if (i === undefined) index.set(x[c]!, (i = index.size));
    return i;
  });
  return {
    x: Float64Array.from(rows, (c) => x[c]!),
    mean: Float64Array.from(rows, (c) => mean[c]!),
    lnMean: Float64Array.from(rows, (c) => Math.log(mean[c]!)),
    xIndex,
    distinctX: Float64Array.from(index.keys()),
  };
}

function repeatBuyerLikelihood(buyers: RepeatBuyers): (params: GammaGammaParams) => number {
  const constant = new Float64Array(buyers.distinctX.length);
  return ({ p, q, gamma }) => {
    const lgQ = logGamma(q);
    const qLnGamma = q * Math.log(gamma);
    for (let j = 0; j < buyers.distinctX.length; j++) {
      const n = buyers.distinctX[j]!;
      constant[j] = logGamma(p * n + q) - logGamma(p * n) - lgQ + qLnGamma + p * n * Math.log(n);
    }
    let total = 0;
    for (let c = 0; c < buyers.x.length; c++) {
      const n = buyers.x[c]!;
      const px = p * n;
      total += constant[buyers.xIndex[c]!]! + (px - 1) * buyers.lnMean[c]! - (px + q) * Math.log(gamma + n * buyers.mean[c]!);
    }
    return total;
  };
}

export function fitGammaGamma(x: Float64Array, mean: Float64Array): GammaGammaFit {
  const buyers = repeatBuyers(x, mean);
  const customers = buyers.x.length;
  if (customers === 0) throw new ModelFitError('the Gamma-Gamma model needs customers with repeat purchases of positive value; there are none (check the mapping of the purchase amount).');
  let spend = 0;
  for (const m of buyers.mean) spend += m;
  const likelihood = repeatBuyerLikelihood(buyers);
  // Searched as (ln p, ln q, ln pγ): pγ fixes the spread of customers' own means, so when spend
  // hardly varies within a customer the optimum runs off along p alone and the box stops it there.
  const toParams = (v: readonly number[]): GammaGammaParams => ({ p: Math.exp(v[0]!), q: Math.exp(v[1]!), gamma: Math.exp(v[2]! - v[0]!) });
  const objective = (v: readonly number[]) => -likelihood(toParams(v)) / customers;
  // Start at p = q = 2 with the population mean pγ/(q−1) at the observed mean spend.
  const result = minimize(boxed(objective), [Math.log(2), Math.log(2), Math.log(spend / customers)], { step: 1 });
  const params = toParams(result.x);
  if (!result.converged || !Object.values(params).every((v) => Number.isFinite(v) && v > 0 && v < 1e8)) {
    throw new ModelFitError(
      `the Gamma-Gamma fit did not converge after ${result.evaluations} likelihood evaluations ` +
        `(p=${params.p.toPrecision(3)}, q=${params.q.toPrecision(3)}, γ=${params.gamma.toPrecision(3)}); spend per purchase may be constant or too few repeat buyers have one.`,
    );
  }
  return { params, logLikelihood: -result.value * customers, customers, atBound: atBound(['p', 'q', 'pγ'], result.x) };
}

/**
 * E[M | p, q, γ, m̄, x]: a weighted mean of the population mean pγ/(q−1) and the customer's own
 * m̄, the weight on m̄ growing with x. Needs q > 1 (else the population mean is infinite).
 *
 * A one-time buyer's single purchase is the same kind of evidence, one observation: the model's
 * update with x = 1 and m̄ = that spend (`firstSpend`), rather than the population mean alone — a
 * shop whose big spenders lift the population mean would otherwise value every bargain one-timer
 * like a big spender. Only without any spend does the population mean stand.
 */
export function expectedAverageOrderValue(params: GammaGammaParams, x: number, mean: number, firstSpend = 0): number {
  const { p, q, gamma } = params;
  if (x > 0 && mean > 0) return (p * (gamma + x * mean)) / (p * x + q - 1);
  if (firstSpend > 0) return (p * (gamma + firstSpend)) / (p + q - 1);
  return (p * gamma) / (q - 1);
}

/** Pearson correlation of x and m̄ among repeat buyers; the model assumes it is near 0. */
export function spendFrequencyCorrelation(x: Float64Array, mean: Float64Array): number {
  let n = 0;
  let sx = 0;
  let sm = 0;
  for (let c = 0; c < x.length; c++) if (x[c]! > 0 && mean[c]! > 0) { n++; sx += x[c]!; sm += mean[c]!; }
  if (n < 2) return Number.NaN;
  const mx = sx / n;
  const mm = sm / n;
  let cov = 0;
  let vx = 0;
  let vm = 0;
  for (let c = 0; c < x.length; c++) {
    if (!(x[c]! > 0 && mean[c]! > 0)) continue;
    const dx = x[c]! - mx;
    const dm = mean[c]! - mm;
    cov += dx * dm;
    vx += dx * dx;
    vm += dm * dm;
  }
  return vx > 0 && vm > 0 ? cov / Math.sqrt(vx * vm) : Number.NaN;
}
