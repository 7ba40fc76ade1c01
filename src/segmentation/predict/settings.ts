import { z } from 'zod';

/** The `segmentation.predictions` section of the workspace config. */
export const PredictionSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** The models' time unit; weeks = days / 7. Only the scale of α depends on it. */
    timeUnit: z.enum(['days', 'weeks'], { error: 'use days or weeks' }).default('weeks'),
    /** CLV horizon (the token `clv`; the mappings write it to fields named …clv_12m: rename them with the horizon). */
    horizonMonths: z.number().int().min(1).max(120).default(12),
    monthlyDiscountRate: z.number().min(0).max(1).default(0.01),
    /** Fewer customers with purchases on two or more days than this: no predictions, and a message. */
    minRepeatBuyers: z.number().int().min(10).default(50),
    /** Less purchase history than this (first purchase in the store to the reference date): no predictions. */
    minHistoryDays: z.number().int().min(7).default(90),
    /** |correlation| of spend per purchase with repeat purchases above this: the Gamma-Gamma model is flagged as doubtful. */
    spendCorrelationWarning: z.number().min(0).max(1).default(0.3),
    /** Days at the end of the history held out to check the model (auto: a third of the history). */
    holdoutDays: z.union([z.literal('auto'), z.number().int().min(7, 'use auto or a whole number of days (at least 7)')], { error: 'use auto or a whole number of days (at least 7)' }).default('auto'),
  })
  .prefault({});
export type PredictionSettings = z.infer<typeof PredictionSettingsSchema>;

export const unitDaysOf = (settings: Pick<PredictionSettings, 'timeUnit'>): number => (settings.timeUnit === 'weeks' ? 7 : 1);
