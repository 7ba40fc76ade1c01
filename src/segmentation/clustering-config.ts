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

/** One clustering's settings (`segmentation.clustering`, or one entry of `segmentation.clusterings`). */
export const ClusteringBodySchema = z
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
    /**
     * A member of the population needs at least this many of `features` present (not missing) to
     * be clustered; the others are left out (and said so). 0: everyone of the population. The
     * default leads clustering uses it so that people the platforms know nothing about are not
     * grouped on imputed medians.
     */
    minFeatures: z.number().int().min(0).max(50).default(0),
  });
export const ClusteringSchema = ClusteringBodySchema.prefault({});
export type ClusteringSettings = z.infer<typeof ClusteringBodySchema>;

/**
 * Named clusterings (`segmentation.clusterings`): name → the settings above. Each runs on its own
 * population and has its own personas, lists and persona tokens.
 *
 * - `segmentation.clustering` (the one clustering of earlier versions) is the clustering named
 *   `customers`; declaring it and `clusterings.customers` both is a config error.
 * - Nothing declared: `customers` (buyers, as before) and `leads` (DEFAULT_LEADS). A
 *   `clusterings:` section replaces these defaults: only what it names runs (plus `customers`
 *   when `segmentation.clustering` is also given).
 */
export const CUSTOMERS_CLUSTERING = 'customers';
export const LEADS_CLUSTERING = 'leads';
export const CLUSTERING_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * The default leads clustering's features: engagement and firmographics every platform can map.
 * INTEGRATOR: extend with the windowed engagement features (webVisits90d, emailOpens90d,
 * formFills90d, daysSinceLastEngagement) once they are in NUMBER_FEATURES.
 */
export const DEFAULT_LEADS_FEATURES: readonly string[] = [
  'emailOpenRate', 'emailClickRate', 'webVisits', 'pageViews', 'formFills', 'daysSinceLastVisit', 'companyEmployees',
  'emailOpens90d', 'daysSinceLastEngagement',
];
export const DEFAULT_LEADS_CATEGORICAL: readonly string[] = ['companyIndustry'];
/** The default leads features that are counts (or sizes): log1p before scaling. */
const DEFAULT_LEADS_LOG: readonly string[] = ['webVisits', 'pageViews', 'formFills', 'daysSinceLastVisit', 'companyEmployees', 'emailOpens90d', 'daysSinceLastEngagement'];
/**
 * "Enough of them have such data": a prospect is clustered with at least this many of the leads
 * features present, and the clustering runs when minProfiles (50) prospects qualify; otherwise it
 * is skipped with the reason, never an error.
 */
export const DEFAULT_LEADS_MIN_FEATURES = 3;

/** The default leads clustering, as config: a declared `clusterings.leads` starts from these and overrides what it names. */
const DEFAULT_LEADS_INPUT = {
  population: 'prospects',
  features: DEFAULT_LEADS_FEATURES,
  categorical: DEFAULT_LEADS_CATEGORICAL,
  minFeatures: DEFAULT_LEADS_MIN_FEATURES,
  // Engagement counts are zero-inflated and right-skewed: Tukey fences with Q1 = Q3 = 0 would cap
  // every form fill to 0, and the auto log only knows money, orders and days. So: log1p on the
  // counts and company size, and cap at 3 sd.
  preparation: { log: DEFAULT_LEADS_LOG.filter((f) => DEFAULT_LEADS_FEATURES.includes(f)), outliers: { method: 'zscore' } },
} as const;

/** An empty entry (`leads:` in YAML) means the defaults; `leads` starts from DEFAULT_LEADS_INPUT. */
function withEntryDefaults(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => {
    const entry = value === null ? {} : value;
    if (name !== LEADS_CLUSTERING || typeof entry !== 'object' || Array.isArray(entry)) return [name, entry];
    // minFeatures and the log list belong to the default features: with their own features an admin sets their own.
    const { minFeatures: _own, preparation: _theirs, ...defaults } = DEFAULT_LEADS_INPUT;
    return [name, { ...('features' in entry ? defaults : DEFAULT_LEADS_INPUT), ...(entry as Record<string, unknown>) }];
  }));
}

/** Names are checked in clusteringsProblem, so the error can name the key and the fix. */
export const ClusteringsSchema = z.preprocess(withEntryDefaults, z.record(z.string(), ClusteringSchema));

