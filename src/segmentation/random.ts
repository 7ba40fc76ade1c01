/**
 * A small seeded PRNG (mulberry32) so every sample, restart and bootstrap is reproducible:
 * the same input and seed give the same clusters and the same metrics.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** `size` distinct indices of 0..n-1, sorted ascending (partial Fisher–Yates); all of them if size ≥ n. */
export function sampleIndices(n: number, size: number, random: Random): Int32Array {
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < size; k++) {
    const j = k + randomInt(random, n - k);
    const t = pool[k]!;
    pool[k] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, size).sort();
}

/** n indices drawn from 0..n-1 with replacement (a bootstrap resample). */
export function bootstrapIndices(n: number, random: Random): Int32Array {
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = randomInt(random, n);
  return out;
}

/** A Gamma(shape, rate) draw (Marsaglia & Tsang 2000; shape < 1 by the boost u^(1/shape)). */
export function gammaVariate(random: Random, shape: number, rate: number): number {
  if (shape < 1) return gammaVariate(random, shape + 1, rate) * Math.pow(random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

/** A Beta(a, b) draw, from two Gamma draws. */
export function betaVariate(random: Random, a: number, b: number): number {
  const x = gammaVariate(random, a, 1);
  return x / (x + gammaVariate(random, b, 1));
}
