/**
 * Quintile scoring over typed arrays, ties always equal.
 *
 * For a value v among n values, let `worse` be how many values are strictly worse than v; its
 * percent rank is worse / (n - 1) (SQL's PERCENT_RANK: 0 for the worst, 1 for the best) and the
 * score is 1 + floor(5 × percent rank), with the best value(s) getting 5.
 * A large block of equal values keeps the score of its lowest position: when 60% of
 * customers bought exactly once, all of them get F = 1 (a mid-rank rule would lift them to 2 and
 * leave "New Customers" (R5 F1) and "Promising" (R4 F1) forever empty).
 * When every value is the same (one customer included) the values say nothing about standing,
 * and everyone gets the neutral 3.
 *
 * Integer arithmetic only, so no floating error can push a value across a quintile boundary.
 * Examples: one value → 3; all values equal → all 3; five distinct values → 1..5;
 * three distinct values → 1,3,5; ten distinct values → 1,1,2,2,3,3,4,4,5,5;
 * [1,1,1,1,1,1,2,3,4,5] → 1,1,1,1,1,1,4,4,5,5.
 *
 * O(n log n): one numeric typed-array sort plus two binary searches per element; no per-element
 * object allocation.
 */

/** Index of the first element of `sorted` (ascending) that is not < v. */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of `sorted` (ascending) that is > v. */
function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Scores 1..5 by quintile; ties always get equal scores.
 *
 * @param values the values to score (must not contain NaN; ±Infinity is allowed).
 * @param higherIsBetter true when a larger value is better (frequency, monetary); false when a
 *   smaller value is better (recency in days: fewer days since the last purchase = better).
 * @returns one score per input value, in input order. An empty input gives an empty output.
 * @throws RangeError if a value is NaN.
 */
export function quintileScores(values: Float64Array, higherIsBetter: boolean): Uint8Array {
  const n = values.length;
  const scores = new Uint8Array(n);
  if (n === 0) return scores;

  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i] as number)) {
      throw new RangeError(`quintileScores: value at index ${i} is NaN; only comparable numbers can be scored`);
    }
  }

  // Typed-array sort without a comparator is numeric ascending.
  const sorted = Float64Array.from(values).sort();
  if (sorted[0] === sorted[n - 1]) return scores.fill(3);

  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const worse = higherIsBetter ? lowerBound(sorted, v) : n - upperBound(sorted, v);
    // floor(5 * worse / (n - 1)) with exact integers (all far below 2^53); only the best reach 5.
    scores[i] = 1 + Math.min(4, Math.floor((5 * worse) / (n - 1)));
  }
  return scores;
}
