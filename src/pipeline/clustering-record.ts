import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { ClusteringOutcome } from '../segmentation/clustering.js';
import { matrixToRows } from '../segmentation/matrix.js';
import { sampleIndices, seededRandom } from '../segmentation/random.js';

/** PCA points kept per run for the report's scatter: enough to see the shape, small enough to store. */
export const REPORT_POINTS = 3000;
/**
 * Prepared rows kept per run for the report's UMAP map, which `segsync report` computes (UMAP
 * takes seconds, so a segment run does not pay for it; the prepared matrix is not otherwise stored).
 */
export const UMAP_POINTS = 2000;

const Metric = z.object({ value: z.number().nullable(), exact: z.boolean(), sampleSize: z.number() });
const ScanRow = z.object({
  k: z.number(),
  inertia: z.number().nullable(),
  silhouette: z.number().nullable(),
  daviesBouldin: z.number().nullable(),
  calinskiHarabasz: z.number().nullable(),
  dunn: z.number().nullable(),
  bic: z.number().nullable(),
  aic: z.number().nullable(),
});

/**
 * What one segmentation run stored about its clustering (segmentation_runs.clustering, JSON):
 * enough to draw the report and to check the figures against an export, parsed on the way back.
 */
export const ClusteringRecordSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('skipped'), reason: z.string() }),
  z.object({
    status: z.literal('clustered'),
    algorithm: z.string(),
    k: z.number(),
    selection: z.string(),
    /** Runs before populations existed clustered buyers and stored none. */
    population: z.object({ kind: z.string(), description: z.string() }).optional(),
    clusteredProfiles: z.number(),
    columns: z.array(z.string()),
    preparation: z.array(z.object({ step: z.string(), column: z.string().nullable(), detail: z.string() })),
    fitted: z.array(z.object({ key: z.string(), column: z.string(), median: z.number().nullable(), lowerFence: z.number().nullable(), upperFence: z.number().nullable(), log: z.boolean(), center: z.number(), scale: z.number() })),
    scan: z.array(ScanRow),
    metrics: z.object({
      silhouette: Metric,
      dunn: Metric,
      daviesBouldin: z.number().nullable(),
      calinskiHarabasz: z.number().nullable(),
      inertia: z.number().nullable(),
      bic: z.number().nullable(),
      aic: z.number().nullable(),
      stability: z.object({ mean: z.number().nullable(), min: z.number().nullable(), values: z.array(z.number().nullable()), resamples: z.number() }).nullable(),
    }),
    centres: z.array(z.array(z.number().nullable())),
    pca: z.object({
      explainedVariance: z.tuple([z.number().nullable(), z.number().nullable()]),
      loadings: z.array(z.object({ feature: z.string(), pc1: z.number().nullable(), pc2: z.number().nullable() })),
      points: z.array(z.tuple([z.number(), z.number(), z.number()])),
    }),
    /** A fixed-seed sample of prepared rows and their clusters (absent for runs from before the UMAP map). */
    umapSample: z.object({ rows: z.array(z.array(z.number())), clusters: z.array(z.number()) }).optional(),
    dbscan: z.object({ eps: z.number(), suggested: z.boolean(), minPts: z.number(), noiseLabel: z.number().nullable(), noise: z.number().optional() }).optional(),
  }),
]);
export type ClusteringRecord = z.infer<typeof ClusteringRecordSchema>;

const round = (v: number, digits = 6) => (Number.isFinite(v) ? Number(v.toPrecision(digits)) : null);

