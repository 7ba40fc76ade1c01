import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { PredictionOutcome } from '../segmentation/predict/index.js';
import type { ForecastAccuracyOutcome } from '../measure/forecast-accuracy.js';
import { forecastAccuracyRecord, ForecastAccuracyRecordSchema } from './forecast-accuracy-record.js';
import { plural } from '../domain/text.js';

/**
 * What one segmentation run stored about its purchase models (segmentation_runs.predictions, JSON):
 * the fits, the totals and the holdout check, so the report and `status` need no refit.
 * `off` = predictions switched off: no prediction tokens are written or pushed.
 */
const Holdout = z.object({
  calibrationEnd: z.string(),
  holdoutEnd: z.string(),
  holdoutDays: z.number(),
  customers: z.number(),
  params: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
  weekly: z.array(z.object({ weekStart: z.string(), actual: z.number(), expected: z.number(), holdout: z.boolean() })),
  byFrequency: z.array(z.object({ x: z.string(), customers: z.number(), actual: z.number(), expected: z.number() })),
  holdoutTotal: z.object({ actual: z.number(), expected: z.number() }),
});

export const PredictionRecordSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('off') }),
  z.object({ status: z.literal('skipped'), reason: z.string(), horizonMonths: z.number() }),
  z.object({
    status: z.literal('fitted'),
    timeUnit: z.string(),
    horizonMonths: z.number(),
    monthlyDiscountRate: z.number(),
    historyDays: z.number(),
    bgnbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number(), logLikelihood: z.number(), customers: z.number(), repeatBuyers: z.number() }),
    gammaGamma: z.object({ p: z.number(), q: z.number(), gamma: z.number(), logLikelihood: z.number(), customers: z.number() }).nullable(),
    gammaGammaSkipped: z.string().optional(),
    spendFrequencyCorrelation: z.number().nullable(),
    warnings: z.array(z.string()),
    totals: z.object({ customers: z.number(), expectedPurchases90d: z.number(), clv: z.number().nullable(), meanPAlive: z.number() }),
    holdout: Holdout.nullable(),
    holdoutSkipped: z.string().optional(),
    /** The holdout customer by customer (src/measure/forecast-accuracy.ts); absent for runs made before it. */
    forecastAccuracy: ForecastAccuracyRecordSchema.optional(),
  }),
]);
export type PredictionRecord = z.infer<typeof PredictionRecordSchema>;

export function predictionRecord(outcome: PredictionOutcome | null, horizonMonths: number, forecast: ForecastAccuracyOutcome | null = null): PredictionRecord {
  const built = buildRecord(outcome, horizonMonths);
  // Checked on its own (forecastAccuracyRecord): a comparison that fails must not cost the run its predictions.
  const record = built.status === 'fitted' && forecast ? { ...built, forecastAccuracy: forecastAccuracyRecord(forecast) } : built;
  // JSON has no NaN: a non-finite number would be stored as null and break every later read.
  const stored = PredictionRecordSchema.safeParse(JSON.parse(JSON.stringify(record)));
  return stored.success
    ? record
    : { status: 'skipped', reason: `the models produced a value that is not a number (${stored.error.issues[0]?.path.join('.') ?? '?'}); report this with the store.`, horizonMonths };
}

