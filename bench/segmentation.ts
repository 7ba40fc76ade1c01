/**
 * How long the segmentation pipeline takes, as pure functions (no store, no sync), on 100,000 and
 * 1,000,000 synthetic profiles, and how much memory it needs at its peak.
 *
 * Data: persons 0..n-1 of the sandbox population (seed 42, anchor 2026-06-01), taken one at a
 * time with `personAt` (nothing is kept but the columns): won purchases with an amount become
 * the purchase columns, createdAt/country/city/consent the profile attributes, `trueType` the
 * hidden truth. Generating them (faker names and all) is timed separately and NOT counted in the
 * segmentation times.
 *
 * Stages timed (default settings: ClusteringSchema.parse({}), i.e. k-means, k: auto over 2..10,
 * 8 restarts, 10 bootstrap resamples):
 * - rfm: computeRfm + assignRfmSegments(DEFAULT_RFM_SEGMENTS)
 * - features: computeFeatures
 * - clusterProfiles: the whole thing, end to end, as `segsync segment` calls it
 * - then the pieces inside clusterProfiles, called directly on the same data, to say where the
 *   time goes: prepareFeatures (with featureTable), per k kmeansFit / silhouette / dunnIndex /
 *   daviesBouldin + calinskiHarabasz + inertia, bootstrapStability of the chosen k, the centre
 *   distances, pca2d, describePersonas. (So a run clusters everything twice.)
 * Also reported: the chosen k, its silhouette (exact or on a sample, and how many rows), and the
 * adjusted Rand index of the clusters against the hidden customer types.
 *
 * Memory: each size runs in its own child process, so its numbers are its own. In the child,
 * process.memoryUsage() is sampled every 50 ms (setInterval) and at the end of every step; the
 * pipeline is synchronous, so the sampler only sees memory BETWEEN steps (the bench yields to
 * the event loop after each one): its heap peak is a lower bound. process.resourceUsage().maxRSS
 * is the kernel's true high-water mark of the child (data generation included; it is also shown
 * as it stood when the generation finished). Typed arrays live outside the V8 heap: see the
 * "array buffers" line.
 *
 *   npm run bench:segmentation                          (both sizes; 2–3 minutes on 2 cores)
 *   npx tsx bench/segmentation.ts --sizes 100000        (one size)
 *   npx tsx bench/segmentation.ts --json                (JSON instead of the table)
 *   node --import tsx --cpu-prof bench/segmentation.ts --child 1000000   (one size, no fork: to profile)
 *
 * The npm script runs `node --max-old-space-size=6144 --import tsx bench/segmentation.ts` (the
 * flag reaches the child processes). The default heap (about 4 GB on this 24 GB machine) is also
 * enough today: at 1,000,000 profiles the V8 heap peaks around 600 MB and the process around
 * 1.6 GB RSS, most of the large arrays being typed arrays outside the heap.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClusteringSchema, type ClusteringSettings } from '../src/segmentation/clustering-config.js';
import { clusterProfiles, featureTable, sphericalCriteria, type ClusteringOutcome } from '../src/segmentation/clustering.js';
import { computeFeatures, type ProfileAttributes } from '../src/segmentation/features.js';
import type { Matrix } from '../src/segmentation/matrix.js';
import {
  adjustedRandIndex,
  bootstrapStability,
  calinskiHarabasz,
  clusterSizes,
  daviesBouldin,
  dunnIndex,
  silhouette,
  withinClusterSumOfSquares,
} from '../src/segmentation/metrics.js';
import { pca2d } from '../src/segmentation/pca.js';
import { describePersonas } from '../src/segmentation/personas.js';
import { prepareFeatures } from '../src/segmentation/preparation.js';
import { computeRfm, type PurchaseColumns } from '../src/segmentation/rfm.js';
import { assignRfmSegments, DEFAULT_RFM_SEGMENTS } from '../src/segmentation/rfm-segments.js';
import { assignNearest, kmeansFit } from '../src/segmentation/cluster/kmeans.js';
import { labelMeans } from '../src/segmentation/cluster/types.js';
import { personAt } from '../src/sandbox/population.js';
import { CUSTOMER_TYPES } from '../src/sandbox/population-types.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SEED = 42;
const WINDOW_DAYS = 365;
const MB = 1024 * 1024;

interface KRow {
  k: number;
  fitMs: number;
  silhouetteMs: number;
  dunnMs: number;
  centroidMetricsMs: number;
  silhouette: number;
  converged: boolean;
  iterations: number;
}

interface SizeResult {
  profiles: number;
  purchases: number;
  buyers: number;
  generateMs: number;
  stages: { rfmMs: number; featuresMs: number; clusterProfilesMs: number };
  inside: {
    prepareMs: number;
    scan: KRow[];
    scanMs: number;
    stabilityMs: number;
    centreDistancesMs: number;
    pcaMs: number;
    personasMs: number;
    totalMs: number;
  };
  result: {
    k: number;
    silhouette: number;
    silhouetteExact: boolean;
    silhouetteSampleSize: number;
    stabilityMeanAri: number | null;
    ariVsHiddenTypes: number;
    personas: string[];
  };
  memory: {
    sampledPeakRssMB: number;
    sampledPeakHeapUsedMB: number;
    sampledPeakArrayBuffersMB: number;
    maxRssAfterGenerateMB: number;
    maxRssMB: number;
    heapLimitMB: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Parent: one child process per size, then the table.

function parseSizes(): number[] {
  const at = process.argv.indexOf('--sizes');
  const raw = at >= 0 ? process.argv[at + 1] : undefined;
  const sizes = (raw ?? '100000,1000000').split(',').map((s) => Number(s.replace(/_/g, '')));
  for (const s of sizes) if (!Number.isInteger(s) || s < 1000 || s > 1_000_000) throw new RangeError(`--sizes: ${s} is not a whole number from 1,000 to 1,000,000`);
  return sizes;
}

function runChild(size: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', String(size)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: SizeResult | undefined;
    child.on('message', (m) => (result = m as SizeResult));
    child.on('error', reject);
    child.on('exit', (code, signal) => (result ? resolve(result) : reject(new Error(`child for ${size} profiles exited with ${signal ?? code}`))));
  });
}

const s = (ms: number): string => (ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1)) + ' s';
const num = (n: number): string => n.toLocaleString('en-US');

function printTable(results: SizeResult[]): void {
  const w0 = 44;
  const w = 16;
  const line = (label: string, cells: string[]) => console.log(label.padEnd(w0) + cells.map((c) => c.padStart(w)).join(''));
  const row = (label: string, f: (r: SizeResult) => string) => line(label, results.map(f));
  console.log();
  row('profiles', (r) => num(r.profiles));
  row('won purchases', (r) => num(r.purchases));
  row('buyers (clustered rows)', (r) => num(r.buyers));
  row('generate data (not counted below)', (r) => s(r.generateMs));
  console.log('-'.repeat(w0 + w * results.length));
  row('rfm: computeRfm + assignRfmSegments', (r) => s(r.stages.rfmMs));
  row('features: computeFeatures', (r) => s(r.stages.featuresMs));
  row('clusterProfiles (whole)', (r) => s(r.stages.clusterProfilesMs));
  row('total segmentation', (r) => s(r.stages.rfmMs + r.stages.featuresMs + r.stages.clusterProfilesMs));
  console.log('-'.repeat(w0 + w * results.length));
  console.log('inside clusterProfiles (called directly):');
  row('  prepareFeatures', (r) => s(r.inside.prepareMs));
  const sum = (r: SizeResult, f: (k: KRow) => number) => r.inside.scan.reduce((t, k) => t + f(k), 0);
  row('  k scan 2..10 (all below)', (r) => s(r.inside.scanMs));
  row('    kmeansFit, sum over k', (r) => s(sum(r, (k) => k.fitMs)));
  row('    silhouette, sum over k', (r) => s(sum(r, (k) => k.silhouetteMs)));
  row('    dunnIndex, sum over k', (r) => s(sum(r, (k) => k.dunnMs)));
  row('    DB + CH + inertia, sum over k', (r) => s(sum(r, (k) => k.centroidMetricsMs)));
  row('  bootstrapStability (chosen k)', (r) => s(r.inside.stabilityMs));
  row('  centre distances', (r) => s(r.inside.centreDistancesMs));
  row('  pca2d', (r) => s(r.inside.pcaMs));
  row('  describePersonas', (r) => s(r.inside.personasMs));
  row('  sum of the pieces', (r) => s(r.inside.totalMs));
  console.log('-'.repeat(w0 + w * results.length));
  row('chosen k', (r) => String(r.result.k));
  row('silhouette', (r) => `${r.result.silhouette.toFixed(3)} ${r.result.silhouetteExact ? 'exact' : 'sampled'}`);
  row('  rows it was computed on', (r) => num(r.result.silhouetteSampleSize));
  row('bootstrap stability (mean ARI)', (r) => (r.result.stabilityMeanAri === null ? '-' : r.result.stabilityMeanAri.toFixed(3)));
  row('ARI vs hidden types', (r) => r.result.ariVsHiddenTypes.toFixed(3));
  console.log('-'.repeat(w0 + w * results.length));
  row('peak RSS, maxRSS (kernel)', (r) => `${num(Math.round(r.memory.maxRssMB))} MB`);
  row('  maxRSS when data generation ended', (r) => `${num(Math.round(r.memory.maxRssAfterGenerateMB))} MB`);
  row('peak RSS, sampled', (r) => `${num(Math.round(r.memory.sampledPeakRssMB))} MB`);
  row('peak V8 heap used, sampled', (r) => `${num(Math.round(r.memory.sampledPeakHeapUsedMB))} MB`);
  row('peak array buffers, sampled', (r) => `${num(Math.round(r.memory.sampledPeakArrayBuffersMB))} MB`);
  row('V8 heap limit', (r) => `${num(Math.round(r.memory.heapLimitMB))} MB`);
  for (const r of results) {
    console.log(`\nk scan, ${num(r.profiles)} profiles (seconds; silhouette value):`);
    console.log('   k   kmeansFit  iter  silhouette    dunn   DB+CH+WCSS   silhouette');
    for (const k of r.inside.scan) {
      console.log(
        `  ${String(k.k).padStart(2)}  ${(k.fitMs / 1000).toFixed(2).padStart(10)}  ${String(k.iterations).padStart(4)}${k.converged ? ' ' : '*'}` +
          `${(k.silhouetteMs / 1000).toFixed(2).padStart(10)}${(k.dunnMs / 1000).toFixed(2).padStart(8)}${(k.centroidMetricsMs / 1000).toFixed(2).padStart(13)}${k.silhouette.toFixed(3).padStart(13)}`,
      );
    }
    console.log(`  personas: ${r.result.personas.join(', ')}`);
  }
  console.log('\n  iter: Lloyd iterations of the final run (* = stopped at maxIterations, not converged)');
}

// ---------------------------------------------------------------------------------------------
// Child: one size.

class Memory {
  peakRss = 0;
  peakHeap = 0;
  peakBuffers = 0;
  private timer: NodeJS.Timeout | undefined;
  sample = (): void => {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
    this.peakBuffers = Math.max(this.peakBuffers, m.arrayBuffers);
  };
  start(): void {
    this.sample();
    this.timer = setInterval(this.sample, 50);
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

const memory = new Memory();

/** Runs `f`, samples memory, and lets the 50 ms sampler run before the next step. */
async function timed<T>(f: () => T): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = f();
  const ms = performance.now() - started;
  memory.sample();
  await new Promise((r) => setImmediate(r));
  return { value, ms };
}

