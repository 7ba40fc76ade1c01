/**
 * Quintile scoring with the mid-rank rule, over typed arrays.
 *
 * For a value v among n values, let `worse` be how many values are strictly worse than v and
 * `equal` how many equal v (v itself included). The mid-rank percentile is
 * p = (worse + equal / 2) / n and the score is clamp(ceil(5p), 1, 5).
 *
 * The score is computed in integer arithmetic, ceil(5 * (2 * worse + equal) / (2n)), so no
 * floating error can push a value across a quintile boundary. Equal values always get equal
 * scores because the score depends only on (worse, equal), which equal values share.
 *
 * Examples: one value → 3; all values equal → all 3; five distinct values → 1..5;
 * ten distinct values → 1,1,2,2,3,3,4,4,5,5.
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
 * Scores 1..5 by quintile of mid-rank; ties always get equal scores.
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
  const denominator = 2 * n;

  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const less = lowerBound(sorted, v);
    const notGreater = upperBound(sorted, v);
    const equal = notGreater - less;
    const worse = higherIsBetter ? less : n - notGreater;
    // ceil(5 * (2*worse + equal) / (2n)) with exact integers (all far below 2^53).
    const numerator = 5 * (2 * worse + equal);
    const remainder = numerator % denominator;
    let score = (numerator - remainder) / denominator + (remainder === 0 ? 0 : 1);
    if (score < 1) score = 1;
    else if (score > 5) score = 5;
    scores[i] = score;
  }
  return scores;
}
