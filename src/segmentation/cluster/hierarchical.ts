/**
 * Agglomerative clustering with Ward linkage, by the nearest-neighbour-chain algorithm over
 * cluster centroids and sizes: O(n²·d) time, O(n·d) memory, no n×n distance matrix.
 *
 * Ward distance between clusters A and B: Δ(A, B) = |A||B|/(|A|+|B|) · ‖mean A − mean B‖², the
 * increase of the within-cluster sum of squares (k-means inertia) caused by merging them. We
 * report Δ itself as the merge height; scipy's `linkage(method='ward')` reports sqrt(2·Δ).
 *
 * Limits: exact up to `exactLimit` rows (default 5 000, about a second). Above that the tree is
 * built on a seeded sample of exactLimit rows, cut into k clusters, and every other row joins
 * the cluster with the nearest sample centroid. Reported centroids are the means of all rows
 * carrying each final label.
 */
import { selectRows, type Matrix } from '../matrix.js';
import { sampleIndices, seededRandom } from '../random.js';
import { assignNearest } from './kmeans.js';
import {
  assertData,
  assertK,
  assertPositiveInteger,
  clusterOrder,
  compareRows,
  labelMeans,
  labelSizes,
  permuteRows,
  relabel,
  type WardOptions,
  type WardResult,
} from './types.js';

const FN = 'wardCluster';
const REPORTED_MERGES = 20;

export function wardCluster(data: Matrix, k: number, options: WardOptions = {}): WardResult {
  const exactLimit = options.exactLimit ?? 5_000;
  assertData(FN, data);
  assertPositiveInteger(FN, 'exactLimit', exactLimit);
  assertK(FN, k, data.rows);
  const n = data.rows;
  const sampled = n > exactLimit;
  if (sampled) assertK(FN, k, exactLimit, 'sampled rows (exactLimit)');

  const sample = sampled ? sampleIndices(n, exactLimit, seededRandom(options.seed ?? 42)) : null;
  const points = sample ? selectRows(data, sample) : data;
  const tree = nearestNeighbourChain(points);
  const pointLabels = cutTree(points.rows, tree, k);

  let labels: Int32Array;
  if (sample) {
    const sampleCentroids = labelMeans(points, pointLabels, k);
    labels = assignNearest(data, sampleCentroids).labels;
    for (let s = 0; s < sample.length; s++) labels[sample[s]!] = pointLabels[s]!;
  } else {
    labels = pointLabels;
  }

  const raw = labelMeans(data, labels, k);
  const order = clusterOrder(labelSizes(labels, k), (a, b) => compareRows(raw, a, b));
  relabel(labels, order);

  const heights = tree.heights.slice().sort().reverse();
  return {
    labels,
    centroids: permuteRows(raw, order),
    mergeHeights: heights.slice(0, Math.min(REPORTED_MERGES, heights.length)),
    sampled,
    exactLimit,
  };
}

interface Merges {
  /** Merge t joined the cluster containing row a[t] with the one containing row b[t]. */
  a: Int32Array;
  b: Int32Array;
  /** Ward cost Δ of merge t (in the order the chain found them, not sorted). */
  heights: Float64Array;
}

/** All n − 1 Ward merges. Cluster slots are named by one of their rows. */
function nearestNeighbourChain(points: Matrix): Merges {
  const m = points.rows;
  const d = points.cols;
  const centroid = points.data.slice();
  const size = new Float64Array(m).fill(1);
  // Active slots, compact (swap-remove) with positions for O(1) removal.
  const active = Int32Array.from({ length: m }, (_, i) => i);
  const position = Int32Array.from({ length: m }, (_, i) => i);
  let activeCount = m;
  const chain = new Int32Array(m);
  let length = 0;
  const merges: Merges = { a: new Int32Array(m - 1), b: new Int32Array(m - 1), heights: new Float64Array(m - 1) };
  let merged = 0;

  while (activeCount > 1) {
    if (length === 0) chain[length++] = active[0]!;
    const a = chain[length - 1]!;
    const prev = length >= 2 ? chain[length - 2]! : -1;
    const pa = a * d;
    const sa = size[a]!;
    let best = -1;
    let bestD = Infinity;
    if (prev >= 0) {
      best = prev;
      bestD = ward(centroid, pa, prev * d, d, sa, size[prev]!);
    }
    for (let t = 0; t < activeCount; t++) {
      const j = active[t]!;
      if (j === a) continue;
      const sb = size[j]!;
      let sum = 0;
      for (let c = 0, q = j * d; c < d; c++) {
        const diff = centroid[pa + c]! - centroid[q + c]!;
        sum += diff * diff;
      }
      const dist = ((sa * sb) / (sa + sb)) * sum;
      // Ties keep the previous chain element (so reciprocal pairs are found), else the lower row.
      if (dist < bestD || (dist === bestD && best !== prev && j < best)) {
        best = j;
        bestD = dist;
      }
    }

    if (best !== prev) {
      chain[length++] = best;
      continue;
    }
    // a and prev are reciprocal nearest neighbours: merge into the lower slot.
    length -= 2;
    const keep = Math.min(a, prev);
    const drop = Math.max(a, prev);
    const sk = size[keep]!;
    const sd = size[drop]!;
    const total = sk + sd;
    for (let c = 0, p = keep * d, q = drop * d; c < d; c++) {
      centroid[p + c] = (sk * centroid[p + c]! + sd * centroid[q + c]!) / total;
    }
    size[keep] = total;
    const at = position[drop]!;
    const last = active[--activeCount]!;
    active[at] = last;
    position[last] = at;
    merges.a[merged] = keep;
    merges.b[merged] = drop;
    merges.heights[merged++] = bestD;
  }
  return merges;
}

function ward(centroid: Float64Array, p: number, q: number, d: number, sa: number, sb: number): number {
  let sum = 0;
  for (let c = 0; c < d; c++) {
    const diff = centroid[p + c]! - centroid[q + c]!;
    sum += diff * diff;
  }
  return ((sa * sb) / (sa + sb)) * sum;
}

/**
 * Labels of the k clusters left after the m − k cheapest merges. Ward is monotone, so sorting
 * the chain's merges by cost gives the dendrogram order; the merges form a spanning tree over
 * the rows, so applying any m − k of them leaves exactly k groups. Labels follow row order.
 */
function cutTree(m: number, merges: Merges, k: number): Int32Array {
  const order = Int32Array.from({ length: m - 1 }, (_, t) => t).sort(
    (s, t) => merges.heights[s]! - merges.heights[t]! || s - t,
  );
  const parent = Int32Array.from({ length: m }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let t = 0; t < m - k; t++) {
    const merge = order[t]!;
    parent[find(merges.b[merge]!)] = find(merges.a[merge]!);
  }
  const labelOfRoot = new Int32Array(m).fill(-1);
  const labels = new Int32Array(m);
  let next = 0;
  for (let i = 0; i < m; i++) {
    const root = find(i);
    if (labelOfRoot[root] === -1) labelOfRoot[root] = next++;
    labels[i] = labelOfRoot[root]!;
  }
  return labels;
}