interface Generated {
  purchases: PurchaseColumns;
  profile: ProfileAttributes;
  /** Hidden type code per profile (index into CUSTOMER_TYPES). */
  types: Uint8Array;
}

function generate(size: number): Generated {
  const options = { seed: SEED, size, anchor: ANCHOR };
  let capacity = size * 12;
  let profileIndex = new Int32Array(capacity);
  let occurredAtMs = new Float64Array(capacity);
  let amount = new Float64Array(capacity);
  let n = 0;
  const createdAtMs = new Float64Array(size);
  const country = new Array<string | null>(size);
  const city = new Array<string | null>(size);
  const emailConsent = new Array<string | null>(size);
  const types = new Uint8Array(size);
  const typeCode = new Map(CUSTOMER_TYPES.map((t, i) => [t, i]));
  for (let i = 0; i < size; i++) {
    const person = personAt(options, i);
    types[i] = typeCode.get(person.trueType)!;
    createdAtMs[i] = Date.parse(person.createdAt);
    country[i] = person.country;
    city[i] = person.city;
    emailConsent[i] = person.emailConsent;
    for (const p of person.purchases) {
      // As runSegmentation loads them: won, with an amount and a date.
      if (p.status !== 'won' || p.amount === null) continue;
      if (n === capacity) {
        capacity = Math.ceil(capacity * 1.5);
        const grow = <A extends Int32Array | Float64Array>(a: A, make: (len: number) => A): A => {
          const b = make(capacity);
          b.set(a);
          return b;
        };
        profileIndex = grow(profileIndex, (len) => new Int32Array(len));
        occurredAtMs = grow(occurredAtMs, (len) => new Float64Array(len));
        amount = grow(amount, (len) => new Float64Array(len));
      }
      profileIndex[n] = i;
      occurredAtMs[n] = Date.parse(p.occurredAt);
      amount[n] = p.amount;
      n++;
    }
  }
  return {
    purchases: { profileIndex: profileIndex.slice(0, n), occurredAtMs: occurredAtMs.slice(0, n), amount: amount.slice(0, n) },
    profile: { createdAtMs, country, city, emailConsent, attributes: new Map() },
    types,
  };
}

