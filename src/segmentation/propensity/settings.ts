import { z } from 'zod';

/** The `segmentation.propensity` section of the workspace config: the first-purchase propensity model. */
export const PropensitySettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** A first purchase within this many days after a cutoff is a positive; the cutoffs are reference − 2·horizon (training) and reference − horizon (validation). */
    horizonDays: z.number().int('use a whole number of days, like 90').min(7, 'use at least 7 days').max(365, 'use at most 365 days').default(90),
    /** Fewer first purchases than this after the training cutoff: no model, and a message. */
    minPositives: z.number().int().min(5, 'use at least 5').default(20),
    /** Fewer never-bought people at the training or the validation cutoff than this: no model, and a message. */
    minPeople: z.number().int().min(50, 'use at least 50').default(200),
    /** L2 penalty on the standardised coefficients (scikit-learn's 1 / C). */
    l2: z.number().positive('use a number above 0, like 1').default(1),
  })
  .prefault({});
export type PropensitySettings = z.infer<typeof PropensitySettingsSchema>;