export interface NamedClustering {
  name: string;
  settings: ClusteringSettings;
  /** Where its settings live in the config, for messages: segmentation.clustering or segmentation.clusterings.<name>. */
  path: string;
  /** Not declared by the admin: the default customers or leads clustering. */
  isDefault: boolean;
}

export function defaultLeadsSettings(): ClusteringSettings {
  return ClusteringBodySchema.parse(DEFAULT_LEADS_INPUT);
}

/** The parsed segmentation section's clustering part. */
export interface ClusteringSections {
  clustering: ClusteringSettings;
  clusteringDeclared: boolean;
  clusterings?: Record<string, ClusteringSettings> | undefined;
}

/** Every clustering a segmentation run makes, customers first, then in the order declared. */
export function namedClusterings(segmentation: ClusteringSections): NamedClustering[] {
  const customers = (settings: ClusteringSettings, isDefault: boolean): NamedClustering => ({ name: CUSTOMERS_CLUSTERING, settings, path: 'segmentation.clustering', isDefault });
  if (segmentation.clusterings === undefined) {
    return [
      customers(segmentation.clustering, !segmentation.clusteringDeclared),
      { name: LEADS_CLUSTERING, settings: defaultLeadsSettings(), path: `segmentation.clusterings.${LEADS_CLUSTERING}`, isDefault: true },
    ];
  }
  const out: NamedClustering[] = segmentation.clusteringDeclared ? [customers(segmentation.clustering, false)] : [];
  const declared = Object.entries(segmentation.clusterings);
  const own = declared.find(([name]) => name === CUSTOMERS_CLUSTERING);
  if (own && !segmentation.clusteringDeclared) out.push({ name: CUSTOMERS_CLUSTERING, settings: own[1], path: `segmentation.clusterings.${CUSTOMERS_CLUSTERING}`, isDefault: false });
  for (const [name, settings] of declared) {
    if (name !== CUSTOMERS_CLUSTERING) out.push({ name, settings, path: `segmentation.clusterings.${name}`, isDefault: false });
  }
  return out;
}

/** A rule naming persona.<name> of a clustering the run does not make (or persona.customers, which is plain persona). */
export function personaFieldProblem(rule: Rule, clusterings: readonly string[]): string | undefined {
  for (const field of ruleFields(rule)) {
    const name = /^persona\.(.+)$/.exec(field)?.[1];
    if (name === undefined) continue;
    if (name === CUSTOMERS_CLUSTERING) return 'the customers persona is the field persona; use persona, not persona.customers';
    if (!clusterings.includes(name)) return `${field}: no clustering named ${name}; the clusterings are ${clusterings.join(', ') || 'none'} (segmentation.clusterings)`;
  }
  return undefined;
}

/** What the schema cannot see in the clustering sections: the customers clustering declared twice, minFeatures above the features. */
export function clusteringsProblem(segmentation: ClusteringSections): string | undefined {
  for (const name of Object.keys(segmentation.clusterings ?? {})) {
    // Its tokens would be persona_summary, the customers persona's summary token.
    if (name === 'summary') return 'segmentation.clusterings.summary: "summary" is reserved (the customers persona_summary token); choose another name';
    if (!CLUSTERING_NAME.test(name)) {
      return `segmentation.clusterings.${name}: "${name}" is not a clustering name; use lower-case letters, digits and _ (starting with a letter, at most 40 characters), like leads`;
    }
  }
  if (segmentation.clusteringDeclared && segmentation.clusterings?.[CUSTOMERS_CLUSTERING] !== undefined) {
    return `segmentation.clusterings.${CUSTOMERS_CLUSTERING}: the customers clustering is already declared by segmentation.clustering; keep one of the two (segmentation.clustering means the clustering named customers)`;
  }
  for (const c of namedClusterings(segmentation)) {
    if (c.settings.minFeatures > c.settings.features.length) {
      return `${c.path}.minFeatures: ${c.settings.minFeatures} is more than the ${c.settings.features.length} features listed; use at most ${c.settings.features.length}`;
    }
  }
  return undefined;
}

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
  if (ruleFields(population).some((f) => f === 'persona' || f.startsWith('persona.'))) return 'a population rule cannot use persona: personas come from this clustering; use other fields';
  return checkRuleValues(population, rfmKeys);
}
