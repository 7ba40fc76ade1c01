/**
 * RFM and k-means on 1,000,000 profiles: time and peak memory of computeRfm, and of the
 * clustering's k-means (kmeansFit with segsync's defaults) against ONE plain ml-kmeans call on the
 * same matrix, measured in the same run.
 *
 * Data: persons 0..n-1 of the sandbox population (seed 42, anchor 2026-06-01) via personAt, as in
 * bench/segmentation.ts: won purchases with an amount become the purchase columns. The matrix is
 * the clustering's own: computeRfm → computeFeatures → prepareFeatures(featureTable(…)) over the
 * buyers, with the default settings (ClusteringSchema.parse({})). Generation runs in a child of
 * its own and writes the columns and the matrix to a temporary folder (not timed).
 *
 * Each measurement then runs in a fresh child process that first loads its input from disk, so
 * its maxRSS (process.resourceUsage(), the kernel's high-water mark) is its own; reported as the
 * peak and as the growth over the RSS once the input was loaded:
 * - computeRfm(n, purchases, { referenceDateMs: anchor, windowDays: 365 })  (no baseline: a time)
 * - segsync: kmeansFit(matrix, 5, { restarts: 8, seed: 42 }): 8 k-means++ restarts on a 20,000-row
 *   sample, then a Lloyd run over all rows from each of the best (up to 3 distinct), canonical order
 * - plain: matrixToRows(matrix) then kmeans(rows, 5, { initialization: 'kmeans++', seed: 42 })
 *   from ml-kmeans (its defaults: 100 iterations, tolerance 1e-6, as segsync's)
 * Ratio = segsync time / plain time (and the same for memory growth); no target was set: < 1
 * means segsync's restarts-on-a-sample cost less than one plain run.
 *
 *   node --max-old-space-size=6144 --import tsx bench/rfm-kmeans.ts [--profiles 1000000] [--json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmeans } from 'ml-kmeans';
import { ClusteringSchema } from '../src/segmentation/clustering-config.js';
import { featureTable } from '../src/segmentation/clustering.js';
import { kmeansFit } from '../src/segmentation/cluster/kmeans.js';
import { computeFeatures, type ProfileAttributes } from '../src/segmentation/features.js';
import { createMatrix, matrixToRows } from '../src/segmentation/matrix.js';
import { prepareFeatures } from '../src/segmentation/preparation.js';
import { computeRfm, type PurchaseColumns } from '../src/segmentation/rfm.js';
import { assignRfmSegments, DEFAULT_RFM_SEGMENTS } from '../src/segmentation/rfm-segments.js';
import { personAt } from '../src/sandbox/population.js';
import { bytes, readFloat64, readInt32, runChild } from './lib/child.js';
import { argValue, figuresTable, fixed, log as logFor, machine, maxRssMB, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('rfm-kmeans');
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SEED = 42;
const WINDOW_DAYS = 365;
const K = 5;

// ------------------------------------------------------------------------------ child: generate

/** As bench/segmentation.ts generates it (purchase columns and profile attributes). */
function generate(size: number): { purchases: PurchaseColumns; profile: ProfileAttributes } {
  const options = { seed: SEED, size, anchor: ANCHOR };
  const profileIndex: number[] = [];
  const occurredAtMs: number[] = [];
  const amount: number[] = [];
  const createdAtMs = new Float64Array(size);
  const country = new Array<string | null>(size);
  const city = new Array<string | null>(size);
  const emailConsent = new Array<string | null>(size);
  for (let i = 0; i < size; i++) {
    const person = personAt(options, i);
    createdAtMs[i] = Date.parse(person.createdAt);
    country[i] = person.country;
    city[i] = person.city;
    emailConsent[i] = person.emailConsent;
    for (const p of person.purchases) {
      if (p.status !== 'won' || p.amount === null) continue;
      profileIndex.push(i);
      occurredAtMs.push(Date.parse(p.occurredAt));
      amount.push(p.amount);
    }
  }
  return {
    purchases: { profileIndex: Int32Array.from(profileIndex), occurredAtMs: Float64Array.from(occurredAtMs), amount: Float64Array.from(amount) },
    profile: { createdAtMs, country, city, emailConsent, attributes: new Map() },
  };
}