function buildRecord(outcome: PredictionOutcome | null, horizonMonths: number): PredictionRecord {
  if (outcome === null) return { status: 'off' };
  if (outcome.status === 'skipped') return { status: 'skipped', reason: outcome.reason, horizonMonths };
  const { columns } = outcome;
  let customers = 0;
  let purchases = 0;
  let clv = 0;
  let alive = 0;
  let judged = 0;
  for (let i = 0; i < columns.expectedPurchases90d.length; i++) {
    const expected = columns.expectedPurchases90d[i]!;
    if (!Number.isFinite(expected)) continue; // not a customer
    customers++;
    purchases += expected;
    if (Number.isFinite(columns.clv[i]!)) clv += columns.clv[i]!;
    // One-time buyers have no P(alive) of their own (BG/NBD says 1 by construction).
    if (Number.isFinite(columns.pAlive[i]!)) {
      judged++;
      alive += columns.pAlive[i]!;
    }
  }
  const { params } = outcome.bgnbd;
  return {
    status: 'fitted',
    timeUnit: outcome.timeUnit,
    horizonMonths: outcome.horizonMonths,
    monthlyDiscountRate: outcome.monthlyDiscountRate,
    historyDays: outcome.historyDays,
    bgnbd: { ...params, logLikelihood: outcome.bgnbd.logLikelihood, customers: outcome.bgnbd.customers, repeatBuyers: outcome.bgnbd.repeatBuyers },
    gammaGamma: outcome.gammaGamma ? { ...outcome.gammaGamma.params, logLikelihood: outcome.gammaGamma.logLikelihood, customers: outcome.gammaGamma.customers } : null,
    ...(outcome.gammaGammaSkipped ? { gammaGammaSkipped: outcome.gammaGammaSkipped } : {}),
    spendFrequencyCorrelation: outcome.spendFrequencyCorrelation,
    warnings: outcome.warnings,
    totals: { customers, expectedPurchases90d: purchases, clv: outcome.gammaGamma ? clv : null, meanPAlive: judged > 0 ? alive / judged : 0 },
    holdout: outcome.holdout
      ? {
          calibrationEnd: outcome.holdout.calibrationEnd,
          holdoutEnd: outcome.holdout.holdoutEnd,
          holdoutDays: outcome.holdout.holdoutDays,
          customers: outcome.holdout.customers,
          params: outcome.holdout.params,
          weekly: outcome.holdout.weekly,
          byFrequency: outcome.holdout.byFrequency,
          holdoutTotal: outcome.holdout.holdoutTotal,
        }
      : null,
    ...(outcome.holdoutSkipped ? { holdoutSkipped: outcome.holdoutSkipped } : {}),
  };
}

/** The CLV horizon of the run's prediction tokens; null when it had predictions off or predates them. */
export function predictionTokenHorizon(record: PredictionRecord | null): number | null {
  return record === null || record.status === 'off' ? null : record.horizonMonths;
}

/** The latest segmentation run's record; null before any run, or for runs made before predictions existed. */
export function latestPredictionRecord(db: Db): PredictionRecord | null {
  const row = db.prepare('SELECT predictions FROM segmentation_runs ORDER BY id DESC LIMIT 1').get() as { predictions: string | null } | undefined;
  return row?.predictions ? PredictionRecordSchema.parse(JSON.parse(row.predictions)) : null;
}

/** One line for `status`: what the latest run's purchase models did. */
export function predictionStatusLine(record: PredictionRecord | null): string {
  if (record === null) return 'Predictions: none yet (the latest segmentation predates them; run `segsync segment`).';
  if (record.status === 'off') return 'Predictions: switched off (segmentation.predictions.enabled: false).';
  if (record.status === 'skipped') return `Predictions: skipped: ${record.reason}`;
  const check = record.holdout
    ? `; model check ${(((record.holdout.holdoutTotal.expected - record.holdout.holdoutTotal.actual) / Math.max(1, record.holdout.holdoutTotal.actual)) * 100).toFixed(1)}% against the last ${plural(record.holdout.holdoutDays, 'day')}`
    : '';
  return `Predictions: ${plural(record.totals.customers, 'customer')}, ${Math.round(record.totals.meanPAlive * 100)}% of repeat buyers likely still active` +
    `${record.totals.clv === null ? '' : `, CLV over ${record.horizonMonths} months ${Math.round(record.totals.clv).toLocaleString('en-US')}`}${check}` +
    `${record.warnings.length > 0 ? ` (${plural(record.warnings.length, 'warning')}: see the report)` : ''}.`;
}