/** Distances of each row to its own and to the nearest other centre, as clusterProfiles computes them. */
function centreDistances(data: Matrix, labels: Int32Array, k: number): void {
  const centres = labelMeans(data, labels, k);
  assignNearest(data, centres);
  const d = data.cols;
  const own = new Float64Array(data.rows);
  const next = new Float64Array(data.rows);
  const nextCluster = new Int32Array(data.rows);
  const sq = (row: number, c: number): number => {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const diff = data.data[row * d + j]! - centres.data[c * d + j]!;
      sum += diff * diff;
    }
    return sum;
  };
  for (let j = 0; j < data.rows; j++) {
    const l = labels[j]!;
    own[j] = Math.sqrt(sq(j, l));
    let best = Infinity;
    let which = -1;
    for (let c = 0; c < k; c++) {
      if (c === l) continue;
      const v = sq(j, c);
      if (v < best) {
        best = v;
        which = c;
      }
    }
    next[j] = Math.sqrt(best);
    nextCluster[j] = which;
  }
}

/** What the report keeps of clusterProfiles' outcome (the rest is let go). */
function summarize(outcome: ClusteringOutcome | null, types: Uint8Array): { result: SizeResult['result']; rows: Int32Array } {
  if (outcome?.status !== 'clustered') throw new Error(`clusterProfiles skipped: ${outcome?.reason}`);
  const hidden = Int32Array.from(outcome.rows, (row) => types[row]!);
  return {
    rows: outcome.rows,
    result: {
      k: outcome.k,
      silhouette: outcome.metrics.silhouette.value,
      silhouetteExact: outcome.metrics.silhouette.exact,
      silhouetteSampleSize: outcome.metrics.silhouette.sampleSize,
      stabilityMeanAri: outcome.metrics.stability?.mean ?? null,
      ariVsHiddenTypes: adjustedRandIndex(outcome.labels, hidden),
      personas: outcome.personas.map((p) => p.label),
    },
  };
}

