import { z } from 'zod';
import type { ForecastAccuracyOutcome } from '../measure/forecast-accuracy.js';
import type { PredictionRecord } from './prediction-record.js';
import type { PropensityRecord } from './propensity-record.js';

/**
 * What one segmentation run stored about whether its purchase models' forecasts came true
 * (inside segmentation_runs.predictions, JSON, as `forecastAccuracy`: it is the predictions' own
 * holdout, seen customer by customer; absent for runs made before it).
 */
const Decile = z.object({ decile: z.number(), customers: z.number(), predicted: z.number(), actual: z.number() });
const Comparison = z.object({
  customers: z.number(),
  deciles: z.array(Decile),
  total: z.object({ predicted: z.number(), actual: z.number() }),
  ratio: z.number().nullable(),
  decileMeanAbsoluteError: z.number(),
  gini: z.number().nullable(),
});

export const ForecastAccuracyRecordSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('skipped'), reason: z.string() }),
  z.object({
    status: z.literal('measured'),
    cutoff: z.string(),
    end: z.string(),
    windowDays: z.number(),
    customers: z.number(),
    pAlive: z.object({ customers: z.number(), boughtAgain: z.number(), auc: z.number().nullable(), gini: z.number().nullable(), deciles: z.array(Decile) }),
    purchases: Comparison,
    spend: Comparison.nullable(),
    spendSkipped: z.string().optional(),
  }),
]);
export type ForecastAccuracyRecord = z.infer<typeof ForecastAccuracyRecordSchema>;

export function forecastAccuracyRecord(outcome: ForecastAccuracyOutcome): ForecastAccuracyRecord {
  // JSON has no NaN: a non-finite number would be stored as null and break every later read.
  const stored = ForecastAccuracyRecordSchema.safeParse(JSON.parse(JSON.stringify(outcome)));
  return stored.success
    ? stored.data
    : { status: 'skipped', reason: `the comparison produced a value that is not a number (${stored.error.issues[0]?.path.join('.') ?? '?'}); report this with the store.` };
}

/** The first-purchase propensity model's own check at its validation cutoff, shown beside the purchase models'. */
export type FirstPurchaseAccuracy =
  | { status: 'off' }
  | { status: 'skipped'; reason: string }
  | {
      status: 'measured';
      cutoff: string;
      horizonDays: number;
      people: number;
      positives: number;
      auc: number;
      /** 2·AUC − 1. */
      gini: number;
      deciles: Array<{ decile: number; people: number; predicted: number; actual: number; lift: number | null }>;
    };

/** What `segment` prints and returns as JSON, and the report draws: did the forecasts come true. */
export interface ForecastAccuracySummary {
  /** P(alive), expected purchases and expected spend at the predictions' holdout cutoff. */
  purchaseModels: { status: 'off' } | ForecastAccuracyRecord;
  firstPurchase: FirstPurchaseAccuracy;
}

export function forecastAccuracySummary(predictions: PredictionRecord | null, propensity: PropensityRecord | null): ForecastAccuracySummary {
  return { purchaseModels: purchaseModelsAccuracy(predictions), firstPurchase: firstPurchaseAccuracy(propensity) };
}

function purchaseModelsAccuracy(record: PredictionRecord | null): ForecastAccuracySummary['purchaseModels'] {
  if (record === null || record.status === 'off') return { status: 'off' };
  if (record.status === 'skipped') return { status: 'skipped', reason: `no purchase models: ${record.reason}` };
  return record.forecastAccuracy ?? { status: 'skipped', reason: 'this run was made before forecasts were checked customer by customer; run `segsync segment` again.' };
}

function firstPurchaseAccuracy(record: PropensityRecord | null): FirstPurchaseAccuracy {
  if (record === null || record.status === 'off') return { status: 'off' };
  if (record.status === 'skipped') return record;
  const v = record.validation;
  return {
    status: 'measured',
    cutoff: v.cutoff.slice(0, 10),
    horizonDays: record.horizonDays,
    people: v.people,
    positives: v.positives,
    auc: v.auc,
    gini: 2 * v.auc - 1,
    deciles: v.deciles,
  };
}
