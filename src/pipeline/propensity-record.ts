import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { PropensityOutcome } from '../segmentation/propensity/propensity.js';

/**
 * What one segmentation run stored about its first-purchase propensity model
 * (segmentation_runs.propensity, JSON): the validation (AUC, lift and calibration by decile, Brier)
 * and the coefficients, so `segment`, `explain` and the report need no refit.
 */
const Decile = z.object({ decile: z.number(), people: z.number(), predicted: z.number(), actual: z.number(), lift: z.number().nullable() });

export const PropensityRecordSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('off') }),
  z.object({ status: z.literal('skipped'), reason: z.string() }),
  z.object({
    status: z.literal('fitted'),
    horizonDays: z.number(),
    training: z.object({ cutoff: z.string(), people: z.number(), positives: z.number() }),
    validation: z.object({
      cutoff: z.string(), people: z.number(), positives: z.number(), baseRate: z.number(),
      auc: z.number(), topDecileLift: z.number().nullable(), brier: z.number(), deciles: z.array(Decile),
    }),
    dropped: z.array(z.string()),
    model: z.object({
      intercept: z.number(),
      inputs: z.array(z.object({ key: z.string(), transform: z.enum(['log1p', 'none', 'recency']), fill: z.number(), mean: z.number(), sd: z.number(), coefficient: z.number() })),
    }),
    scored: z.number(),
  }),
]);
export type PropensityRecord = z.infer<typeof PropensityRecordSchema>;

export function propensityRecord(outcome: PropensityOutcome | null): PropensityRecord {
  if (outcome === null) return { status: 'off' };
  if (outcome.status === 'skipped') return outcome;
  const { propensity: _p, leadScore: _l, ...rest } = outcome;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const record = {
    ...rest,
    validation: {
      ...rest.validation,
      topDecileLift: finite(rest.validation.topDecileLift),
      deciles: rest.validation.deciles.map((d) => ({ ...d, lift: finite(d.lift) })),
    },
  };
  // JSON has no NaN: a non-finite number would be stored as null and break every later read.
  const stored = PropensityRecordSchema.safeParse(JSON.parse(JSON.stringify(record)));
  return stored.success ? stored.data : { status: 'skipped', reason: `the model produced a value that is not a number (${stored.error.issues[0]?.path.join('.') ?? '?'}); report this with the store.` };
}

export function latestPropensityRecord(db: Db): PropensityRecord | null {
  const row = db.prepare('SELECT propensity FROM segmentation_runs ORDER BY id DESC LIMIT 1').get() as { propensity: string | null } | undefined;
  return row?.propensity ? PropensityRecordSchema.parse(JSON.parse(row.propensity)) : null;
}

/** What `segment` prints and returns as JSON. */
export type PropensitySummary =
  | { status: 'off' }
  | { status: 'skipped'; reason: string }
  | {
      status: 'fitted'; horizonDays: number; auc: number; topDecileLift: number | null; baseRate: number; brier: number;
      validationPeople: number; trainingPeople: number; trainingPositives: number; scored: number; dropped: string[];
      /** Lift and calibration: validation people by predicted propensity, highest tenth first. */
      deciles: Array<{ decile: number; people: number; predicted: number; actual: number; lift: number | null }>;
    };

export function propensitySummary(record: PropensityRecord): PropensitySummary {
  if (record.status !== 'fitted') return record;
  return {
    status: 'fitted',
    horizonDays: record.horizonDays,
    auc: record.validation.auc,
    topDecileLift: record.validation.topDecileLift,
    baseRate: record.validation.baseRate,
    brier: record.validation.brier,
    validationPeople: record.validation.people,
    trainingPeople: record.training.people,
    trainingPositives: record.training.positives,
    scored: record.scored,
    dropped: record.dropped,
    deciles: record.validation.deciles,
  };
}

/** One line for `status`: what the latest run's propensity model did. */
export function propensityStatusLine(record: PropensityRecord | null): string {
  if (record === null) return 'First-purchase propensity: none yet (the latest segmentation predates it; run `segsync segment`).';
  if (record.status === 'off') return 'First-purchase propensity: switched off (segmentation.propensity.enabled: false).';
  if (record.status === 'skipped') return `First-purchase propensity: skipped: ${record.reason}`;
  const lift = record.validation.topDecileLift;
  return `First-purchase propensity: ${record.scored.toLocaleString('en-US')} people scored; validation AUC ${record.validation.auc.toFixed(3)}, top-decile lift ${lift === null ? '–' : `${lift.toFixed(1)}×`}`;
}
