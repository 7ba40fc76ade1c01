import { z } from 'zod';
import type { Db } from '../store/db.js';
import { ConfigError } from '../config/errors.js';
import { latestSegmentationRun, segmentSizes } from '../store/segmentation-runs.js';
import type { ReportData, ReportOtherClustering, ReportPersona } from '../report/report-data.js';
import { parseStoredClusterings, type ClusteringRecord } from './clustering-record.js';
import { PredictionRecordSchema, type PredictionRecord } from './prediction-record.js';
import { umapMap } from '../report/umap-map.js';
import { PropensityRecordSchema, type PropensityRecord } from './propensity-record.js';
import type { ReportPredictions, ReportPropensity } from '../report/report-data.js';
import { featureLabel } from '../segmentation/features.js';
import { movementReportData } from '../report/movement-data.js';
import { forecastAccuracySummary } from './forecast-accuracy-record.js';

const Traits = z.array(z.object({ feature: z.string(), label: z.string(), z: z.number() }));
const Medians = z.record(z.string(), z.number().nullable());

/** The latest segmentation run as the report draws it. */
export function buildReportData(db: Db, now: Date = new Date()): ReportData {
  const run = latestSegmentationRun(db);
  if (!run) throw new ConfigError('nothing to report yet: no segmentation run in the store. Run `segsync segment` (or `segsync sync`) first.');
  const row = db.prepare('SELECT profile_count AS profiles, clustering, predictions, propensity FROM segmentation_runs WHERE id = ?').get(run.id) as { profiles: number; clustering: string | null; predictions: string | null; propensity: string | null };
  const stored = row.clustering ? parseStoredClusterings(row.clustering) : [];
  const record = stored.find((c) => c.name === 'customers')?.record
    ?? (stored.length > 0 ? { status: 'skipped' as const, reason: 'no clustering named customers in this run' } : null);
  const predicted = row.predictions ? PredictionRecordSchema.parse(JSON.parse(row.predictions)) : null;
  const propensityRecord = row.propensity ? PropensityRecordSchema.parse(JSON.parse(row.propensity)) : null;
  const forecast = forecastAccuracySummary(predicted, propensityRecord);

  const rfGrid = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
  for (const cell of db.prepare('SELECT r, f, COUNT(*) AS n FROM profile_rfm WHERE r IS NOT NULL AND f IS NOT NULL GROUP BY r, f').all() as Array<{ r: number; f: number; n: number }>) {
    rfGrid[cell.r - 1]![cell.f - 1] = cell.n;
  }
  const personaRows = (db.prepare('SELECT key, label, cluster, size, share, narrative, summary, traits, medians, clustering FROM personas WHERE run_id = ? ORDER BY cluster').all(run.id) as Array<{
    key: string; label: string; cluster: number; size: number; share: number; narrative: string; summary: string; traits: string; medians: string; clustering: string;
  }>);
  const personasOf = (name: string, of: ClusteringRecord | null): ReportPersona[] => personaRows.filter((p) => p.clustering === name).map(({ clustering: _c, ...p }) => ({
    ...p,
    traits: Traits.parse(JSON.parse(p.traits)),
    medians: Medians.parse(JSON.parse(p.medians)),
    ...(of?.status === 'clustered' && of.dbscan?.noiseLabel === p.cluster ? { noise: true } : {}),
  }));
  const personas = personasOf('customers', record);
  const otherClusterings: ReportOtherClustering[] = stored.filter((c) => c.name !== 'customers').map((c) => ({
    name: c.name,
    ...(c.record.status === 'skipped' ? { clusteringSkipped: c.record.reason } : {}),
    preparation: c.record.status === 'clustered' ? c.record.preparation.map((s) => ({ step: s.step, column: s.column, detail: s.detail })) : [],
    clustering: reportClustering(c.record, personasOf(c.name, c.record)),
  }));
  const live = new Set(['rfm', 'rule', ...(personaRows.length > 0 ? ['persona'] : [])]);
  const personaKeys = new Set(personaRows.map((p) => p.key));

  return {
    title: 'segsync segmentation report',
    generatedAt: now.toISOString(),
    referenceDate: run.referenceDate,
    profiles: row.profiles,
    // Persona segments of earlier runs stay in the store (their lists are emptied); show this run's.
    segments: segmentSizes(db).filter((s) => live.has(s.kind) && (s.kind !== 'persona' || personaKeys.has(s.key))),
    rfGrid,
    ...(record?.status === 'skipped' ? { clusteringSkipped: record.reason } : {}),
    preparation: record?.status === 'clustered' ? record.preparation.map((s) => ({ step: s.step, column: s.column, detail: s.detail })) : [],
    clustering: record ? reportClustering(record, personas) : null,
    // A run with predictions switched off draws no section, like a run made before they existed.
    predictions: predicted === null || predicted.status === 'off' ? null : withoutForecastAccuracy(predicted),
    propensity: reportPropensity(propensityRecord),
    forecastAccuracy: forecast.purchaseModels.status === 'off' && forecast.firstPurchase.status === 'off' ? null : forecast,
    ...(otherClusterings.length > 0 ? { otherClusterings } : {}),
    movement: movementReportData(db),
  };
}

/** The forecast check has a section of its own (forecastAccuracy). */
function withoutForecastAccuracy(record: Exclude<PredictionRecord, { status: 'off' }>): ReportPredictions {
  if (record.status !== 'fitted') return record;
  const { forecastAccuracy: _own, ...rest } = record;
  return rest;
}

function reportPropensity(record: PropensityRecord | null): ReportPropensity | null {
  if (record === null || record.status === 'off') return null;
  if (record.status === 'skipped') return record;
  const v = record.validation;
  return {
    status: 'fitted',
    horizonDays: record.horizonDays,
    trainingCutoff: record.training.cutoff,
    validationCutoff: v.cutoff,
    validationPeople: v.people,
    validationPositives: v.positives,
    baseRate: v.baseRate,
    auc: v.auc,
    topDecileLift: v.topDecileLift,
    brier: v.brier,
    deciles: v.deciles,
    scored: record.scored,
    inputs: record.model.inputs
      .map((m) => ({ feature: m.key, label: featureLabel(m.key), coefficient: m.coefficient }))
      .sort((a, b) => Math.abs(b.coefficient) - Math.abs(a.coefficient)),
  };
}

function reportClustering(record: ClusteringRecord, personas: ReportPersona[]): ReportData['clustering'] {
  if (record.status !== 'clustered') return null;
  return {
    algorithm: record.algorithm,
    chosenK: record.k,
    selection: record.selection,
    silhouetteExact: record.metrics.silhouette.exact,
    silhouetteSampleSize: record.metrics.silhouette.sampleSize,
    clusteredProfiles: record.clusteredProfiles,
    ...(record.population ? { population: record.population.description } : {}),
    scan: record.scan.map((r) => ({ ...r, stability: r.k === record.k ? record.metrics.stability?.mean ?? null : null })),
    pca: {
      explainedVariance: [record.pca.explainedVariance[0] ?? 0, record.pca.explainedVariance[1] ?? 0],
      loadings: record.pca.loadings.map((l) => ({ feature: l.feature, pc1: l.pc1 ?? 0, pc2: l.pc2 ?? 0 })),
      points: record.pca.points,
    },
    umap: umapMap(record.umapSample),
    personas,
  };
}
