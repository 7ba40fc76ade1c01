/**
 * k-means against scikit-learn, measured in the same run on the same data: time and inertia of
 * kmeansFit (segsync's defaults: 8 k-means++ restarts on a 20,000-row sample, the best 3 distinct
 * optima refined on all rows) against scikit-learn's KMeans(n_init=1) and KMeans(n_init=10), k-means++,
 * random_state=42, BLAS/OpenMP limited to 2 threads (threadpoolctl and OMP_NUM_THREADS=2).
 * Unless --no-scan, also the auto-k scan 2..10: kmeansFit + segsync's silhouette (10,000-row sample)
 * per k against scikit-learn's recipe (KMeans n_init=10 + silhouette_score(sample_size=10,000)),
 * time and whether the same k wins.
 *
 * Data: ROWS × 8 (default 1,000,000), seeded (42): 8 Gaussian clusters of unequal weights
 * (largest 4× the smallest), centres uniform in [−4, 4]^8, per-cluster standard deviations 0.75–1.5
 * (`--spread lo,hi` to change: the first run used 1,2), so neighbouring clusters overlap. Written once as a raw float64 file that scikit-learn reads
 * (loading is not timed on either side). kmeansFit runs in this process, scikit-learn in
 * bench/lib/kmeans_sklearn.py (python3 with python3-sklearn; the first of $SEGSYNC_PYTHON,
 * python3, /usr/bin/python3 that imports sklearn). Without scikit-learn the bench says so and
 * reports nothing.
 *
 * Ratios: segsync time / KMeans(n_init=1) time (target ≤ 1.0); segsync inertia / the n_init=10
 * inertia (target ≤ 1.001); the scan's time ratio (target ≤ 1.0) and same k (target = 1).
 *
 *   node --max-old-space-size=4096 --import tsx bench/kmeans-sklearn.ts [--rows 1000000] [--spread 0.75,1.5] [--no-scan] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kmeansFit } from '../src/segmentation/cluster/kmeans.js';
import { createMatrix, type Matrix } from '../src/segmentation/matrix.js';
import { silhouette } from '../src/segmentation/metrics.js';
import { seededRandom } from '../src/segmentation/random.js';
import { bytes } from './lib/child.js';
import { argValue, figuresTable, fixed, log as logFor, machine, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('kmeans-sklearn');
const SEED = 42;
const COLS = 8;
const K = 8;
const THREADS = 2;
const SCAN: [number, number] = [2, 10];
const DEFAULT_SPREAD: readonly [number, number] = [0.75, 1.5];
const SCRIPT = fileURLToPath(new URL('./lib/kmeans_sklearn.py', import.meta.url));

/**
 * ROWS × COLS from K overlapping Gaussian clusters (Box–Muller on the seeded PRNG), each cluster's
 * standard deviation drawn from [lo, hi] (`--spread lo,hi`, default 0.75,1.5; the first run used
 * 1,2, where the clusters overlap so much that every k's silhouette is within noise of the others).
 */