async function runSize(size: number): Promise<SizeResult> {
  const log = (msg: string) => process.stderr.write(`[${num(size)}] ${msg}\n`);
  memory.start();
  const settings: ClusteringSettings = ClusteringSchema.parse({});
  const referenceMs = ANCHOR.getTime();

  log('generating data …');
  const gen = await timed(() => generate(size));
  const { purchases, profile, types } = gen.value;
  const maxRssAfterGenerate = process.resourceUsage().maxRSS * 1024;
  log(`generated ${num(purchases.amount.length)} won purchases in ${s(gen.ms)}`);

  const rfm = await timed(() => {
    const result = computeRfm(size, purchases, { referenceDateMs: referenceMs, windowDays: WINDOW_DAYS });
    return { result, keys: assignRfmSegments(result, DEFAULT_RFM_SEGMENTS) };
  });
  log(`rfm ${s(rfm.ms)}`);
  const features = await timed(() => computeFeatures(size, purchases, rfm.value.result, rfm.value.keys, profile, { referenceMs, windowDays: WINDOW_DAYS }));
  log(`features ${s(features.ms)}`);
  const clustered = await timed<ClusteringOutcome | null>(() => clusterProfiles(features.value, settings, { currency: 'USD' }));
  log(`clusterProfiles ${s(clustered.ms)}`);
  const { result, rows } = summarize(clustered.value, types);
  clustered.value = null; // let the first run's outputs go before the second

  // The same steps again, one by one.
  const p = settings.preparation;
  const prepared = await timed(() =>
    prepareFeatures(featureTable(features.value, settings, rows), {
      impute: p.impute,
      outliers: { method: p.outliers.method, ...(p.outliers.factor === undefined ? {} : { factor: p.outliers.factor }) },
      log: p.log,
      scaling: p.scaling,
      oneHot: p.oneHot,
    }),
  );
  log(`prepareFeatures ${s(prepared.ms)}`);
  const data = prepared.value.matrix;
  const [lo, hi] = settings.kRange;
  const scan: KRow[] = [];
  let best: { k: number; labels: Int32Array; silhouette: number } | undefined;
  for (let k = lo; k <= Math.min(hi, data.rows - 1); k++) {
    const fit = await timed(() => {
      const f = kmeansFit(data, k, { restarts: settings.restarts, seed: settings.seed });
      sphericalCriteria(f.inertia, clusterSizes(f.labels, k), data.cols);
      return f;
    });
    const labels = fit.value.labels;
    const sil = await timed(() => silhouette(data, labels, { seed: settings.seed }));
    const dunn = await timed(() => dunnIndex(data, labels, { seed: settings.seed }));
    const centroid = await timed(() => {
      withinClusterSumOfSquares(data, labels);
      daviesBouldin(data, labels);
      calinskiHarabasz(data, labels);
    });
    scan.push({
      k,
      fitMs: fit.ms,
      silhouetteMs: sil.ms,
      dunnMs: dunn.ms,
      centroidMetricsMs: centroid.ms,
      silhouette: sil.value.value,
      converged: fit.value.converged,
      iterations: fit.value.iterations,
    });
    log(`k=${k}: kmeansFit ${s(fit.ms)} (${fit.value.iterations} iterations), silhouette ${s(sil.ms)}, dunn ${s(dunn.ms)}`);
    if (!best || sil.value.value > best.silhouette) best = { k, labels, silhouette: sil.value.value };
  }
  const chosen = best!;
  const stability = await timed(() =>
    bootstrapStability(data, chosen.labels, (sample) => kmeansFit(sample, chosen.k, { restarts: settings.restarts, seed: settings.seed }).labels, {
      resamples: settings.stabilityResamples,
      seed: settings.seed,
    }),
  );
  log(`bootstrapStability ${s(stability.ms)}`);
  const distances = await timed(() => centreDistances(data, chosen.labels, chosen.k));
  const pca = await timed(() => pca2d(data, prepared.value.columns));
  const personas = await timed(() => describePersonas(features.value, rows, chosen.labels, chosen.k, { currency: 'USD' }));
  log(`pca2d ${s(pca.ms)}, describePersonas ${s(personas.ms)}`);
  if (chosen.k !== result.k) log(`WARNING: the direct scan chose k=${chosen.k}, clusterProfiles k=${result.k}`);

  memory.stop();
  const scanMs = scan.reduce((t, r) => t + r.fitMs + r.silhouetteMs + r.dunnMs + r.centroidMetricsMs, 0);
  return {
    profiles: size,
    purchases: purchases.amount.length,
    buyers: rows.length,
    generateMs: gen.ms,
    stages: { rfmMs: rfm.ms, featuresMs: features.ms, clusterProfilesMs: clustered.ms },
    inside: {
      prepareMs: prepared.ms,
      scan,
      scanMs,
      stabilityMs: stability.ms,
      centreDistancesMs: distances.ms,
      pcaMs: pca.ms,
      personasMs: personas.ms,
      totalMs: prepared.ms + scanMs + stability.ms + distances.ms + pca.ms + personas.ms,
    },
    result,
    memory: {
      sampledPeakRssMB: memory.peakRss / MB,
      sampledPeakHeapUsedMB: memory.peakHeap / MB,
      sampledPeakArrayBuffersMB: memory.peakBuffers / MB,
      maxRssAfterGenerateMB: maxRssAfterGenerate / MB,
      maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
      heapLimitMB: (await import('node:v8')).getHeapStatistics().heap_size_limit / MB,
    },
  };
}

// ---------------------------------------------------------------------------------------------

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const result = await runSize(Number(process.argv[childAt + 1]));
  if (process.send) process.send(result, () => process.exit(0));
  else console.log(JSON.stringify(result, null, 2)); // run by hand (e.g. under --cpu-prof)
} else {
  const results: SizeResult[] = [];
  for (const size of parseSizes()) results.push(await runChild(size));
  if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
  else printTable(results);
}
