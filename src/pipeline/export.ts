import { accessSync, constants } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { join } from 'node:path';
import type { ClusteringOutcome } from '../segmentation/clustering.js';
import type { Persona } from '../segmentation/personas.js';
import { dunnSample, silhouetteSample } from '../segmentation/metrics.js';
import type { ClusteringRecord } from './clustering-record.js';
import { toCsv } from '../report/csv-file.js';
import { makePrivateDir, writePrivateFile } from '../report/private-files.js';

/**
 * `segsync segment --export <dir>`: the run as files an analyst opens in a notebook.
 * - prepared-features.csv: the matrix the clustering used (after preparation), one row per
 *   clustered profile, with its cluster and the labels of every k tried (cluster_k2, ...);
 *   `silhouette_sample` / `dunn_sample` mark the rows those metrics were computed on when they
 *   were sampled (all 1 when exact).
 * - features.csv: every feature of every profile in raw units (days, orders, money, dates).
 * - assignments.csv: each profile's RFM segment and scores, rule segments, persona and cluster.
 * - metrics.json: preparation steps and fitted parameters, the k scan, the chosen k's metrics,
 *   centres, PCA loadings; personas.json: the personas.
 * These are the customers clustering's. Every other named clustering <name> (e.g. leads) adds
 * <name>-prepared-features.csv, <name>-metrics.json and <name>-personas.json in the same layout,
 * and the columns persona_<name> and cluster_<name> in assignments.csv (empty outside it).
 */
export interface ExportInput {
  dir: string;
  runId: number;
  profileIds: readonly number[];
  emails: ReadonlyMap<number, string>;
  /** Per profile (same order as profileIds): raw features. */
  features: ReadonlyArray<Record<string, number | string | null>>;
  assignments: ReadonlyArray<{ rfmSegment: string; r: number | null; f: number | null; m: number | null; ruleSegments: string[]; persona: string | null }>;
  clustering: ClusteringOutcome;
  record: ClusteringRecord;
  personas: readonly Persona[];
  seed: number;
  /** The named clusterings other than customers (issue 13). */
  others?: ReadonlyArray<{ name: string; clustering: ClusteringOutcome; record: ClusteringRecord; personas: readonly Persona[]; seed: number }>;
}

/** Fails before the run is stored when the export could not be written (a file in the way, no permission). */
export function prepareExportDir(dir: string): void {
  try {
    makePrivateDir(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new ConfigError(`--export ${dir}: cannot write there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); choose a directory segsync can create or write to`);
  }
}

export function writeExport(input: ExportInput): string[] {
  makePrivateDir(input.dir);
  const written: string[] = [];
  const write = (name: string, content: string) => {
    writePrivateFile(join(input.dir, name), content);
    written.push(name);
  };

  const featureKeys = [...new Set(input.features.flatMap((f) => Object.keys(f)))];
  write('features.csv', toCsv(['profile_id', 'email', ...featureKeys], input.profileIds.map((id, i) => [
    id, input.emails.get(id) ?? '', ...featureKeys.map((k) => input.features[i]![k] ?? null),
  ])));
  const others = input.others ?? [];
  const otherColumns = others.flatMap((o) => [`persona_${o.name}`, `cluster_${o.name}`]);
  write('assignments.csv', toCsv(['profile_id', 'email', 'rfm_segment', 'r', 'f', 'm', 'rule_segments', 'persona', 'cluster', ...otherColumns], input.profileIds.map((id, i) => {
    const a = input.assignments[i]!;
    const cluster = input.clustering.status === 'clustered' ? clusterOf(input.clustering, i) : null;
    const inOthers = others.flatMap((o) => {
      const at = o.clustering.status === 'clustered' ? clusterOf(o.clustering, i) : null;
      return at === null ? ['', null] : [o.personas[at]?.key ?? '', at];
    });
    return [id, input.emails.get(id) ?? '', a.rfmSegment, a.r, a.f, a.m, a.ruleSegments.join(';'), a.persona ?? '', cluster, ...inOthers];
  })));

  const notes = {
    scan: 'Each k tried has its labels in prepared-features.csv as cluster_k<k>; "cluster" is the chosen k.',
    sampled: 'Where a metric says exact: false, it was computed on the rows flagged 1 in silhouette_sample / dunn_sample.',
    stability: 'Mean adjusted Rand index between the chosen clustering and re-clusterings of seeded bootstrap resamples; it depends on segsync\'s seeded resampling and is reported, not reproducible from these files alone.',
  };
  for (const one of [{ prefix: '', clustering: input.clustering, record: input.record, personas: input.personas, seed: input.seed }, ...others.map((o) => ({ ...o, prefix: `${o.name}-` }))]) {
    const prepared = preparedRows(one.clustering, input.profileIds, one.seed);
    if (prepared) write(`${one.prefix}prepared-features.csv`, prepared);
    write(`${one.prefix}metrics.json`, `${JSON.stringify({ runId: input.runId, seed: one.seed, notes, clustering: one.record }, null, 2)}\n`);
    write(`${one.prefix}personas.json`, `${JSON.stringify(one.personas, null, 2)}\n`);
  }
  return written;
}

/** The prepared matrix of one clustering as CSV, or null when it did not run. */
function preparedRows(c: ClusteringOutcome, profileIds: readonly number[], seed: number): string | null {
  if (c.status !== 'clustered') return null;
  const { matrix, columns } = c.prepared;
  const silhouetteRows = flags(matrix.rows, silhouetteSample(matrix.rows, { seed }));
  const dunnRows = flags(matrix.rows, dunnSample(matrix.rows, { seed }));
  const scanned = [...c.scanLabels.keys()].sort((a, b) => a - b);
  const rows: unknown[][] = [];
  for (let j = 0; j < matrix.rows; j++) {
    rows.push([
      profileIds[c.rows[j]!],
      ...Array.from(matrix.data.subarray(j * matrix.cols, (j + 1) * matrix.cols)),
      c.labels[j],
      ...scanned.map((k) => c.scanLabels.get(k)![j]),
      silhouetteRows[j],
      dunnRows[j],
    ]);
  }
  return toCsv(['profile_id', ...columns, 'cluster', ...scanned.map((k) => `cluster_k${k}`), 'silhouette_sample', 'dunn_sample'], rows);
}

function flags(rows: number, sample: Int32Array | null): Uint8Array {
  const out = new Uint8Array(rows).fill(sample === null ? 1 : 0);
  if (sample) for (const j of sample) out[j] = 1;
  return out;
}

function clusterOf(c: Extract<ClusteringOutcome, { status: 'clustered' }>, profileRow: number): number | null {
  // rows is ascending: binary search.
  let lo = 0;
  let hi = c.rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = c.rows[mid]!;
    if (v === profileRow) return c.labels[mid]!;
    if (v < profileRow) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}
