/** How well predicted probabilities rank and match what happened: AUC, lift and calibration by decile, Brier score. */

/**
 * Area under the ROC curve by the Mann–Whitney statistic: the chance that a random positive scores
 * above a random negative, a tie counting one half. NaN without both a positive and a negative.
 */
export function auc(scores: Float64Array, labels: Uint8Array): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1; // ties share the mean of their ranks
    for (let k = start; k <= end; k++) if (labels[order[k]!] === 1) { positives++; rankSum += averageRank; }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface Decile {
  /** 1 = the tenth with the highest predictions. */
  decile: number;
  people: number;
  /** Mean predicted probability. */
  predicted: number;
  /** Share that converted. */
  actual: number;
  /** actual ÷ the base rate of everyone. */
  lift: number;
}

/**
 * People sorted by prediction (highest first; equal predictions keep their row order, so the split
 * is deterministic), cut into ten groups as equal as possible: group of the k-th person = ⌊10k/n⌋.
 */
export function deciles(scores: Float64Array, labels: Uint8Array): Decile[] {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let converted = 0;
  for (let i = 0; i < n; i++) converted += labels[i]!;
  const base = n > 0 ? converted / n : Number.NaN;
  const groups = Array.from({ length: 10 }, () => ({ people: 0, predicted: 0, actual: 0 }));
  order.forEach((row, k) => {
    const g = groups[Math.floor((10 * k) / n)]!;
    g.people++;
    g.predicted += scores[row]!;
    g.actual += labels[row]!;
  });
  return groups.map((g, d) => {
    const actual = g.people > 0 ? g.actual / g.people : Number.NaN;
    return { decile: d + 1, people: g.people, predicted: g.people > 0 ? g.predicted / g.people : Number.NaN, actual, lift: base > 0 ? actual / base : Number.NaN };
  });
}

/** Mean squared difference between the predicted probability and what happened (0 or 1). */
export function brierScore(scores: Float64Array, labels: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += (scores[i]! - labels[i]!) ** 2;
  return scores.length > 0 ? sum / scores.length : Number.NaN;
}

/**
 * Percentile rank 0-100 (whole number) of each score among all: the share of the others with a
 * lower score, ties counted half, × 100, rounded down.
 */
export function percentileRanks(scores: Float64Array): Float64Array {
  const n = scores.length;
  const out = new Float64Array(n);
  if (n === 1) return out.fill(50);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const below = start;
    const tiedOthers = end - start;
    const rank = Math.floor((100 * (below + tiedOthers / 2)) / (n - 1));
    for (let k = start; k <= end; k++) out[order[k]!] = Math.min(100, rank);
    start = end + 1;
  }
  return out;
}