function childGenerate(dir: string, size: number): unknown {
  const started = performance.now();
  const { purchases, profile } = generate(size);
  const settings = ClusteringSchema.parse({});
  const rfm = computeRfm(size, purchases, { referenceDateMs: ANCHOR.getTime(), windowDays: WINDOW_DAYS });
  const features = computeFeatures(size, purchases, rfm, assignRfmSegments(rfm, DEFAULT_RFM_SEGMENTS), profile, { referenceMs: ANCHOR.getTime(), windowDays: WINDOW_DAYS });
  const buyers: number[] = [];
  for (let i = 0; i < features.rows; i++) if (features.numbers.lifetimeFrequency[i]! > 0) buyers.push(i);
  const p = settings.preparation;
  const prepared = prepareFeatures(featureTable(features, settings, Int32Array.from(buyers)), {
    impute: p.impute,
    outliers: { method: p.outliers.method, ...(p.outliers.factor === undefined ? {} : { factor: p.outliers.factor }) },
    log: p.log,
    scaling: p.scaling,
    oneHot: p.oneHot,
  });
  writeFileSync(join(dir, 'profileIndex.bin'), bytes(purchases.profileIndex));
  writeFileSync(join(dir, 'occurredAtMs.bin'), bytes(purchases.occurredAtMs));
  writeFileSync(join(dir, 'amount.bin'), bytes(purchases.amount));
  writeFileSync(join(dir, 'matrix.bin'), bytes(prepared.matrix.data));
  const meta = { profiles: size, purchases: purchases.amount.length, rows: prepared.matrix.rows, cols: prepared.matrix.cols, columns: prepared.columns, generateMs: performance.now() - started };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}

// ------------------------------------------------------------------------------ child: measure

interface Measured {
  ms: number;
  rssAfterLoadMB: number;
  maxRssMB: number;
  detail: Record<string, number | boolean>;
}

function childMeasure(dir: string, what: string): Measured {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { profiles: number; rows: number; cols: number };
  if (what === 'rfm') {
    const purchases: PurchaseColumns = { profileIndex: readInt32(join(dir, 'profileIndex.bin')), occurredAtMs: readFloat64(join(dir, 'occurredAtMs.bin')), amount: readFloat64(join(dir, 'amount.bin')) };
    const rssAfterLoadMB = maxRssMB();
    const started = performance.now();
    const rfm = computeRfm(meta.profiles, purchases, { referenceDateMs: ANCHOR.getTime(), windowDays: WINDOW_DAYS });
    const ms = performance.now() - started;
    let scored = 0;
    for (const s of rfm.status) if (s === 2) scored++;
    return { ms, rssAfterLoadMB, maxRssMB: maxRssMB(), detail: { scored } };
  }
  const data = createMatrix(meta.rows, meta.cols, readFloat64(join(dir, 'matrix.bin')));
  const rssAfterLoadMB = maxRssMB();
  if (what === 'segsync') {
    const started = performance.now();
    const fit = kmeansFit(data, K, { restarts: 8, seed: SEED });
    const ms = performance.now() - started;
    return { ms, rssAfterLoadMB, maxRssMB: maxRssMB(), detail: { inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged, sampled: fit.sampled } };
  }
  const started = performance.now();
  const result = kmeans(matrixToRows(data), K, { initialization: 'kmeans++', seed: SEED });
  const ms = performance.now() - started;
  // Inertia of the plain result, computed after the timing.
  let inertia = 0;
  for (let i = 0; i < data.rows; i++) {
    const c = result.centroids[result.clusters[i]!]!;
    for (let j = 0; j < data.cols; j++) inertia += (data.data[i * data.cols + j]! - c[j]!) ** 2;
  }
  return { ms, rssAfterLoadMB, maxRssMB: maxRssMB(), detail: { inertia, iterations: result.iterations, converged: result.converged } };
}

// ------------------------------------------------------------------------------ parent

const child = <T>(args: string[]): Promise<T> => runChild<T>(import.meta.url, args);

export interface RfmKmeansResult {
  profiles: number;
  purchases: number;
  matrix: { rows: number; cols: number; columns: string[] };
  generateMs: number;
  rfm: Measured;
  segsync: Measured;
  plain: Measured;
  ratioTime: number;
  ratioMemory: number;
  figures: RatioFigure[];
}