export function clusteringRecord(c: ClusteringOutcome): ClusteringRecord {
  if (c.status === 'skipped') return c;
  const sample = sampleIndices(c.rows.length, REPORT_POINTS, seededRandom(7));
  const points = Array.from(sample, (j): [number, number, number] => [
    round(c.pca.points[2 * j]!, 4) ?? 0,
    round(c.pca.points[2 * j + 1]!, 4) ?? 0,
    c.labels[j]!,
  ]);
  const umapRows = sampleIndices(c.rows.length, UMAP_POINTS, seededRandom(11));
  const prepared = c.prepared.matrix;
  const umapSample = {
    rows: Array.from(umapRows, (j) => Array.from({ length: prepared.cols }, (_, col) => round(prepared.data[j * prepared.cols + col]!, 4) ?? 0)),
    clusters: Array.from(umapRows, (j) => c.labels[j]!),
  };
  return {
    status: 'clustered',
    algorithm: c.algorithm,
    k: c.k,
    selection: c.selection,
    population: c.population,
    clusteredProfiles: c.rows.length,
    columns: c.prepared.columns,
    preparation: c.prepared.steps,
    fitted: c.prepared.fitted,
    scan: c.scan.map((r) => ({
      k: r.k,
      inertia: round(r.inertia),
      silhouette: round(r.silhouette),
      daviesBouldin: round(r.daviesBouldin),
      calinskiHarabasz: round(r.calinskiHarabasz),
      dunn: round(r.dunn),
      bic: r.bic === null ? null : round(r.bic),
      aic: r.aic === null ? null : round(r.aic),
    })),
    metrics: {
      silhouette: { ...c.metrics.silhouette, value: round(c.metrics.silhouette.value) },
      dunn: { ...c.metrics.dunn, value: round(c.metrics.dunn.value) },
      daviesBouldin: round(c.metrics.daviesBouldin),
      calinskiHarabasz: round(c.metrics.calinskiHarabasz),
      inertia: round(c.metrics.inertia),
      bic: c.metrics.bic === null ? null : round(c.metrics.bic),
      aic: c.metrics.aic === null ? null : round(c.metrics.aic),
      stability: c.metrics.stability
        ? { mean: round(c.metrics.stability.mean), min: round(c.metrics.stability.min), values: c.metrics.stability.values.map((v) => round(v)), resamples: c.metrics.stability.resamples }
        : null,
    },
    centres: matrixToRows(c.centres).map((row) => row.map((v) => round(v))),
    pca: {
      explainedVariance: [round(c.pca.explainedVariance[0]), round(c.pca.explainedVariance[1])],
      loadings: c.pca.loadings.map((l) => ({ feature: l.feature, pc1: round(l.pc1, 4), pc2: round(l.pc2, 4) })),
      points,
    },
    umapSample,
    ...(c.dbscan ? { dbscan: c.dbscan } : {}),
  };
}

/** segmentation_runs.clustering from issue 13 on: every named clustering's record, customers first. */
const StoredClusteringsSchema = z.object({
  clusterings: z.array(z.object({ name: z.string(), path: z.string().optional(), record: ClusteringRecordSchema })),
});

/**
 * Every clustering of a stored run. Runs before named clusterings stored one record: it is the
 * customers clustering's.
 */
export function parseStoredClusterings(json: string): Array<{ name: string; record: ClusteringRecord }> {
  const value: unknown = JSON.parse(json);
  if (typeof value === 'object' && value !== null && 'clusterings' in value) return StoredClusteringsSchema.parse(value).clusterings;
  return [{ name: 'customers', record: ClusteringRecordSchema.parse(value) }];
}

/** The named clusterings of the latest segmentation run (customers only for runs before them; none without a run). */
export function latestClusteringNames(db: Db): string[] {
  const row = db.prepare('SELECT clustering FROM segmentation_runs ORDER BY id DESC LIMIT 1').get() as { clustering: string | null } | undefined;
  if (!row?.clustering) return [];
  const value: unknown = JSON.parse(row.clustering);
  if (typeof value !== 'object' || value === null || !('clusterings' in value) || !Array.isArray(value.clusterings)) return ['customers'];
  return value.clusterings.flatMap((c: unknown) => (typeof c === 'object' && c !== null && 'name' in c && typeof c.name === 'string' ? [c.name] : []));
}
