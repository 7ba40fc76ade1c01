import { z } from 'zod';
import { CATEGORY_FEATURES, NUMBER_FEATURES } from './features.js';
import { INTEREST_KEY } from './interests.js';
import { checkRuleValues, RuleSchema, type Rule } from './rules.js';

/**
 * The `segmentation.clustering` section of the workspace config. Defaults find the customer
 * types in behaviour: k-means on days since the last purchase, number of purchases and average
 * order value (log-transformed, z-scaled), k chosen by silhouette among 2..10.
 */
export const DEFAULT_CLUSTERING_FEATURES = ['daysSinceLastPurchase', 'lifetimeFrequency', 'averageOrderValue'] as const;

const ATTRIBUTE = /^attributes\.[a-z][a-zA-Z0-9_]*$/;
const NumberInput = z.string().refine((f) => (NUMBER_FEATURES as readonly string[]).includes(f) || ATTRIBUTE.test(f) || INTEREST_KEY.test(f), {
  error: (issue) => `"${String(issue.input)}" is not a number feature; use one of ${NUMBER_FEATURES.join(', ')}, attributes.<name> or interests.<productType>`,
});
const CLUSTERABLE_CATEGORIES = CATEGORY_FEATURES.filter((c) => c !== 'persona');
const CategoryInput = z.string().refine((f) => (CLUSTERABLE_CATEGORIES as readonly string[]).includes(f) || ATTRIBUTE.test(f), {
  error: (issue) => `"${String(issue.input)}" is not a category feature; use one of ${CLUSTERABLE_CATEGORIES.join(', ')} or attributes.<name>`,
});

/**
 * Who is clustered. buyers: profiles with a purchase; prospects: profiles without one; everyone;
 * or a rule (the rule segments' language, evaluated before clustering, so it cannot name a
 * persona). auto: buyers when any profile has a purchase, everyone when none has (a contacts-only
 * store clusters its people on the configured features).
 */
export const POPULATIONS = ['auto', 'buyers', 'prospects', 'everyone'] as const;
export type PopulationSetting = (typeof POPULATIONS)[number] | Rule;
const PopulationSchema: z.ZodType<PopulationSetting> = z.union([z.enum(POPULATIONS), RuleSchema], {
  // A rule with an op gets the rule's own message (the field, the op); anything else this one.
  error: (issue) => (issue.code === 'invalid_union' && !(typeof issue.input === 'object' && issue.input !== null && 'op' in issue.input)
    ? `use one of ${POPULATIONS.join(', ')}, or a rule like { op: gte, field: attributes.age, value: 18 }`
    : undefined),
});

export const ClusteringSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    population: PopulationSchema.default('auto'),
    algorithm: z.enum(['kmeans', 'gmm', 'ward', 'dbscan'], { error: 'use one of kmeans, gmm, ward, dbscan' }).default('kmeans'),
    /** A number of clusters, or auto: scan kRange and keep the best silhouette. */
    k: z.union([z.literal('auto'), z.number().int().min(2).max(30)], { error: 'use auto or a whole number from 2 to 30' }).default('auto'),
    kRange: z.tuple([z.number().int().min(2), z.number().int().max(30)]).default([2, 10])
      .refine(([lo, hi]) => lo <= hi, { error: 'the first number must not be above the second, like [2, 10]' }),
    features: z.array(NumberInput).min(1).default([...DEFAULT_CLUSTERING_FEATURES]),
    categorical: z.array(CategoryInput).default([]),
    preparation: z
      .strictObject({
        impute: z.boolean().default(true),
        outliers: z.strictObject({ method: z.enum(['iqr', 'zscore', 'none']).default('iqr'), factor: z.number().positive().optional() }).prefault({}),
        log: z.union([z.enum(['auto', 'none']), z.array(NumberInput)]).default('auto'),
        scaling: z.enum(['zscore', 'minmax', 'none']).default('zscore'),
        oneHot: z.strictObject({ maxCategories: z.number().int().min(1).max(100).default(10) }).prefault({}),
      })
      .prefault({}),
    /** Gaussian mixture covariance. */
    covariance: z.enum(['diagonal', 'full']).default('diagonal'),
    dbscan: z.strictObject({ minPts: z.number().int().min(2).optional(), eps: z.number().positive().optional() }).prefault({}),
    seed: z.number().int().default(42),
    restarts: z.number().int().min(1).max(100).default(8),
    stabilityResamples: z.number().int().min(0).max(100).default(10),
    /** Fewer people in the population than this: no clustering (a message says why), RFM and rules still run. */
    minProfiles: z.number().int().min(10).default(50),
  })
  .prefault({});
export type ClusteringSettings = z.infer<typeof ClusteringSchema>;

/** The fields a rule reads. */
function ruleFields(rule: Rule): string[] {
  switch (rule.op) {
    case 'all': case 'any': return rule.rules.flatMap(ruleFields);
    case 'not': return ruleFields(rule.rule);
    case 'spentWithinDays': return [];
    default: return [rule.field];
  }
}

/**
 * What is wrong with a population rule that the schema cannot see: a value no profile has, or
 * the persona field (personas come out of this clustering, so no one has one yet).
 */
export function populationProblem(population: PopulationSetting, rfmKeys: readonly string[]): string | undefined {
  if (typeof population === 'string') return undefined;
  if (ruleFields(population).includes('persona')) return 'a population rule cannot use persona: personas come from this clustering; use other fields';
  return checkRuleValues(population, rfmKeys);
}