export async function runRfmKmeans(): Promise<RfmKmeansResult> {
  const size = Number(argValue('--profiles') ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-rfm-'));
  try {
    log(`generating ${num(size)} profiles (not timed) …`);
    const meta = await child<{ profiles: number; purchases: number; rows: number; cols: number; columns: string[]; generateMs: number }>(['--child', 'generate', dir, String(size)]);
    log(`${num(meta.purchases)} won purchases, matrix ${num(meta.rows)} × ${meta.cols}, in ${secs(meta.generateMs)}`);
    const rfm = await child<Measured>(['--child', 'rfm', dir]);
    log(`computeRfm ${secs(rfm.ms)}`);
    const segsync = await child<Measured>(['--child', 'segsync', dir]);
    log(`kmeansFit ${secs(segsync.ms)}`);
    const plain = await child<Measured>(['--child', 'plain', dir]);
    log(`plain ml-kmeans ${secs(plain.ms)}`);
    const growth = (m: Measured) => m.maxRssMB - m.rssAfterLoadMB;
    const ratioTime = segsync.ms / plain.ms;
    const ratioMemory = growth(segsync) / growth(plain);
    return {
      profiles: meta.profiles,
      purchases: meta.purchases,
      matrix: { rows: meta.rows, cols: meta.cols, columns: meta.columns },
      generateMs: round(meta.generateMs, 0),
      rfm,
      segsync,
      plain,
      ratioTime: round(ratioTime),
      ratioMemory: round(ratioMemory),
      figures: [
        {
          bench: 'rfm-kmeans',
          figure: `k-means k=${K} on ${num(meta.rows)} × ${meta.cols}: kmeansFit vs one plain ml-kmeans, time`,
          ratio: 'segsync / plain',
          value: round(ratioTime),
          target: '(none set)',
          pass: true,
          measured: `${secs(segsync.ms)} / ${secs(plain.ms)}`,
        },
        {
          bench: 'rfm-kmeans',
          figure: '  same, memory growth over the loaded input (maxRSS)',
          ratio: 'segsync / plain',
          value: round(ratioMemory),
          target: '(none set)',
          pass: true,
          measured: `${num(Math.round(growth(segsync)))} MB / ${num(Math.round(growth(plain)))} MB`,
        },
        {
          bench: 'rfm-kmeans',
          figure: `  computeRfm on ${num(meta.profiles)} profiles (time, no baseline)`,
          ratio: 'seconds',
          value: round(rfm.ms / 1000),
          target: '(info)',
          pass: true,
          measured: `maxRSS ${num(Math.round(rfm.maxRssMB))} MB`,
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printRfmKmeans(r: RfmKmeansResult): void {
  console.log(`\nRFM and k-means: ${num(r.profiles)} profiles, ${num(r.purchases)} won purchases; matrix ${num(r.matrix.rows)} buyers × ${r.matrix.cols} (${r.matrix.columns.join(', ')})`);
  console.log(`data generation (not counted): ${secs(r.generateMs)}\n`);
  const mb = (n: number) => `${num(Math.round(n))} MB`;
  const row = (label: string, m: Measured) => [label, secs(m.ms), mb(m.maxRssMB), mb(m.rssAfterLoadMB), mb(m.maxRssMB - m.rssAfterLoadMB),
    'iterations' in m.detail ? String(m.detail.iterations) + (m.detail.converged ? '' : '*') : '-',
    'inertia' in m.detail ? fixed(Number(m.detail.inertia), 0) : '-'];
  console.log(
    table(
      ['', 'time', 'maxRSS', 'after load', 'growth', 'iter', 'inertia'],
      [
        row('computeRfm', r.rfm),
        row(`kmeansFit k=${K} (8 restarts on 20k, best refined on all rows)`, r.segsync),
        row(`plain ml-kmeans k=${K}, kmeans++, seed 42`, r.plain),
      ],
    ),
  );
  console.log(`\nsegsync / plain: time ${fixed(r.ratioTime, 3)}, memory growth ${fixed(r.ratioMemory, 3)}  (* = not converged in 100 iterations)\n`);
  console.log(figuresTable(r.figures));
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [what, dir, size] = process.argv.slice(childAt + 1);
  const out = what === 'generate' ? childGenerate(dir!, Number(size)) : childMeasure(dir!, what!);
  process.send!(out, () => process.exit(0));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runRfmKmeans();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printRfmKmeans(result);
}