export function generate(rows: number, [lo, hi]: readonly [number, number] = DEFAULT_SPREAD): Matrix {
  const random = seededRandom(SEED);
  const centres = Array.from({ length: K }, () => Array.from({ length: COLS }, () => random() * 8 - 4));
  const spreads = Array.from({ length: K }, () => lo + (hi - lo) * random());
  const weights = Array.from({ length: K }, (_, j) => 1 + (3 * j) / (K - 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(((sum) => (w: number) => (sum += w / total))(0));
  const data = new Float64Array(rows * COLS);
  for (let i = 0; i < rows; i++) {
    const u = random();
    let j = 0;
    while (j < K - 1 && u > cumulative[j]!) j++;
    for (let c = 0; c < COLS; c++) {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      data[i * COLS + c] = centres[j]![c]! + spreads[j]! * normal;
    }
  }
  return createMatrix(rows, COLS, data);
}

/** The first python that imports sklearn and threadpoolctl, or null. */
function findPython(): string | null {
  const candidates = [process.env.SEGSYNC_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import sklearn, threadpoolctl'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

interface SklearnRun {
  seconds: number;
  inertia: number;
  iterations: number;
}

interface SklearnResult {
  sklearn: string;
  threads: number;
  n_init_1: SklearnRun;
  n_init_10: SklearnRun;
  scan?: { seconds: number; silhouettes: Record<string, number>; k: number };
}

interface ScanResult {
  ms: number;
  silhouettes: Record<string, number>;
  k: number;
}

export type KmeansSklearnResult =
  | { skipped: string; figures: RatioFigure[] }
  | {
      rows: number;
      cols: number;
      k: number;
      python: string;
      segsync: { ms: number; inertia: number; iterations: number; converged: boolean };
      sklearn: SklearnResult;
      scan: ScanResult | null;
      figures: RatioFigure[];
    };

function segsyncScan(data: Matrix): ScanResult {
  const started = performance.now();
  const silhouettes: Record<string, number> = {};
  let best = { k: 0, value: -Infinity };
  for (let k = SCAN[0]; k <= SCAN[1]; k++) {
    const value = silhouette(data, kmeansFit(data, k, { seed: SEED }).labels, { seed: SEED }).value;
    silhouettes[k] = round(value, 4);
    if (value > best.value) best = { k, value };
    log(`  scan k=${k}: silhouette ${fixed(value, 4)}`);
  }
  return { ms: performance.now() - started, silhouettes, k: best.k };
}

export async function runKmeansSklearn(): Promise<KmeansSklearnResult> {
  const rows = Number(argValue('--rows') ?? 1_000_000);
  const spreadArg = argValue('--spread')?.split(',').map(Number);
  const spread: readonly [number, number] = spreadArg && spreadArg.length === 2 && spreadArg.every((v) => v > 0) ? [spreadArg[0]!, spreadArg[1]!] : DEFAULT_SPREAD;
  const withScan = !process.argv.includes('--no-scan');
  const python = findPython();
  if (python === null) {
    const skipped = 'scikit-learn is missing (no python3 imports sklearn and threadpoolctl): install it with `apt-get install python3-sklearn`, or set SEGSYNC_PYTHON to a python that has it; kmeans-sklearn skipped';
    log(skipped);
    return { skipped, figures: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-kmeans-'));
  try {
    log(`generating ${num(rows)} × ${COLS} (not timed) …`);
    const data = generate(rows, spread);
    const file = join(dir, 'matrix.f64');
    writeFileSync(file, bytes(data.data));

    log(`segsync kmeansFit k=${K} …`);
    const started = performance.now();
    const fit = kmeansFit(data, K, { seed: SEED });
    const ms = performance.now() - started;
    log(`  ${secs(ms)}, inertia ${fixed(fit.inertia, 1)}`);
    const scan = withScan ? segsyncScan(data) : null;

    log(`scikit-learn (${python}, ${THREADS} threads) …`);
    const args = [SCRIPT, file, String(rows), String(COLS), String(K), String(THREADS), ...(withScan ? SCAN.map(String) : [])];
    const threadsEnv = String(THREADS);
    const child = spawnSync(python, args, {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, OMP_NUM_THREADS: threadsEnv, OPENBLAS_NUM_THREADS: threadsEnv, MKL_NUM_THREADS: threadsEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`kmeans-sklearn: ${python} ${SCRIPT} exited with ${child.status ?? child.signal}`);
    const sklearn = JSON.parse(child.stdout) as SklearnResult;

    const timeRatio = ms / 1000 / sklearn.n_init_1.seconds;
    const inertiaRatio = fit.inertia / sklearn.n_init_10.inertia;
    const figures: RatioFigure[] = [
      {
        bench: 'kmeans-sklearn',
        figure: `k-means k=${K} on ${num(rows)} × ${COLS}: kmeansFit vs scikit-learn KMeans(n_init=1), ${THREADS} threads, time`,
        ratio: 'segsync / sklearn',
        value: round(timeRatio),
        target: '≤ 1.0',
        pass: timeRatio <= 1,
        measured: `${secs(ms)} / ${secs(sklearn.n_init_1.seconds * 1000)}`,
      },
      {
        bench: 'kmeans-sklearn',
        figure: '  same, vs KMeans(n_init=10), time (no target)',
        ratio: 'segsync / sklearn',
        value: round(ms / 1000 / sklearn.n_init_10.seconds),
        target: '(info)',
        pass: true,
        measured: `${secs(ms)} / ${secs(sklearn.n_init_10.seconds * 1000)}`,
      },
      {
        bench: 'kmeans-sklearn',
        figure: '  inertia vs the best of KMeans(n_init=10)',
        ratio: 'segsync / sklearn',
        value: round(inertiaRatio, 5),
        target: '≤ 1.001',
        pass: inertiaRatio <= 1.001,
        measured: `${fixed(fit.inertia, 0)} / ${fixed(sklearn.n_init_10.inertia, 0)}`,
      },
    ];
    if (scan && sklearn.scan) {
      const scanRatio = scan.ms / 1000 / sklearn.scan.seconds;
      figures.push(
        {
          bench: 'kmeans-sklearn',
          figure: `  auto-k scan ${SCAN[0]}..${SCAN[1]} (k-means + 10,000-row silhouette per k), time`,
          ratio: 'segsync / sklearn',
          value: round(scanRatio),
          target: '≤ 1.0',
          pass: scanRatio <= 1,
          measured: `${secs(scan.ms)} / ${secs(sklearn.scan.seconds * 1000)}`,
        },
        {
          bench: 'kmeans-sklearn',
          figure: '  auto-k scan: same k chosen (1 = yes)',
          ratio: 'count',
          value: scan.k === sklearn.scan.k ? 1 : 0,
          target: '= 1',
          pass: scan.k === sklearn.scan.k,
          measured: `k ${scan.k} / k ${sklearn.scan.k}`,
        },
      );
    }
    return {
      rows,
      cols: COLS,
      k: K,
      python,
      segsync: { ms: round(ms, 0), inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged },
      sklearn,
      scan,
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printKmeansSklearn(r: KmeansSklearnResult): void {
  if ('skipped' in r) {
    console.log(`\n${r.skipped}`);
    return;
  }
  console.log(`\nk-means k=${r.k} on ${num(r.rows)} × ${r.cols} (8 overlapping Gaussian clusters, seed ${SEED}); scikit-learn ${r.sklearn.sklearn} via ${r.python}, ${r.sklearn.threads} threads\n`);
  const s = r.sklearn;
  console.log(
    table(
      ['', 'time', 'iter', 'inertia'],
      [
        ['segsync kmeansFit (8 restarts on 20k, best 3 distinct on all rows)', secs(r.segsync.ms), String(r.segsync.iterations) + (r.segsync.converged ? '' : '*'), fixed(r.segsync.inertia, 1)],
        ['scikit-learn KMeans(n_init=1)', secs(s.n_init_1.seconds * 1000), String(s.n_init_1.iterations), fixed(s.n_init_1.inertia, 1)],
        ['scikit-learn KMeans(n_init=10)', secs(s.n_init_10.seconds * 1000), String(s.n_init_10.iterations), fixed(s.n_init_10.inertia, 1)],
      ],
    ),
  );
  if (r.scan && s.scan) {
    const ks = Object.keys(r.scan.silhouettes);
    console.log(`\nauto-k scan silhouettes (segsync / sklearn): ${ks.map((k) => `k=${k} ${fixed(r.scan!.silhouettes[k]!, 3)}/${fixed(s.scan!.silhouettes[k]!, 3)}`).join(', ')}`);
  }
  console.log('');
  console.log(figuresTable(r.figures));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runKmeansSklearn();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printKmeansSklearn(result);
}
