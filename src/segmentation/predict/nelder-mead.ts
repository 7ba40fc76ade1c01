/**
 * Nelder–Mead minimisation (Lagarias et al. 1998 coefficients), restarted from the best vertex
 * until a restart no longer improves: the simplex can collapse early on a curved valley, which a
 * fresh simplex around the same point undoes. Derivative-free, so a likelihood only has to be
 * evaluated, and robust on the log-parameters of the purchase models.
 */

export interface MinimizeOptions {
  /** Edge of the starting simplex, in the units of x. */
  step?: number;
  maxIterations?: number;
  /** Stop when the simplex's values differ by less than this (absolute). */
  tolerance?: number;
  maxRestarts?: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

export function minimize(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const { step = 0.5, maxIterations = 5_000, tolerance = 1e-10, maxRestarts = 5 } = options;
  let best = simplexSearch(f, start, step, maxIterations, tolerance);
  let { iterations, evaluations } = best;
  for (let restart = 0; restart < maxRestarts && best.converged; restart++) {
    const again = simplexSearch(f, best.x, step / 4, maxIterations, tolerance);
    iterations += again.iterations;
    evaluations += again.evaluations;
    const improved = best.value - again.value > tolerance;
    if (again.value <= best.value) best = { ...again, converged: again.converged };
    if (!improved) break;
  }
  return { ...best, iterations, evaluations };
}

function simplexSearch(f: (x: readonly number[]) => number, start: readonly number[], step: number, maxIterations: number, tolerance: number): MinimizeResult {
  const n = start.length;
  const value = (x: number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  let evaluations = 0;
  const points: number[][] = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i] = p[i]! + step;
    points.push(p);
  }
  const values = points.map(value);
  const order = points.map((_, i) => i);
  let iterations = 0;
  // A simplex pressed against the box can creep along it forever in ever smaller steps: stop when
  // the best value has not moved by more than the tolerance over a whole window of iterations.
  const window = 200 * n;
  let bestAtWindowStart = Number.POSITIVE_INFINITY;
  for (; iterations < maxIterations; iterations++) {
    order.sort((i, j) => values[i]! - values[j]!);
    const bestV = values[order[0]!]!;
    const worst = order[n]!;
    const worstV = values[worst]!;
    if (Number.isFinite(worstV) && Math.abs(worstV - bestV) <= tolerance) break;
    if (iterations % window === 0) {
      if (bestAtWindowStart - bestV <= tolerance) break;
      bestAtWindowStart = bestV;
    }
    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) for (let d = 0; d < n; d++) centroid[d]! += points[order[k]!]![d]! / n;
    const along = (t: number) => centroid.map((c, d) => c + t * (points[worst]![d]! - c));
    const reflected = along(-1);
    const reflectedV = value(reflected);
    const secondWorstV = values[order[n - 1]!]!;
    if (reflectedV < bestV) {
      const expanded = along(-2);
      const expandedV = value(expanded);
      if (expandedV < reflectedV) replace(worst, expanded, expandedV);
      else replace(worst, reflected, reflectedV);
    } else if (reflectedV < secondWorstV) {
      replace(worst, reflected, reflectedV);
    } else {
      const outside = reflectedV < worstV;
      const contracted = along(outside ? -0.5 : 0.5);
      const contractedV = value(contracted);
      if (contractedV < (outside ? reflectedV : worstV)) {
        replace(worst, contracted, contractedV);
      } else {
        const bestPoint = points[order[0]!]!;
        for (let k = 1; k <= n; k++) {
          const i = order[k]!;
          points[i] = points[i]!.map((v, d) => bestPoint[d]! + 0.5 * (v - bestPoint[d]!));
          values[i] = value(points[i]!);
        }
      }
    }
  }
  order.sort((i, j) => values[i]! - values[j]!);
  return { x: points[order[0]!]!, value: values[order[0]!]!, iterations, evaluations, converged: iterations < maxIterations && Number.isFinite(values[order[0]!]!) };

  function replace(i: number, p: number[], v: number): void {
    points[i] = p;
    values[i] = v;
  }
}

/**
 * Log-parameters beyond ±ln(10^6) say "no heterogeneity" (a, b → ∞ with a/(a+b) fixed, or p → ∞):
 * the likelihood keeps rising ever more slowly towards infinity. A box stops the search there;
 * predictions at the bound equal the limit's, and the caller reports which parameters hit it.
 */
export const LOG_PARAMETER_BOUND = Math.log(1e6);

export function boxed(f: (x: readonly number[]) => number): (x: readonly number[]) => number {
  return (x) => (x.every((v) => Math.abs(v) <= LOG_PARAMETER_BOUND) ? f(x) : Number.POSITIVE_INFINITY);
}

/** Names of the parameters that ran towards the box's edge (within a factor e of it: the likelihood is flat out there). */
export function atBound(names: readonly string[], x: readonly number[]): string[] {
  return names.filter((_, i) => Math.abs(x[i]!) > LOG_PARAMETER_BOUND - 1);
}
